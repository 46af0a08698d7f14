"""A patient's audit trail in the clinic's words: when, who, what, and what changed."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l  # lazy: shown in each request's language

from tracker.clinic_words import FLAG_KIND_LABELS, LANGUAGE_NAMES, RESOLUTION_LABELS, word_for
from tracker.models import AuditEvent

ACTIONS = {
    "patient.create": _l("Recorded the patient"),
    "patient.update": _l("Edited the patient's details"),
    "patient.self_update": _l("Changed their details"),
    "patient.email_change_requested": _l("Asked to change their email address"),
    "patient.email_changed": _l("Confirmed their new email address"),
    "patient.opt_out": _l("Stopped the follow-up emails"),
    "portal.link_requested": _l("Asked for a link to their follow-up page"),
    "portal.open": _l("Opened their follow-up page"),
    "patient.archive": _l("Archived the patient"),
    "patient.delete_refused": _l("Asked to delete the patient: refused"),
    "export.fhir_everything": _l("Exported the patient's record (FHIR)"),
    "treatment.create": _l("Recorded a treatment"),
    "treatment.update": _l("Edited a treatment"),
    "checkin.create": _l("Recorded a check-in"),
    "flag.open": _l("Opened a flag"),
    "flag.acknowledge": _l("Acknowledged a flag"),
    "flag.resolve": _l("Resolved a flag"),
    "adverse_event.create": _l("Recorded an adverse event"),
    "adverse_event.assess": _l("Assessed an adverse event"),
    "adverse_event.reported": _l("Recorded the reports of an adverse event"),
}
FIELDS = {
    "external_id": _l("Patient number"),
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "timezone": _l("Time zone"),
    "language": _l("Language"),
    "frozen_doses": _l("Frozen doses"),
    "date_of_birth": _l("Date of birth"),
    "sex": _l("Sex"),
    "address": _l("Address"),
    "diagnosis": _l("Diagnosis"),
    "status": _l("Status"),
}


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: the audit row named the field without its values
    new: str | None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    what: str
    changes: list[Change]


def history_entries(events: list[AuditEvent]) -> list[HistoryEntry]:
    """Put audit rows in words, in the order given."""
    return [
        HistoryEntry(event.at, who_acted(event), what_happened(event), changes_of(event))
        for event in events
    ]


def who_acted(event: AuditEvent) -> str:
    name = event.actor.name if event.actor is not None else None
    if event.actor_kind == "api":
        return _("API (token of %(name)s)", name=name) if name else _("API")
    if event.actor_kind == "patient":
        return _("patient")
    if event.actor_kind == "user" and name:
        return name
    return _("system")


def what_happened(event: AuditEvent) -> str:
    details = event.details or {}
    if event.action == "patient.email_change_requested" and details.get("new_email"):
        return _("Asked to change their email address to %(email)s", email=details["new_email"])
    what = str(ACTIONS.get(event.action, event.action))
    # A word on which flag, which decision, from where: the row keeps it, the clinician wants it.
    if details.get("kind") in FLAG_KIND_LABELS:
        return f"{what}: {word_for(FLAG_KIND_LABELS, details['kind'])}"
    if details.get("resolution") in RESOLUTION_LABELS:
        return f"{what}: {word_for(RESOLUTION_LABELS, details['resolution'])}"
    note = details.get("kind") or details.get("reason") or details.get("via")
    return f"{what}: {str(note).replace('_', ' ')}" if note else what


def changes_of(event: AuditEvent) -> list[Change]:
    details = event.details or {}
    changed = details.get("changed")
    if isinstance(changed, dict):
        changes = [
            Change(label(field), in_words(field, old), in_words(field, new))
            for field, (old, new) in changed.items()
        ]
    else:
        # Older rows, and treatment edits, name the fields without their values.
        changes = [Change(label(field), None, None) for field in details.get("fields") or []]
    status = details.get("status")
    if isinstance(status, list) and len(status) == 2 and status[0] != status[1]:
        changes.append(Change(label("status"), in_words("status", status[0]), status[1]))
    return changes


def label(field: str) -> str:
    return str(FIELDS.get(field, field.replace("_", " ")))


def in_words(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field == "language" and value in LANGUAGE_NAMES:
        return str(LANGUAGE_NAMES[value])
    return str(value).replace("_", " ") if field == "status" else str(value)
