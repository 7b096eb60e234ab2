"""Each gunicorn worker renders one small PDF before it serves requests (gunicorn.conf.py)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def exception(self, msg: str) -> None:
        self.errors.append(msg)


class _Worker:
    def __init__(self) -> None:
        self.log = _Log()


def test_post_worker_init_warms_up_the_pdf_engine(monkeypatch: Any) -> None:
    import gc

    from app.services.documents import render

    calls: list[int] = []
    frozen: list[int] = []
    real = render.warm_up
    monkeypatch.setattr(render, "warm_up", lambda: calls.append(1) or real())
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    worker = _Worker()
    conf["post_worker_init"](worker)
    assert calls == [1]
    assert frozen == [1]
    assert worker.log.errors == []


def test_a_broken_warm_up_does_not_stop_the_worker(monkeypatch: Any) -> None:
    import gc

    from app.services.documents import render

    monkeypatch.setattr(gc, "freeze", lambda: None)

    def broken() -> None:
        raise OSError("keine Schriften")

    monkeypatch.setattr(render, "warm_up", broken)
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    worker = _Worker()
    conf["post_worker_init"](worker)
    assert worker.log.errors == ["PDF-Vorwärmen fehlgeschlagen"]
