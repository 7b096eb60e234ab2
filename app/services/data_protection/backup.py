"""Backup and restore of the database (docs/backup.md).

* SQLite: the online backup API (``sqlite3.Connection.backup``) — a consistent copy while the
  portal runs; restore copies the backup back page by page.
* PostgreSQL: ``pg_dump -Fc`` (custom format, compressed) and ``pg_restore --clean --if-exists
  --no-owner --single-transaction``.

Backups hold special-category data: store them encrypted, with the same access restrictions as
the database, and no longer than the retention allows (a purged person survives in older
backups until they rotate out — see docs/backup.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump/pg_restore with a fixed argv
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """Backup or restore failed (German message)."""


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("Eine In-Memory-Datenbank kann nicht gesichert werden.")
    return url.database


def _pg_env_and_dsn(url: URL) -> tuple[dict[str, str], str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return env, dsn


def _tool(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(path).exists():
        raise BackupError(f"{name} nicht gefunden (Paket postgresql-client installieren).")
    return path


def backup(database_url: str, target: str | Path) -> Path:
    """Write a backup of ``database_url`` to ``target``; return the path."""
    url = make_url(database_url)
    target = Path(target)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # created private before the first byte is written (chmod afterwards leaves a window in
    # which the copy of all case files is readable for every local user)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    target.chmod(0o600)
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        dst = sqlite3.connect(str(target))
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif url.get_backend_name() == "postgresql":
        env, dsn = _pg_env_and_dsn(url)
        result = subprocess.run(  # noqa: S603  # nosec B603 - fixed argv, no shell
            [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(target), "-d", dsn],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump fehlgeschlagen: {result.stderr.strip()[:500]}")
    else:
        raise BackupError(f"Datenbank {url.get_backend_name()} wird nicht unterstützt.")
    target.chmod(0o600)
    return target


def restore(source: str | Path, database_url: str) -> None:
    """Restore the backup ``source`` into ``database_url`` (replacing its content)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Sicherung {source} nicht gefunden.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(_sqlite_path(url))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif url.get_backend_name() == "postgresql":
        env, dsn = _pg_env_and_dsn(url)
        result = subprocess.run(  # noqa: S603  # nosec B603 - fixed argv, no shell
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                dsn,
                str(source),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore fehlgeschlagen: {result.stderr.strip()[:500]}")
    else:
        raise BackupError(f"Datenbank {url.get_backend_name()} wird nicht unterstützt.")
