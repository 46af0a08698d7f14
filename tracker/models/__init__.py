"""The models, one module per aggregate."""

from tracker.models.adverse_event import AdverseEvent, ReportNotice
from tracker.models.audit import AuditEvent
from tracker.models.checkin import CheckIn
from tracker.models.clinic import Clinic
from tracker.models.flag import Flag
from tracker.models.heartbeat import SchedulerHeartbeat
from tracker.models.outcome_event import OutcomeEvent
from tracker.models.patient import EmailChange, Patient
from tracker.models.plan import PeriodicReport, ProvisionPlan
from tracker.models.portal_link import PortalLink
from tracker.models.reminder import Reminder
from tracker.models.treatment import Treatment
from tracker.models.user import ApiToken, PasswordReset, RecoveryCode, StaffInvitation, User

__all__ = [
    "AdverseEvent",
    "ApiToken",
    "AuditEvent",
    "CheckIn",
    "Clinic",
    "EmailChange",
    "Flag",
    "OutcomeEvent",
    "PasswordReset",
    "Patient",
    "PeriodicReport",
    "PortalLink",
    "ProvisionPlan",
    "RecoveryCode",
    "Reminder",
    "ReportNotice",
    "SchedulerHeartbeat",
    "StaffInvitation",
    "Treatment",
    "User",
]
