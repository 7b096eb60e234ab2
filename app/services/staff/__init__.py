"""Staff (Personal, §4.2): caseload per caseworker against 1:80 and the yearly training summary."""

from app.services.staff.figures import (
    CASELOAD_RATIO,
    CaseloadRow,
    caseload_per_caseworker,
    training_summary,
)

__all__ = ["CASELOAD_RATIO", "CaseloadRow", "caseload_per_caseworker", "training_summary"]
