"""End-to-end fixtures: the real server on a free port, Debian's headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "Demo-Passwort-2026"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `flask run` on a fresh SQLite database with demo data; yield its base URL."""
    db_path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "MSA_ENV": "development",
        "MSA_TOTP_REQUIRED_ROLES": "",  # demo accounts sign in without a second factor
        # the journeys sign in as several roles within a minute (the limit itself is tested in
        # tests/integration and tests/security)
        "MSA_AUTH_RATE_LIMIT": "60 per minute",
        "FLASK_APP": "run.py",
        "PYTHONPATH": str(ROOT),
    }
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "msa", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "msa", "demo-data", "--persons", "60", "--seed", "7"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "server.log").open("w")
    proc = subprocess.Popen(
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    # a shared machine under load starts the app slowly: wait up to two minutes
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.terminate()
                raise RuntimeError("Server startete nicht") from None
            time.sleep(0.5)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian-Chromium fehlt: `make browser` bzw. apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--lang=de",
            ],
            # German browser UI: date fields read TT.MM.JJJJ (Debian's chromium-l10n)
            env={**os.environ, "LANGUAGE": "de"},
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="de-DE")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


class LoginPage:
    """Page object of the login form."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.page.goto(f"{self.base}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("input[type=submit], button[type=submit]")
        self.page.wait_for_load_state("networkidle")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Return serious and critical axe-core violations of the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
