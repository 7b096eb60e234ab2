"""Reference catalogues kept as data (CATALOGUES.md), editable by the county admin."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class CatalogueEntry(Model):
    """Katalogeintrag — one code of one reference catalogue (e.g. residence titles)."""

    __tablename__ = "catalogue_entry"
    __table_args__ = (UniqueConstraint("catalogue", "code", name="uq_catalogue_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    label_de: Mapped[str] = mapped_column(String(300), nullable=False)
    label_en: Mapped[str] = mapped_column(String(300), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return self.label_de
