"""Mixins shared by the models: provider scoping, versioning, timestamps."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> dt.datetime:
    """Return the current time in UTC without tzinfo (stored naive, meaning UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class OrgScoped:
    """Row owned by one organisation (Träger); every read is filtered by app.security.scoping."""

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)


class PersonOwned(OrgScoped):
    """Row hanging off one person, written by one organisation (``organisation_id``: the writer).

    Visible by provenance (``app.security.scoping``): to its writer while it holds or may see
    the person, and to the holders it was released to. ``custody_period_id``: for a row written
    by an organisation the file was shared with, the custody period whose share allowed it;
    empty for the holder's own rows (a holder's rows follow the holder, ``released``).
    """

    @declared_attr
    def custody_period_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(Integer, nullable=True)

    @declared_attr
    def person_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
        )


class Timestamped:
    """Creation and change timestamps (UTC)."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class Versioned:
    """Optimistic locking: ``version`` grows with every update (no lost updates)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:  # noqa: N805
        return {"version_id_col": cls.version}
