"""The one error and transaction shape of the domain verbs.

:class:`DomainError` carries a German message, the form field it belongs to (or None), the HTTP
status a REST answer uses and a stable ``key`` (tests and clients compare keys, never message
texts). A verb that finds several problems raises one error that carries all of them
(``problems``); the first one is the error's own message, field and key. Pages show every
problem at its field, the REST API answers ``{"message", "field", "key", "errors"}`` with the
status.

:func:`unit_of_work` is the one transaction helper of the verbs: it commits on success and
rolls back on any error, so no verb (and no view) commits by hand; a verb that writes for an
acting user takes it as ``actor`` (an ``MsaUser``; None where the system acts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.extensions import db


@dataclass(frozen=True)
class Problem:
    """One refusal: the field it belongs to, its stable key and the German message."""

    field: str | None
    key: str
    message: str


class DomainError(Exception):
    """A refused domain operation; ``message`` is German, ``key`` stable, ``status`` HTTP."""

    status: int = 400
    key: str = "invalid"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        key: str | None = None,
        status: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        if problems:
            first = problems[0]
            message = message or first.message
            field = field if field is not None else first.field
            key = key or first.key
        super().__init__(message)
        self.message = message
        self.field = field
        if key is not None:
            self.key = key
        if status is not None:
            self.status = status
        self.problems: list[Problem] = problems or [Problem(field, self.key, message)]

    @property
    def errors(self) -> dict[str, list[str]]:
        """Field → German messages (problems without a field under ``""``)."""
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field or "", []).append(p.message)
        return out

    @property
    def keys(self) -> dict[str, str]:
        """Field → the key of its first problem."""
        out: dict[str, str] = {}
        for p in self.problems:
            out.setdefault(p.field or "", p.key)
        return out

    def as_json(self) -> dict[str, Any]:
        """The REST body of the refusal (the same for every resource)."""
        return {
            "message": self.message,
            "field": self.field,
            "key": self.key,
            "errors": {p.field or "": p.message for p in reversed(self.problems)},
            "keys": self.keys,
        }


class Problems:
    """Collects the problems of one request; :meth:`raise_if_any` raises them together."""

    def __init__(self, error_class: type[DomainError] = DomainError) -> None:
        self.items: list[Problem] = []
        self.error_class = error_class

    def add(self, field: str | None, key: str, message: str) -> None:
        self.items.append(Problem(field, key, message))

    def has(self, field: str) -> bool:
        return any(p.field == field for p in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error_class(problems=list(self.items))


#: an exception type and how to turn it into a domain error (see :func:`unit_of_work`)
Translation = tuple[type[BaseException], Callable[[BaseException], BaseException]]


@contextmanager
def unit_of_work(
    *,
    commit: bool = True,
    translate: tuple[Translation, ...] = (),
) -> Iterator[Any]:
    """Run the block as one transaction: commit on success, roll back on any error.

    ``commit=False`` runs the block as a dry run: everything it wrote is rolled back at the
    end (the retention preview). ``translate`` maps exceptions of the block *or of the commit*
    (a unique index, a stale version, a closed quarter found by the flush) to domain errors:
    ``((IntegrityError, lambda exc: ReportError("…")),)``; the session is rolled back first,
    the original exception is the new one's ``__cause__``. Nested use commits at the inner
    block's end, as a hand-written commit there would.
    """
    try:
        yield db.session
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
    except BaseException as exc:
        db.session.rollback()
        for kind, make in translate:
            if isinstance(exc, kind):
                raise make(exc) from exc
        raise
