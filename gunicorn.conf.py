"""gunicorn settings, read from the working directory (docs/deployment.md).

Workers, bind address and timeouts come from the command line or the systemd unit; this file
only prepares each worker before it takes requests.
"""

import gc


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Warm up the PDF engine once per worker, then keep start-up objects out of the GC.

    The first PDF of a kind loads fonts and styles (~200–500 ms) — paid here, not by a user.
    ``gc.freeze()`` moves everything loaded so far (app, templates, fonts) out of the cyclic
    garbage collector's scans, which otherwise made every ~10th PDF 150 ms slower.
    """
    from app.services.documents.render import warm_up

    try:
        warm_up()
    except Exception:  # a broken font setup must not keep the worker from serving pages
        worker.log.exception("PDF-Vorwärmen fehlgeschlagen")
    gc.freeze()
