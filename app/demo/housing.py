"""Demo data for housing (R-5): CV data, social reports (draft and final), move procedures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import MsaUser, Person, SocialReport
from app.services.casefile import records
from app.services.housing import hardship
from app.services.housing import move_procedure as moves
from app.services.housing import social_report as reports

ASSESSMENTS: dict[str, str] = {
    "german_language": "Verständigung im Alltag auf Deutsch gelingt; Behördenpost wird mit "
    "Unterstützung verstanden.",
    "society_knowledge_acceptance": "Kennt die wichtigsten Anlaufstellen und Regeln des "
    "Zusammenlebens und respektiert sie.",
    "house_rules": "Die Hausordnung des ÜWH wird eingehalten.",
    "house_rules_hygiene": "Wohnbereich und Sanitäranlagen werden sauber gehalten.",
    "house_rules_cleaning": "Reinigungsdienste werden zuverlässig übernommen.",
    "house_rules_waste_separation": "Mülltrennung wird korrekt umgesetzt.",
    "house_rules_fire_safety": "Brandschutzregeln sind bekannt; keine Verstöße.",
    "house_rules_saving_resources": "Sparsamer Umgang mit Strom, Wasser und Heizung.",
    "neighbour_acceptance": "Freundlicher, rücksichtsvoller Umgang mit den Mitbewohnenden.",
    "daily_structure": "Geregelter Tagesablauf mit Sprachkurs und Kinderbetreuung.",
    "job_search_effort": "Regelmäßige Termine beim Jobcenter, Bewerbungen als Helfer:in.",
    "no_pending_criminal_proceedings": "Keine anhängigen Strafverfahren bekannt.",
    "money_management": "Leistungen werden planvoll eingeteilt; keine Schulden bekannt.",
}


def _cv_data(person: Person, author: MsaUser) -> None:
    """CV data through the case file's verbs (the same rules as every door)."""
    records.create_language(person, actor=author, language="ar", level="native")
    records.create_language(
        person,
        actor=author,
        language="de",
        level="b1",
        certificate="Deutsch-Test für Zuwanderer B1",
    )
    records.create_degree(
        person,
        actor=author,
        kind="vocational",
        title="Elektroinstallateur",
        institution="Berufsschule",
        year=2012,
        recognition_status="in_progress",
    )
    records.create_employment(
        person,
        actor=author,
        employer="Elektrobetrieb Al-Nour",
        position="Elektriker",
        start_on=dt.date(2012, 9, 1),
        end_on=dt.date(2015, 6, 30),
        duties="Hausinstallationen, Wartung von Schaltanlagen",
    )
    records.create_course(
        person,
        actor=author,
        course="general",
        start_on=dt.date.today() - dt.timedelta(days=400),
        end_on=dt.date.today() - dt.timedelta(days=60),
        completed=True,
        outcome="certificate",
    )
    person.private_interests = "Fußball; Kochen; Radfahren"


def _final(person: Person, author: MsaUser) -> SocialReport:
    report = reports.create_draft(
        person,
        author=author,
        assessments=ASSESSMENTS,
        recommendation="Die Wohnfähigkeit außerhalb der Gemeinschaftsunterkunft ist gegeben. "
        "Der Umzug in eigenen Wohnraum wird befürwortet.",
    )
    return reports.finalise(report, author=author)


def load_housing_demo(organisation_ids: list[int] | None = None) -> dict[str, int]:
    """Give up to four households per provider reports and move procedures (idempotent)."""
    created = {"Sozialberichte": 0, "Umzugsverfahren": 0, "Härtefallverfahren": 0}
    query = select(MsaUser.organisation_id, MsaUser).where(MsaUser.organisation_id.is_not(None))
    authors: dict[int, MsaUser] = {}
    for org_id, user in db.session.execute(query.order_by(MsaUser.id)):
        if organisation_ids is None or org_id in organisation_ids:
            authors.setdefault(org_id, user)
    today = dt.date.today()
    for org_id, author in authors.items():
        if db.session.scalars(
            select(SocialReport.id).where(SocialReport.organisation_id == org_id)
        ).first():
            continue
        heads = list(
            db.session.scalars(
                select(Person)
                .where(
                    Person.organisation_id == org_id,
                    Person.household_role == "Haushaltsvorstand",
                    Person.moved_in_own_housing_on.is_(None),
                    Person.moved_away_on.is_(None),
                )
                .order_by(Person.id)
                .limit(4)
            )
        )
        if len(heads) < 4:
            continue
        asyl, draft, sgb2, revised = heads
        # 1: AsylbLG track in progress, with a final report and CV data
        asyl.benefit_basis = "asylblg_basic"
        _cv_data(asyl, author)
        db.session.commit()
        _final(asyl, author)
        start = today - dt.timedelta(days=40)
        procedure = moves.start(asyl, "asylblg", by=author, started_on=start)
        for i, code in enumerate(("application", "social_report", "authority_involvement")):
            moves.complete_step(
                procedure, code, done_on=start + dt.timedelta(days=7 * i), by=author
            )
        # 2: a prefilled draft; a Härtefallverfahren before the commission
        reports.create_draft(draft, author=author)
        hardship.open_procedure(
            draft,
            actor=author,
            values={
                "prepared_on": today - dt.timedelta(days=30),
                "submitted_on": today - dt.timedelta(days=10),
                "member": "Flüchtlingsrat Brandenburg",
            },
        )
        # 3: SGB II track in progress
        sgb2.benefit_basis = "sgb2"
        db.session.commit()
        procedure = moves.start(sgb2, "sgb2", by=author, started_on=today - dt.timedelta(days=20))
        moves.complete_step(
            procedure, "flat_search", done_on=today - dt.timedelta(days=12), by=author
        )
        moves.complete_step(
            procedure,
            "offer_to_jobcenter",
            done_on=today - dt.timedelta(days=5),
            by=author,
            note="Angebot Lindenstraße 4, 2 Zimmer, 58 m²",
        )
        # 4: final version 1 and a draft version 2
        final = _final(revised, author)
        reports.new_version(final, author=author)
        created["Sozialberichte"] += 4
        created["Umzugsverfahren"] += 2
        created["Härtefallverfahren"] += 1
    return created
