"""All models, imported so that Alembic and the mappers see every table."""

from app.models.audit import AccessLog
from app.models.catalogue import CatalogueEntry
from app.models.contact import (
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    GroupSession,
    Referral,
    group_participant,
)
from app.models.housing import MoveProcedure, MoveStep, SocialReport
from app.models.organisation import (
    Accommodation,
    AccommodationKind,
    MsaUser,
    Organisation,
    OrganisationKind,
)
from app.models.partner import NetworkPartner
from app.models.person import (
    Employment,
    Household,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonSensitive,
    PersonShare,
    PersonVulnerability,
)

__all__ = [
    "AccessLog",
    "Accommodation",
    "AccommodationKind",
    "CatalogueEntry",
    "ContactNote",
    "ContactNoteTopic",
    "Employment",
    "FollowUp",
    "GroupSession",
    "Household",
    "IntegrationCourse",
    "MoveProcedure",
    "MoveStep",
    "MsaUser",
    "NetworkPartner",
    "Organisation",
    "OrganisationKind",
    "Person",
    "PersonDegree",
    "PersonLanguage",
    "PersonSensitive",
    "PersonShare",
    "PersonVulnerability",
    "Referral",
    "SocialReport",
    "group_participant",
]
