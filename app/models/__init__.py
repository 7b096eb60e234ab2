"""All models, imported so that Alembic and the mappers see every table."""

from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Integer, Table, event

from app.models.admin_log import AdminLogEntry, IdempotencyRecord
from app.models.audit import AccessLog
from app.models.calendar import Appointment
from app.models.case_management import (
    AssessmentEntry,
    CaseClosure,
    CaseConference,
    CaseEvent,
    CaseGoal,
    CaseManagementCase,
    FirstInterview,
    HelpPlan,
    HelpPlanTask,
    MonitoringEntry,
    ThirdPartyService,
)
from app.models.catalogue import CatalogueEntry
from app.models.contact import (
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    GroupSession,
    Referral,
    group_participant,
)
from app.models.cooperation import Meeting, Project, Volunteer, WorkingGroup
from app.models.custody import CustodyPeriod
from app.models.figures import (
    AnnualTalk,
    RetainedAnnualCount,
    RetainedIndicatorCount,
    RetainedMonthCount,
    RetainedReferralCount,
)
from app.models.housing import (
    HardshipProcedure,
    KduLimit,
    MoveProcedure,
    MoveStep,
    SocialReport,
)
from app.models.intake import AssignmentImport, AssignmentImportRow, CatalogueAlias, Handover
from app.models.organisation import (
    Accommodation,
    AccommodationKind,
    MsaUser,
    Organisation,
    OrganisationKind,
)
from app.models.partner import NetworkPartner
from app.models.person import (
    ChildPlace,
    Employment,
    Household,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonNameKey,
    PersonSensitive,
    PersonShare,
    PersonVulnerability,
)
from app.models.retention import FileAudit, FileAuditItem, PurgeRecord
from app.models.staff import (
    QualificationProfile,
    StaffFtePeriod,
    StaffQualification,
    StaffSupervision,
    StaffTraining,
)
from app.models.statistics import (
    QuarterlyReport,
    StatisticsRollupMonth,
    StatisticsRollupQuarter,
    StatisticsRollupState,
    StatisticsRollupTopic,
)

__all__ = [
    "AccessLog",
    "Accommodation",
    "AccommodationKind",
    "AdminLogEntry",
    "AnnualTalk",
    "Appointment",
    "AssessmentEntry",
    "AssignmentImport",
    "AssignmentImportRow",
    "CaseClosure",
    "CaseConference",
    "CaseEvent",
    "CaseGoal",
    "CaseManagementCase",
    "CatalogueAlias",
    "CatalogueEntry",
    "ChildPlace",
    "ContactNote",
    "ContactNoteTopic",
    "CustodyPeriod",
    "Employment",
    "FileAudit",
    "FileAuditItem",
    "FirstInterview",
    "FollowUp",
    "GroupSession",
    "Handover",
    "HardshipProcedure",
    "HelpPlan",
    "HelpPlanTask",
    "Household",
    "IdempotencyRecord",
    "IntegrationCourse",
    "KduLimit",
    "Meeting",
    "MonitoringEntry",
    "MoveProcedure",
    "MoveStep",
    "MsaUser",
    "NetworkPartner",
    "Organisation",
    "OrganisationKind",
    "Person",
    "PersonDegree",
    "PersonLanguage",
    "PersonNameKey",
    "PersonSensitive",
    "PersonShare",
    "PersonVulnerability",
    "Project",
    "PurgeRecord",
    "QualificationProfile",
    "QuarterlyReport",
    "Referral",
    "RetainedAnnualCount",
    "RetainedIndicatorCount",
    "RetainedMonthCount",
    "RetainedReferralCount",
    "SocialReport",
    "StaffFtePeriod",
    "StaffQualification",
    "StaffSupervision",
    "StaffTraining",
    "StatisticsRollupMonth",
    "StatisticsRollupQuarter",
    "StatisticsRollupState",
    "StatisticsRollupTopic",
    "ThirdPartyService",
    "Volunteer",
    "WorkingGroup",
    "group_participant",
]


def _ids_never_reused() -> None:
    """Ids are never reused (R-8.1, R-8.2): an id that once named a person, a record, a user or
    an organisation may be in the access log, the deletion protocol or a document; SQLite
    without ``AUTOINCREMENT`` would give a destroyed row's id to the next row. Every table with
    a single integer key — FAB's ``ab_*`` tables included — gets it (migration
    0018_security_data); PostgreSQL sequences never reuse."""
    for table in Model.metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            table.dialect_kwargs["sqlite_autoincrement"] = True


_ids_never_reused()


def _autoincrement_on_create(table: Table, connection: Any, **_kw: Any) -> None:
    """The same for every table a migration creates or rebuilds on SQLite (``op.create_table``,
    batch mode's copy of a table): without it a later rebuild would silently drop
    ``AUTOINCREMENT`` again."""
    if connection.dialect.name == "sqlite":
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            table.dialect_kwargs["sqlite_autoincrement"] = True


if not event.contains(Table, "before_create", _autoincrement_on_create):
    event.listen(Table, "before_create", _autoincrement_on_create)
