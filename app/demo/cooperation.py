"""Demo cooperation work, staff records and appointments (issue 18) for each provider."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Meeting,
    MsaUser,
    NetworkPartner,
    Person,
    Project,
    StaffQualification,
    StaffSupervision,
    StaffTraining,
    Volunteer,
    WorkingGroup,
)
from app.services.calendar.appointments import create_appointment

VOLUNTEERS = (
    ("Gisela", "Hoffmann", "Deutsch, Englisch", "Di und Do nachmittags", "Erstorientierung 2025"),
    ("Karim", "Nasser", "Arabisch, Deutsch", "am Wochenende", "Sprachmittlung Grundkurs"),
    ("Olena", "Kovalenko", "Ukrainisch, Russisch, Deutsch", "Mo–Mi vormittags", ""),
)


def load_cooperation_demo(owner_ids: list[int], today: dt.date | None = None) -> int:
    """Add a Fachkreis with meetings, a project and an encounter with volunteers, trainings and
    appointments to each organisation of ``owner_ids`` that has none yet; return how many."""
    day = today or dt.date.today()
    partners = list(db.session.scalars(select(NetworkPartner).order_by(NetworkPartner.id).limit(4)))
    added = 0
    for org_id in owner_ids:
        if db.session.scalar(select(WorkingGroup.id).where(WorkingGroup.organisation_id == org_id)):
            continue
        group = WorkingGroup(organisation_id=org_id, name="Fachkreis Migration", active=True)
        db.session.add(group)
        for months_ago in (1, 4):
            meeting = Meeting(
                organisation_id=org_id,
                working_group=group,
                date=day - dt.timedelta(days=30 * months_ago),
                topics="Wohnungssuche, Kita-Plätze, Sprachkurse",
                agreements="Gemeinsame Sprechstunde im Rathaus prüfen",
                other_participants="Integrationsbeauftragte der Stadt",
            )
            meeting.partners = partners[:2]
            db.session.add(meeting)
        volunteers = [
            Volunteer(
                organisation_id=org_id,
                first_name=first,
                last_name=last,
                languages=langs,
                availability=avail,
                training=training or None,
                active_since=day - dt.timedelta(days=400),
            )
            for first, last, langs, avail, training in VOLUNTEERS
        ]
        db.session.add_all(volunteers)
        project = Project(
            organisation_id=org_id,
            name="Sprachcafé",
            kind="encounter",
            starts_on=day - dt.timedelta(days=200),
            participant_count=18,
            description="Wöchentliches Begegnungsangebot im Gemeindehaus",
        )
        project.volunteers = volunteers[:2]
        project.partners = partners[2:4]
        db.session.add(project)
        db.session.add(
            Project(
                organisation_id=org_id,
                name="Fahrradwerkstatt",
                kind="project",
                starts_on=day - dt.timedelta(days=90),
                ends_on=day + dt.timedelta(days=90),
                participant_count=9,
            )
        )
        staff = list(
            db.session.scalars(
                select(MsaUser).where(MsaUser.organisation_id == org_id).order_by(MsaUser.id)
            )
        )
        for user in staff:
            db.session.add(
                StaffQualification(
                    organisation_id=org_id,
                    user_id=user.id,
                    title="Soziale Arbeit (B. A.), staatlich anerkannt",
                )
            )
            db.session.add(
                StaffTraining(
                    organisation_id=org_id,
                    user_id=user.id,
                    date=day - dt.timedelta(days=60),
                    title="Aufenthaltsrecht aktuell",
                    hours=Decimal("7.5"),
                    provider="Flüchtlingsrat",
                )
            )
            db.session.add(
                StaffSupervision(
                    organisation_id=org_id,
                    user_id=user.id,
                    date=day - dt.timedelta(days=20),
                    kind="team",
                    hours=Decimal("2"),
                )
            )
            person_id = db.session.scalar(
                select(Person.id)
                .where(Person.organisation_id == org_id, Person.caseworker_id == user.id)
                .order_by(Person.id)
                .limit(1)
            )
            client = db.session.get(Person, person_id) if person_id else None
            for offset, hour in ((0, 10), (3, 14)):
                create_appointment(  # the appointment's one door (commits what came before)
                    actor=user,
                    person=client,
                    partner_id=partners[0].id if partners else None,
                    date=day + dt.timedelta(days=offset),
                    start_time=dt.time(hour, 0),
                    end_time=dt.time(hour + 1, 0),
                    title="Begleitung zur Behörde",
                    place="Kreishausplatz 1",
                    interpreter_needed=offset == 0,
                )
        added += 1
    db.session.commit()
    return added
