"""gunicorn settings, read from the working directory (docs/deployment.md).

Workers, bind address and timeouts come from the command line or the systemd unit; this file
only warms each worker up before it takes requests.
"""


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Load the PDF engine's fonts and stylesheet once per worker (not in a user's request)."""
    from app.services.documents.render import warm_up

    try:
        warm_up()
    except Exception:  # a broken font setup must not keep the worker from serving pages
        worker.log.exception("PDF-Vorwärmen fehlgeschlagen")
