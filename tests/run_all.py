"""Run the whole suite on SQLite, then on PostgreSQL (required when CI=true).

``python -m tests.run_all [pytest args]`` — used by ``make test`` and ``.ci/run``.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_reachable(url: str) -> bool:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        with psycopg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            dbname=u.database or "postgres",
            connect_timeout=5,
        ):
            return True
    except Exception as exc:
        print(f"PostgreSQL nicht erreichbar: {exc}", file=sys.stderr)
        return False


def _pytest(env_extra: dict[str, str], args: list[str]) -> int:
    env = {**os.environ, **env_extra}
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+", " ".join(f"{k}={v}" for k, v in env_extra.items()), " ".join(cmd), flush=True)
    return subprocess.call(cmd, env=env)


def main() -> int:
    args = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    pg_url = os.environ.get("TEST_POSTGRES_URL") or (DEFAULT_PG if ci else "")
    workers = os.environ.get("TEST_WORKERS", "2")
    xdist = ["-n", workers] if workers not in {"0", "1"} else []
    status = _pytest({"MSA_TEST_BACKEND": "sqlite"}, [*xdist, *args])
    if pg_url:
        if not _pg_reachable(pg_url):
            print(
                "Fehler: PostgreSQL wird verlangt (CI=true oder TEST_POSTGRES_URL), "
                "ist aber nicht erreichbar.",
                file=sys.stderr,
            )
            return 1
        pg_status = _pytest(
            {"MSA_TEST_BACKEND": "postgres", "TEST_POSTGRES_URL": pg_url},
            [*xdist, "-m", "not e2e", *args],
        )
        status = status or pg_status
    else:
        print("Hinweis: TEST_POSTGRES_URL nicht gesetzt – PostgreSQL-Lauf übersprungen.")
    return status


if __name__ == "__main__":
    sys.exit(main())
