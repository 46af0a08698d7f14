"""The models, one module per aggregate."""

from tracker.models.audit import AuditEvent
from tracker.models.checkin import CheckIn
from tracker.models.clinic import Clinic
from tracker.models.flag import Flag
from tracker.models.outcome_event import OutcomeEvent
from tracker.models.patient import Patient
from tracker.models.reminder import PortalLink, Reminder, SchedulerHeartbeat
from tracker.models.treatment import Treatment
from tracker.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CheckIn",
    "Clinic",
    "Flag",
    "OutcomeEvent",
    "Patient",
    "PortalLink",
    "Reminder",
    "SchedulerHeartbeat",
    "Treatment",
    "User",
]
