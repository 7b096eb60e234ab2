"""Person and case file (Fallakte) with its sub-records (R-2)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.models.base import OrgScoped, PersonOwned, Timestamped, Versioned, utcnow
from app.models.organisation import Accommodation, Organisation

COUNSELLING_MONTHS_AFTER_OWN_HOUSING = 3
#: benefit bases under the AsylbLG: the end of counselling three months after moving into own
#: housing is meant for recognised refugees, not for persons still under the AsylbLG
ASYLBLG_PREFIX = "asylblg"
#: how well the client reads (the letters are explained aloud where reading is weak)
READING_ABILITY_LABELS = {
    "good": "liest sicher",
    "some": "liest mit Mühe",
    "none": "liest nicht – Schreiben vorlesen",
}


def counselling_end(moved_in: dt.date | None, benefit_basis: str | None) -> dt.date | None:
    """Ende der Beratung: 3 months after moving into own housing, not under the AsylbLG."""
    if moved_in is None or (benefit_basis or "").startswith(ASYLBLG_PREFIX):
        return None
    return moved_in + relativedelta(months=COUNSELLING_MONTHS_AFTER_OWN_HOUSING)


class Household(OrgScoped, Model):
    """Haushalt — persons living together as one family or household."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)

    def __repr__(self) -> str:
        return self.name


class Person(OrgScoped, Timestamped, Versioned, Model):
    """Person (Klient:in) with her case file (Fallakte) — one per person (R-2.1)."""

    __tablename__ = "person"
    #: the provider's person list sorted by name (docs/performance.md)
    __table_args__ = (
        Index("ix_person_org_last_name", "organisation_id", "last_name", "id"),
        # all providers by name with the id as tie-breaker (FAB's order): one page of entries
        # even when thousands share a name (reviewers, national scale)
        Index("ix_person_last_name_id", "last_name", "id"),
        # PostgreSQL: name search with ILIKE '%…%' / 'hadd%' over all providers (reviewers,
        # national scale) through trigram indexes; SQLite has the B-tree index on last_name
        Index(
            "ix_person_last_name_trgm",
            "last_name",
            postgresql_using="gin",
            postgresql_ops={"last_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # PostgreSQL: "starts with" as lower(last_name) COLLATE "C" LIKE 'hadd%', hits in that
        # order (app/views/base.py lower_key) — one page of index entries at any scale
        Index(
            "ix_person_last_name_lower",
            func.lower(literal_column("last_name")).collate("C"),
            literal_column("id"),
            postgresql_include=["last_name"],
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_person_first_name_trgm",
            "first_name",
            postgresql_using="gin",
            postgresql_ops={"first_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # PostgreSQL: the caseworkers' search field — "any part of the name" as
        # search_key LIKE '%ahmad%' through a trigram index (app/services/casefile/search.py)
        Index(
            "ix_person_search_key_trgm",
            "search_key",
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_number: Mapped[str | None] = mapped_column(String(32), index=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    first_name_original: Mapped[str | None] = mapped_column(String(200))
    last_name_original: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    #: normalised search key " tok1 tok2 … " (folded and variant-group forms of every name
    #: token, transliteration- and diacritics-tolerant), kept by app/services/casefile/persons.py
    search_key: Mapped[str | None] = mapped_column(String(600))
    birth_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    sex: Mapped[str | None] = mapped_column(String(32))
    nationality: Mapped[str | None] = mapped_column(String(64))
    languages_spoken: Mapped[str | None] = mapped_column(String(300))
    #: the client's languages (codes of the catalogue ``language``, preferred first): the
    #: letters to clients print in the first one that has reviewed texts
    languages: Mapped[list[str] | None] = mapped_column(JSON)
    #: language of the interpreter the client needs (null: none needed)
    interpreter_language: Mapped[str | None] = mapped_column(String(16))
    #: reading ability: good | some | none (READING_ABILITY_LABELS)
    reading_ability: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    # residence status (Aufenthaltsstatus)
    residence_status: Mapped[str | None] = mapped_column(String(64))
    residence_legal_basis: Mapped[str | None] = mapped_column(String(100))
    residence_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    #: stage of the asylum procedure (catalogue ``procedure_stage``: hearing, Dublin, appeal …)
    procedure_stage: Mapped[str | None] = mapped_column(String(64))
    #: the day the stage was last set (app/services/casefile/procedure_stage.py)
    procedure_stage_since: Mapped[dt.date | None] = mapped_column(Date)
    benefit_basis: Mapped[str | None] = mapped_column(String(64))
    family_status: Mapped[str | None] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    household_role: Mapped[str | None] = mapped_column(String(64))
    accommodation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("accommodation.id"), index=True
    )
    private_interests: Mapped[str | None] = mapped_column(Text)
    employable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # lifecycle
    assigned_on: Mapped[dt.date | None] = mapped_column(Date)
    moved_in_own_housing_on: Mapped[dt.date | None] = mapped_column(Date)
    moved_away_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    caseworker_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"), index=True)

    organisation: Mapped[Organisation] = relationship(Organisation)
    household: Mapped[Household | None] = relationship(Household)
    accommodation: Mapped[Accommodation | None] = relationship(Accommodation)

    def __repr__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def counselling_ends_on(self) -> dt.date | None:
        """End of counselling: 3 months after moving into own housing (R-2.3; not AsylbLG)."""
        return counselling_end(self.moved_in_own_housing_on, self.benefit_basis)


class PersonSensitive(PersonOwned, Timestamped, Versioned, Model):
    """Besondere Kategorien — health, religion, biography, criminal proceedings (R-2.2).

    Separately permissioned; every read is written to the access log.
    """

    __tablename__ = "person_sensitive"
    #: one entry per person and writing organisation: a new holder records its own
    __table_args__ = (
        UniqueConstraint("person_id", "organisation_id", name="uq_person_sensitive_person_org"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    health: Mapped[str | None] = mapped_column(Text)
    addiction_in_family: Mapped[str | None] = mapped_column(Text)
    religion: Mapped[str | None] = mapped_column(String(200))
    biographical_events: Mapped[str | None] = mapped_column(Text)
    criminal_proceedings: Mapped[str | None] = mapped_column(Text)
    person: Mapped[Person] = relationship(Person)


class PersonShare(Model):
    """Freigabe — a person shared with (or handed over to) another organisation with consent."""

    __tablename__ = "person_share"
    __table_args__ = (UniqueConstraint("person_id", "organisation_id", name="uq_person_share"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False, index=True
    )
    consent_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    #: the consent letter handed out before consenting: language and day (null: none recorded)
    consent_letter_language: Mapped[str | None] = mapped_column(String(8))
    consent_letter_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    #: last day of the share; the share ends by itself after it (null: open-ended,
    #: shares made before shares had an end date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))


class PersonNameKey(Model):
    """The similar-spelling search's keys of a person (app/services/casefile/name_keys.py).

    Every folded name form of 4 to 40 letters (``pos`` -1) and each form with one letter
    deleted (``pos`` = the deleted letter's position): a query word within one letter wrong,
    missing or too many of a stored form meets one of its rows by key, through the primary key
    index. Kept by the person mapper events and by every bulk insert of persons.
    """

    __tablename__ = "person_name_key"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    pos: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("person.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
        index=True,
    )


class PersonLanguage(PersonOwned, Model):
    """Sprachkenntnis — language, CEFR level, certificate."""

    __tablename__ = "person_language"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[str | None] = mapped_column(String(16))
    certificate: Mapped[str | None] = mapped_column(String(200))
    person: Mapped[Person] = relationship(Person)


class PersonDegree(PersonOwned, Model):
    """Abschluss — school, vocational or university degree with recognition status."""

    __tablename__ = "person_degree"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    institution: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    recognition_status: Mapped[str | None] = mapped_column(String(64))
    person: Mapped[Person] = relationship(Person)


class Employment(PersonOwned, Model):
    """Beruflicher Werdegang — employer, period, duties (for the CV)."""

    __tablename__ = "employment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[str | None] = mapped_column(String(200))
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    duties: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(64))
    person: Mapped[Person] = relationship(Person)


class IntegrationCourse(PersonOwned, Model):
    """Integrationskurs-Teilnahme — course, start, end, outcome (R-2.5)."""

    __tablename__ = "integration_course"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course: Mapped[str] = mapped_column(String(64), nullable=False)
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    outcome: Mapped[str | None] = mapped_column(String(64))
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    person: Mapped[Person] = relationship(Person)


class PersonVulnerability(PersonOwned, Model):
    """Vulnerabilität — special need under Art. 21 RL 2013/33/EU (catalogue code)."""

    __tablename__ = "person_vulnerability"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    person: Mapped[Person] = relationship(Person)


#: the kinds of a child's place and their German names (app/services/casefile/child_places.py)
CHILD_PLACE_KINDS = {"kita": "Kita", "schule": "Schule", "hort": "Hort"}
#: the states of a child's place, in their order, with German names
CHILD_PLACE_STATES = {
    "requested": "beantragt",
    "offered": "angeboten",
    "attending": "besucht",
    "ended": "beendet",
}


class ChildPlace(PersonOwned, Timestamped, Model):
    """Kita-, Schul- oder Hortplatz eines Kindes — requested, offered, attending, ended (§3.1.2).

    ``type_code``: the catalogue entry of the kind (``childcare_type`` for Kita and Hort,
    ``school_type`` for school); ``partner_id``: the institution from the partner directory,
    or ``institution`` as free text.
    """

    __tablename__ = "child_place"
    __table_args__ = (
        # "Kinder ohne Platz": the attending and the open places of a person
        Index("ix_child_place_person_state", "person_id", "state"),
        # the annual evaluation: the writer's places by request day
        Index("ix_child_place_org_requested", "organisation_id", "requested_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    type_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_on: Mapped[dt.date | None] = mapped_column(Date)
    offered_on: Mapped[dt.date | None] = mapped_column(Date)
    attending_from: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    partner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("network_partner.id", ondelete="SET NULL"), index=True
    )
    institution: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    person: Mapped[Person] = relationship(Person)

    @property
    def kind_label(self) -> str:
        return CHILD_PLACE_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self) -> str:
        return CHILD_PLACE_STATES.get(self.state, self.state)


# Belegung: persons currently living in an accommodation, one subquery per list query.
# The same figure for every role that may see the accommodation: it counts persons of
# all providers through a plain table alias, which the row scope (an ORM criterion on Person)
# does not touch — a number, no personal data. Persons who moved away or into their own flat do
# not live there any more.
_occupant = Person.__table__.alias("occupant")
Accommodation.occupancy = column_property(
    select(func.count(_occupant.c.id))
    .where(
        _occupant.c.accommodation_id == Accommodation.id,
        _occupant.c.moved_away_on.is_(None),
        or_(
            _occupant.c.moved_in_own_housing_on.is_(None),
            _occupant.c.moved_in_own_housing_on > func.current_date(),
        ),
    )
    .correlate_except(_occupant)
    .scalar_subquery(),
    # only where it is shown (the accommodation pages): a person's case file or a report that
    # joins the accommodation must not count all its occupants (250 ms at national scale)
    deferred=True,
)


def _occupancy_text(self: Accommodation) -> str:
    """Belegung "12 von 30 Plätzen", marked when above capacity."""
    used = int(self.occupancy or 0)
    if not self.capacity:
        return f"{used} Personen"
    text = f"{used} von {self.capacity} Plätzen"
    return text + " – überbelegt" if used > self.capacity else text


Accommodation.occupancy_text = property(_occupancy_text)
