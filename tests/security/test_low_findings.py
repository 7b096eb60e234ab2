"""The low findings of the attack run, each as a test that fails if it comes back."""

from __future__ import annotations

import re
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.security import matrix
from tests import factories
from tests.conftest import make_test_app
from tests.security.helpers import model_views

# --- 400 for malformed paging and sorting parameters on every list ----------------------------


def test_malformed_paging_and_sorting_is_400_on_every_list(app: Flask, login_as: Any) -> None:
    """``?page_personview=abc`` and ``psize_…=1e9`` were a 500 on every list page."""
    client = login_as(matrix.ROLE_ADMIN)
    views = [v for v in model_views(app) if "list" in getattr(v, "base_permissions", []) or True]
    checked = 0
    for view in views:
        name = view.__class__.__name__
        url = f"{view.route_base}/list/"
        for query in (
            f"page_{name.lower()}=abc",
            f"page_{name}=abc",
            f"psize_{name.lower()}=1e9",
            f"psize_{name}=1e9",
            f"psize_{name}=99999999",
            f"psize_{name}=0",
            f"page_{name}=-1",
            "page_irgendwas=x",
            f"_oc_{name.lower()}=zzz",
            f"_od_{name}=sideways",
        ):
            resp = client.get(f"{url}?{query}")
            assert resp.status_code in (400, 404), (url, query, resp.status_code)
            checked += 1
        assert client.get(f"{url}?psize_{name}=25&page_{name}=0").status_code in (200, 302, 403)
    assert checked > 100


# --- the current password for changing the own password -------------------------------------


def test_own_password_change_needs_the_current_password(app: Flask, login_as: Any) -> None:
    from app.extensions import db
    from app.models import MsaUser

    client = login_as(matrix.ROLE_CASEWORKER, None)
    new = "Ein-ganz-neues-Passwort-2026!"
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    assert 'name="current_password"' in form
    resp = client.post(
        "/resetmypassword/form",
        data={"current_password": "falsch-falsch-falsch", "password": new, "conf_password": new},
    )
    assert resp.status_code == 200 and "aktuelle Passwort ist falsch" in resp.get_data(as_text=True)
    resp = client.post("/resetmypassword/form", data={"password": new, "conf_password": new})
    assert resp.status_code == 200
    with app.app_context():
        user = db.session.get(MsaUser, client.user_id)  # type: ignore[attr-defined]
        from werkzeug.security import check_password_hash

        assert check_password_hash(user.password, factories.PASSWORD)
    resp = client.post(
        "/resetmypassword/form",
        data={"current_password": factories.PASSWORD, "password": new, "conf_password": new},
    )
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.get(MsaUser, client.user_id)  # type: ignore[attr-defined]
        assert check_password_hash(user.password, new)


# --- throttling per account and per IP ---------------------------------------------------------


def _limited(database_url: str, **extra: Any) -> Flask:
    config: dict[str, Any] = {
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMITED": True,
        "RATELIMIT_KEY_PREFIX": f"msa-test-{uuid.uuid4().hex}",
        **extra,
    }
    return make_test_app(database_url, **config)


def test_one_account_is_throttled_from_many_addresses(app: Flask, database_url: str) -> None:
    """Guessing one account from many IP addresses: the account limit stops it, with a German
    message that names the waiting time; another account from the same addresses still works."""
    with app.app_context():
        user = factories.make_user(matrix.ROLE_CASEWORKER, None)
        other = factories.make_user(matrix.ROLE_CASEWORKER, None)
        username, other_name = user.username, other.username
    limited = _limited(database_url, AUTH_ACCOUNT_RATE_LIMIT="3 per minute")
    codes = []
    for n in range(5):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        resp = client.post("/login/", data={"username": username, "password": "falsch-falsch"})
        codes.append(resp.status_code)
    assert codes[:3] == [302, 302, 302]
    assert codes[3:] == [429, 429]
    text = resp.get_data(as_text=True)
    assert re.search(r"Bitte warten Sie \d+ Sekunden", text)
    # the right password does not help an unknown device while the account is throttled
    # (a known device of the owner is exempt: tests/security/test_signin_throttling.py)
    blocked = limited.test_client()
    blocked.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    resp = blocked.post("/login/", data={"username": username, "password": factories.PASSWORD})
    assert resp.status_code == 429
    # the API counts the same account
    resp = blocked.post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    assert resp.status_code == 429 and "Sekunden" in resp.get_json()["message"]
    assert int(resp.headers["Retry-After"]) > 0
    # a colleague in the same office (same address) is not locked out
    resp = blocked.post("/login/", data={"username": other_name, "password": factories.PASSWORD})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"]


def test_many_accounts_from_one_address_hit_the_ip_limit(app: Flask, database_url: str) -> None:
    limited = _limited(database_url, AUTH_RATE_LIMIT="4 per minute")
    client = limited.test_client()
    codes = [
        client.post(
            "/login/", data={"username": f"niemand{n}", "password": "falsch-falsch"}
        ).status_code
        for n in range(6)
    ]
    assert codes[:4] == [302] * 4 and codes[4:] == [429, 429]
    resp = client.post("/login/", data={"username": "x", "password": "y"})
    assert re.search(r"Bitte warten Sie \d+ Sekunden", resp.get_data(as_text=True))


def test_account_limit_is_shared_through_redis(app: Flask, database_url: str) -> None:
    """Two processes (two app instances) count one account limit in Redis (REDIS_URL)."""
    import os

    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    prefix = f"msa-test-{uuid.uuid4().hex}"
    config = {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "AUTH_ACCOUNT_RATE_LIMIT": "2 per minute",
    }
    first = _limited(database_url, **config).test_client()
    second = _limited(database_url, **config).test_client()
    form = {"username": "geteilt", "password": "falsch-falsch"}
    assert first.post("/login/", data=form).status_code == 302
    assert second.post("/login/", data=form).status_code == 302
    assert first.post("/login/", data=form).status_code == 429
    store = redis.Redis.from_url(url)
    keys = list(store.scan_iter(f"*{prefix}*"))
    assert any(b"msa-login-account" in k for k in keys)
    store.delete(*keys)


# --- CSP without 'unsafe-inline' for scripts ----------------------------------------------------

TEMPLATE_DIRS = [
    Path(__file__).resolve().parents[2] / "app" / "templates",
]


def _fab_templates() -> Path:
    import flask_appbuilder

    return Path(flask_appbuilder.__file__).parent / "templates"


@pytest.mark.parametrize("root", [*TEMPLATE_DIRS, _fab_templates()], ids=["app", "fab"])
def test_no_template_has_a_script_without_nonce_or_an_inline_handler(root: Path) -> None:
    """Every <script> of our templates and of FAB's (which we render) carries the nonce; no
    ``onclick=``/``onsubmit=`` attribute (the CSP blocks both)."""
    bad: list[str] = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "nonce=" not in tag:
                bad.append(f"{path.name}: {tag}")
        if re.search(r"\son(click|submit|change|load|input|key\w+)\s*=", text):
            bad.append(f"{path.name}: inline event handler")
    assert not bad, bad


def test_csp_has_no_unsafe_inline_script_and_pages_carry_its_nonce(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        org = factories.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    for url in ("/personview/list/", "/", "/groupsessionview/add"):
        resp = client.get(url)
        if resp.status_code != 200:
            continue
        csp = resp.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
        assert "'unsafe-inline'" not in script_src
        nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)  # type: ignore[union-attr]
        for tag in re.findall(r"<script\b[^>]*>", resp.get_data(as_text=True)):
            assert f'nonce="{nonce}"' in tag, (url, tag)
    second = client.get("/personview/list/").headers["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", second).group(1) != nonce  # type: ignore[union-attr]


# --- CSP without 'unsafe-inline' for styles -----------------------------------------------------

#: FAB templates the portal never renders (SAML sign-in, which it does not offer)
UNRENDERED_FAB_TEMPLATES = {"login_saml.html"}


def _style_attributes(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"<[a-zA-Z][^<>]*\sstyle=[^<>]*>", text)
    found += [tag for tag in re.findall(r"<style\b[^>]*>", text) if "nonce=" not in tag]
    return found


def test_no_rendered_template_has_a_style_attribute_or_a_style_block() -> None:
    """No ``style="…"`` attribute and no <style> without nonce in the templates a browser gets —
    ours, and FAB's unless ours override them — since the CSP's style-src has no
    'unsafe-inline' (documents/ are rendered into PDFs only, never sent as HTML)."""
    ours = TEMPLATE_DIRS[0]
    bad: list[str] = []
    for path in ours.rglob("*.html"):
        if path.relative_to(ours).parts[0] != "documents":
            bad += [f"{path.relative_to(ours)}: {tag}" for tag in _style_attributes(path)]
    fab = _fab_templates()
    for path in fab.rglob("*.html"):
        overridden = (ours / path.relative_to(fab)).exists()
        if not overridden and path.name not in UNRENDERED_FAB_TEMPLATES:
            bad += [f"FAB {path.relative_to(fab)}: {tag}" for tag in _style_attributes(path)]
    assert not bad, bad


def test_csp_allows_styles_only_from_the_portal(app: Flask, login_as: Any) -> None:
    """style-src is the portal's own files: neither 'unsafe-inline' nor a foreign source."""
    with app.app_context():
        org = factories.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    for url in ("/login/", "/personview/list/"):
        csp = client.get(url).headers["Content-Security-Policy"]
        style_src = re.search(r"style-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
        assert style_src.split() == ["'self'"], style_src


# --- no form content or CSRF token in a redirect URL (file audit) -------------------------------


def test_refused_file_audit_forms_never_put_content_into_the_url(app: Flask, login_as: Any) -> None:
    with app.app_context():
        county = factories.make_org("Landkreis", "county")
    client = login_as(matrix.ROLE_REVIEWER, county)
    resp = client.post(
        "/aktenpruefung/ziehen",
        data={"organisation_id": "abc", "year": "x", "quarter": "9", "csrf_token": "geheim-token"},
    )
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert "Bitte Träger, Jahr, Quartal" in resp.get_data(as_text=True)


# --- SQLite file and backups are private (0600) -------------------------------------------------


def test_sqlite_database_and_backup_are_created_private(tmp_path: Path) -> None:
    from app.services.data_protection.backup import backup

    db_path = tmp_path / "neu.db"
    application = make_test_app(f"sqlite:///{db_path}")
    with application.app_context():
        from sqlalchemy import text

        from app.extensions import db

        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    target = backup(f"sqlite:///{db_path}", tmp_path / "sicherung" / "b.db")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    loose = tmp_path / "alt.db"
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    make_test_app(f"sqlite:///{loose}")
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
