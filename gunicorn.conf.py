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


#: requests after which a worker freezes again what it built lazily and kept (compiled
#: templates, the menu per permission set, kept bundle statements, catalogue labels)
FREEZE_AFTER = (20, 100, 500)
_served = 0


def post_request(worker, req, environ, resp):  # type: ignore[no-untyped-def]
    """After the first requests of a worker, move its lazily built caches out of the GC too.

    Caches filled by the first requests (each page's template, the menu of each permission
    set, the case file's kept statement) would otherwise stay in the oldest generation and be
    scanned by every full collection — a random request then paid 50–80 ms. Runs after the
    response is sent; a collection first, so that no garbage is frozen.
    """
    global _served
    _served += 1
    if _served in FREEZE_AFTER:
        gc.collect()
        gc.freeze()
