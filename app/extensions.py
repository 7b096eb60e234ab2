"""Flask extensions, created unbound and initialised in create_app().

FAB's AppBuilder is created per app in create_app() (it keeps per-app view state); reach it
through ``current_app.appbuilder``.
"""

from collections.abc import Callable
from typing import Any

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_babel import Babel  # noqa: F401  (FAB's BabelManager owns Babel)
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# model_class=Model: FAB's declarative base, so that Alembic sees FAB's ab_* tables and ours
# in one metadata (FAB-NOTES trap A).
db = SQLA(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()


def _sqlite_pragmas(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
    """Enforce foreign keys and overwrite deleted content on SQLite."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def _install_engine_hooks() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


_install_engine_hooks()


#: expression indexes Alembic cannot compare (COLLATE and INCLUDE in the definition); their
#: definition is checked against pg_indexes in tests/integration/test_migrations.py
UNCOMPARED_INDEXES = frozenset({"ix_person_last_name_lower"})


def include_in_migrations(dialect: str) -> Callable[..., bool]:
    """Alembic ``include_object`` for ``dialect``: skip schema items meant for another database.

    An index declared with ``.ddl_if(dialect="postgresql")`` (trigram search) exists only on
    PostgreSQL; autogenerate on SQLite must not report it as missing.
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "index" and name in UNCOMPARED_INDEXES:
            return False
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect is None or ddl_if.dialect == dialect

    return include


def ensure_private_sqlite(uri: str) -> None:
    """Create the SQLite database file with mode 0600 before SQLite does (with the umask,
    usually world-readable), and tighten an existing one; journal files inherit the mode."""
    import os
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return
    path = Path(url.database)
    if not path.parent.exists():
        return  # SQLite reports the missing directory itself
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
