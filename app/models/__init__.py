"""All models, imported so that Alembic and the mappers see every table."""

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
    RetainedIndicatorCount,
    RetainedMonthCount,
    RetainedReferralCount,
)
from app.models.housing import MoveProcedure, MoveStep, SocialReport
from app.models.intake import AssignmentImport, Handover
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
from app.models.retention import FileAudit, FileAuditItem, PurgeRecord
from app.models.staff import (
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
    "CaseClosure",
    "CaseConference",
    "CaseEvent",
    "CaseGoal",
    "CaseManagementCase",
    "CatalogueEntry",
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
    "HelpPlan",
    "HelpPlanTask",
    "Household",
    "IdempotencyRecord",
    "IntegrationCourse",
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
    "PersonSensitive",
    "PersonShare",
    "PersonVulnerability",
    "Project",
    "PurgeRecord",
    "QuarterlyReport",
    "Referral",
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
