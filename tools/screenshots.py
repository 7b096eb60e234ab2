"""Screenshots of each role's landing page, the case file, the charts → docs/screenshots/.

Starts the portal on a fresh SQLite database with demo data (as the e2e tests do), signs in with
each demo account in Debian's Chromium (locale de-DE, Europe/Berlin) and saves full-page PNGs:

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]

No browser download: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
if str(ROOT) not in sys.path:  # run as a script: the app package lives in the repository root
    sys.path.insert(0, str(ROOT))
#: file name → demo account
LANDING = {
    "start-admin.png": "admin",
    "start-fachkraft.png": "fachkraft.caritas",
    "start-fachberatung.png": "fachberatung",
    "start-traegerleitung.png": "leitung.caritas",
    "start-pruefer.png": "pruefer",
    "start-kreisadmin.png": "kreisadmin",
    "start-datenschutz.png": "datenschutz",
}
#: further pages: file name → (demo account, path)
PAGES = {
    "auswertungen-pruefer.png": ("pruefer", "/statistics-review/charts"),
    "projekt-formular.png": ("leitung.caritas", "/projectview/add"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.db'}",
        "MSA_ENV": "development",
        "MSA_TOTP_REQUIRED_ROLES": "",
        "FLASK_APP": "run.py",
        "PYTHONPATH": str(ROOT),
    }
    flask = [sys.executable, "-m", "flask"]
    # our own interpreter and fixed arguments: no untrusted input
    subprocess.run([*flask, "msa", "init"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*flask, "msa", "demo-data", "--persons", "60", "--seed", "7"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=1)  # noqa: S310 (local server)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("Der Server startete nicht")


def _login(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    from app.demo.accounts import DEMO_PASSWORD

    page.fill("input[name=password]", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("input[type=submit], button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _serve(Path(tmp))
        try:
            with sync_playwright() as p:
                # German browser UI (Debian's chromium-l10n): date fields read TT.MM.JJJJ
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--lang=de"],
                    env={**os.environ, "LANGUAGE": "de"},
                )
                for name, account in LANDING.items():
                    context = browser.new_context(
                        locale="de-DE",
                        timezone_id="Europe/Berlin",
                        viewport={"width": 1366, "height": 768},
                    )
                    page = context.new_page()
                    _login(page, base, account)
                    page.goto(f"{base}/")
                    page.screenshot(path=str(out / name), full_page=True)
                    if account == "fachkraft.caritas":
                        page.goto(f"{base}/personview/list/")
                        page.locator("table tbody tr a[href*='/personview/show/']").first.click()
                        page.wait_for_load_state("networkidle")
                        page.screenshot(path=str(out / "fallakte.png"), full_page=True)
                        page.fill("#top-suche", "Muhammad")
                        page.wait_for_timeout(800)
                        page.screenshot(path=str(out / "suche-vorschlaege.png"))
                    context.close()
                    print(out / name)
                for name, (account, path) in PAGES.items():
                    context = browser.new_context(
                        locale="de-DE",
                        timezone_id="Europe/Berlin",
                        viewport={"width": 1366, "height": 768},
                    )
                    page = context.new_page()
                    _login(page, base, account)
                    page.goto(f"{base}{path}")
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(out / name), full_page=True)
                    context.close()
                    print(out / name)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
