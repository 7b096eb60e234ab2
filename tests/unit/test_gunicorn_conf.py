"""gunicorn.conf.py: a worker freezes its lazily built caches after its first requests."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_post_request_freezes_after_the_listed_requests() -> None:
    conf = runpy.run_path(str(CONF))
    post_request = conf["post_request"]
    freeze_after = conf["FREEZE_AFTER"]
    assert freeze_after == tuple(sorted(freeze_after)) and freeze_after[0] >= 1
    before = gc.get_freeze_count()
    frozen_at = []
    try:
        kept = []
        for n in range(1, freeze_after[1] + 1):
            kept.append([n])  # a long-lived object made while serving
            count = gc.get_freeze_count()
            post_request(None, None, {}, None)
            if gc.get_freeze_count() > count:
                frozen_at.append(n)
        assert frozen_at == list(freeze_after[:2])
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
