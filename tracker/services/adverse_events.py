"""Adverse-event records and their reporting clocks: record, assess, report.

The rules: docs/compliance.md, Adverse-event records and Reporting clocks.

The rules of the clocks live in tracker.followup.reporting; this module keeps the records,
owns their transactions and audits every change. Nothing here ever deletes a record.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.exports.csv import encode_csv
from tracker.extensions import db
from tracker.followup.reporting import (
    CAUSALITY,
    OPEN_STATUSES,
    SERIOUSNESS,
    STATUSES,
    TO_ASSESS,
    aware_on_for,
    days_left,
    record_status,
    report_category,
    report_due_on,
)
from tracker.models import AdverseEvent, CheckIn, Clinic, Flag, Patient, Treatment
from tracker.models.adverse_event import OUTCOMES
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.scope import MAX_ID
from tracker.services.validation import N_, Checker, InvalidInput
from tracker.timeutil import now_utc
from tracker.vocabulary import ADVERSE_EVENT, TEXT_LIMIT

REPORT_DATE_FIELDS = (
    "reported_to_committee_on",
    "reported_to_minister_on",
    "processor_notified_on",
)


@dataclass(frozen=True)
class EventClock:
    """An adverse-event record with its report's category, due date and days left."""

    event: AdverseEvent
    category: str | None  # seven_day | fifteen_day | periodic_batch, None if not reportable
    due_on: date | None  # None once reported, or when not reportable
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def clinic_today(clinic: Clinic, now: datetime | None = None) -> date:
    """Return today in the clinic's zone: every clock counts the clinic's days."""
    return aware_on_for(now or now_utc(), clinic.timezone)


def event_clock(event: AdverseEvent, today: date) -> EventClock:
    """Work out an event's report category and, while it is open, its due date."""
    category = report_category(event.seriousness, event.causality)
    if event.status not in OPEN_STATUSES:
        return EventClock(event, category, None, None)
    submitted_on = event.plan.submitted_on if event.plan is not None else None
    due_on = report_due_on(event.seriousness, event.causality, event.aware_on, submitted_on)
    left = None if due_on is None else days_left(due_on, today)
    return EventClock(event, category, due_on, left)


def refresh_status(event: AdverseEvent) -> None:
    event.status = record_status(
        event.seriousness,
        event.causality,
        event.reported_to_committee_on,
        event.reported_to_minister_on,
    )


def record_reported_event(
    checkin: CheckIn, treatment: Treatment | None, opened: list[Flag], now: datetime
) -> AdverseEvent:
    """Make the record of an event a patient reported, and link its flag (caller's transaction)."""
    clinic = checkin.patient.clinic
    event = AdverseEvent(
        clinic_id=checkin.clinic_id,
        patient_id=checkin.patient_id,
        treatment_id=treatment.id if treatment is not None else None,
        plan_id=treatment.plan_id if treatment is not None else None,
        checkin_id=checkin.id,
        source="checkin",
        aware_on=aware_on_for(checkin.submitted_at, clinic.timezone),
        description=checkin.adverse_event_details or "",
        status=TO_ASSESS,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    for flag in opened:
        if flag.kind == ADVERSE_EVENT and flag.checkin_id == checkin.id:
            flag.adverse_event_id = event.id
    record_audit(
        event.clinic_id,
        "adverse_event.create",
        "adverse_event",
        event.id,
        None,
        "system",
        {"patient_id": event.patient_id, "checkin_id": checkin.id},
    )
    return event


def check_day(check: Checker, field: str, value, *, required: bool, today: date) -> date | None:
    """Read a calendar day (a date or ISO text) that is not in the clinic's future."""
    if value in (None, ""):
        if required:
            check.fail(field, N_("This field is required."))
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            check.fail(field, N_("Must be a date (YYYY-MM-DD)."))
            return None
    if isinstance(value, datetime) or not isinstance(value, date):
        check.fail(field, N_("Must be a date (YYYY-MM-DD)."))
        return None
    return check.past_date(field, value, today)


def patient_treatment(check: Checker, patient: Patient, value, on: date | None) -> Treatment | None:
    """The treatment an event follows: the one named, else the latest on or before the day."""
    if value in (None, ""):
        if on is None:
            return None
        earlier = [t for t in patient.treatments if t.treated_on <= on]
        return max(earlier, key=lambda t: (t.treated_on, t.id), default=None)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        check.fail("treatment_id", N_("Must be the id of one of the patient's treatments."))
        return None
    found = next((t for t in patient.treatments if t.id == value), None)
    if found is None:
        check.fail("treatment_id", N_("Must be the id of one of the patient's treatments."))
    return found


def check_new_event(patient: Patient, values: dict, today: date) -> dict:
    """Validate a clinician's entry of an event; aware_on defaults to today (clinic's zone)."""
    check = Checker()
    aware_on = check_day(
        check, "aware_on", values.get("aware_on") or today, required=True, today=today
    )
    onset_on = check_day(check, "onset_on", values.get("onset_on"), required=False, today=today)
    if aware_on and onset_on and onset_on > aware_on:
        check.fail("onset_on", N_("The event cannot begin after the clinic learned of it."))
    # Typed in a text area: what happened may take several lines.
    description = check.text(
        "description",
        values.get("description"),
        required=True,
        max_length=TEXT_LIMIT,
        multi_line=True,
    )
    treatment = patient_treatment(check, patient, values.get("treatment_id"), onset_on or aware_on)
    check.done()
    return {
        "aware_on": aware_on,
        "onset_on": onset_on,
        "description": description,
        "treatment": treatment,
    }


def create_adverse_event(
    patient: Patient, actor: Actor, values: dict, now: datetime | None = None
) -> AdverseEvent:
    """Record an event a clinician learned of (a phone call, a visit) and commit."""
    now = now or now_utc()
    cleaned = check_new_event(patient, values, clinic_today(patient.clinic, now))
    treatment = cleaned.pop("treatment")
    event = AdverseEvent(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        treatment_id=treatment.id if treatment is not None else None,
        plan_id=treatment.plan_id if treatment is not None else None,
        source="clinician",
        status=TO_ASSESS,
        created_by_id=actor.user.id if actor.user else None,
        created_at=now,
        **cleaned,
    )
    db.session.add(event)
    db.session.flush()
    record_audit(
        event.clinic_id,
        "adverse_event.create",
        "adverse_event",
        event.id,
        actor.user,
        actor.kind,
        {"patient_id": patient.id},
    )
    db.session.commit()
    return event


def check_assessment(event: AdverseEvent, values: dict, today: date) -> dict:
    check = Checker()
    cleaned = {
        "seriousness": check.choice("seriousness", values.get("seriousness"), SERIOUSNESS),
        "causality": check.choice("causality", values.get("causality"), CAUSALITY),
        "outcome": None,
        "onset_on": check_day(
            check, "onset_on", values.get("onset_on"), required=False, today=today
        ),
    }
    if values.get("outcome") not in (None, ""):
        cleaned["outcome"] = check.choice("outcome", values.get("outcome"), OUTCOMES)
    if cleaned["onset_on"] and cleaned["onset_on"] > event.aware_on:
        check.fail("onset_on", N_("The event cannot begin after the clinic learned of it."))
    check.done()
    return cleaned


def assess_adverse_event(
    event: AdverseEvent, actor: Actor, values: dict, now: datetime | None = None
) -> AdverseEvent:
    """Record (or revise) seriousness, causality, outcome and onset; the status follows."""
    now = now or now_utc()
    cleaned = check_assessment(event, values, clinic_today(event.patient.clinic, now))
    changes = change(event, cleaned)
    event.assessed_by_id = actor.user.id if actor.user else None
    event.assessed_at = now
    before = event.status
    refresh_status(event)
    record_audit(
        event.clinic_id,
        "adverse_event.assess",
        "adverse_event",
        event.id,
        actor.user,
        actor.kind,
        {"patient_id": event.patient_id, "changed": changes, "status": [before, event.status]},
    )
    db.session.commit()
    return event


def check_reports(event: AdverseEvent, values: dict, today: date) -> dict:
    check = Checker()
    if event.status == TO_ASSESS:
        check.fail("status", N_("Assess the event (seriousness and causality) before its report."))
    cleaned: dict = {}
    for field in REPORT_DATE_FIELDS:
        day = check_day(check, field, values.get(field), required=False, today=today)
        if day is not None and day < event.aware_on:
            check.fail(field, N_("Cannot be before the clinic learned of the event."))
        cleaned[field] = day
    cleaned["committee_opinion"] = check.text(
        "committee_opinion",
        values.get("committee_opinion") or "",
        required=False,
        max_length=TEXT_LIMIT,
        multi_line=True,
    )
    if not any(cleaned[field] for field in REPORT_DATE_FIELDS) and not cleaned["committee_opinion"]:
        check.fail("reported_to_committee_on", N_("Give the date of at least one report."))
    check.done()
    return cleaned


def record_reports(
    event: AdverseEvent, actor: Actor, values: dict, now: datetime | None = None
) -> AdverseEvent:
    """Record which bodies were told on which day, and the committee's opinion."""
    now = now or now_utc()
    cleaned = check_reports(event, values, clinic_today(event.patient.clinic, now))
    changes = change(event, cleaned)
    before = event.status
    refresh_status(event)
    record_audit(
        event.clinic_id,
        "adverse_event.reported",
        "adverse_event",
        event.id,
        actor.user,
        actor.kind,
        {"patient_id": event.patient_id, "changed": changes, "status": [before, event.status]},
    )
    db.session.commit()
    return event


def change(event: AdverseEvent, cleaned: dict) -> dict:
    """Set the values that differ; return them as [before, after] in words for the audit."""
    changes = {}
    for field, value in cleaned.items():
        if getattr(event, field) != value:
            changes[field] = [plain(getattr(event, field)), plain(value)]
            setattr(event, field, value)
    return changes


def plain(value):
    return value.isoformat() if isinstance(value, date) else value


def check_status_filter(status: str | None) -> str | None:
    """Read ?status=: one status, "open" (to assess or to report), or none for every record."""
    if status in (None, "", "all"):
        return None
    if status != "open" and status not in STATUSES:
        raise InvalidInput({"status": "Must be one of: open, all, " + ", ".join(STATUSES) + "."})
    return status


def clinic_events(
    clinic: Clinic, status: str | None, now: datetime | None = None
) -> list[EventClock]:
    """The clinic's records with their clocks: open ones by due date first, then the others."""
    query = (
        select(AdverseEvent)
        .where(AdverseEvent.clinic_id == clinic.id)
        .options(joinedload(AdverseEvent.plan), joinedload(AdverseEvent.patient))
        .order_by(AdverseEvent.aware_on, AdverseEvent.id)
    )
    if status == "open":
        query = query.where(AdverseEvent.status.in_(tuple(OPEN_STATUSES)))
    elif status is not None:
        query = query.where(AdverseEvent.status == status)
    today = clinic_today(clinic, now)
    clocks = [event_clock(event, today) for event in db.session.scalars(query)]
    return sorted(clocks, key=lambda c: (c.due_on is None, c.due_on or date.max, c.event.id))


def open_reports(clinic: Clinic, now: datetime | None = None) -> list[EventClock]:
    """The clinic's open reports, the soonest due first."""
    return clinic_events(clinic, "open", now)


def events_of_patient(patient: Patient, now: datetime | None = None) -> list[EventClock]:
    """A patient's records with their clocks, newest first."""
    today = clinic_today(patient.clinic, now)
    events = db.session.scalars(
        select(AdverseEvent)
        .where(AdverseEvent.patient_id == patient.id)
        .options(joinedload(AdverseEvent.plan))  # each clock reads its plan
        .order_by(AdverseEvent.aware_on.desc(), AdverseEvent.id.desc())
    )
    return [event_clock(event, today) for event in events]


def clocks_of_flags(flags: list[Flag], today_of) -> dict[int, EventClock]:
    """The clocks of the adverse-event records linked to these flags, by flag id (one query)."""
    wanted = {flag.adverse_event_id: flag.id for flag in flags if flag.adverse_event_id}
    if not wanted:
        return {}
    events = db.session.scalars(
        select(AdverseEvent)
        .where(AdverseEvent.id.in_(wanted))
        .options(joinedload(AdverseEvent.plan), joinedload(AdverseEvent.patient))
    )
    return {wanted[event.id]: event_clock(event, today_of(event)) for event in events}


ADVERSE_EVENT_COLUMNS = (
    "id",
    "patient_external_id",
    "patient_name",
    "plan_number",
    "aware_on",
    "onset_on",
    "description",
    "seriousness",
    "causality",
    "outcome",
    "status",
    "report",
    "due_on",
    "days_left",
    "reported_to_committee_on",
    "reported_to_minister_on",
    "processor_notified_on",
    "committee_opinion",
)


def adverse_events_table(clinic: Clinic, actor: Actor) -> Iterator[bytes]:
    """Audit the export, then yield the CSV of every adverse-event record with its clock."""
    record_audit(clinic.id, "export.adverse_events", "clinic", clinic.id, actor.user, actor.kind)
    db.session.commit()
    rows = (
        (
            clock.event.id,
            clock.event.patient.external_id,
            clock.event.patient.name,
            clock.event.plan.plan_number if clock.event.plan else "",
            clock.event.aware_on,
            clock.event.onset_on,
            clock.event.description,
            clock.event.seriousness,
            clock.event.causality,
            clock.event.outcome,
            clock.event.status,
            clock.category,
            clock.due_on,
            clock.days_left,
            clock.event.reported_to_committee_on,
            clock.event.reported_to_minister_on,
            clock.event.processor_notified_on,
            clock.event.committee_opinion,
        )
        for clock in clinic_events(clinic, None)
    )
    return encode_csv(ADVERSE_EVENT_COLUMNS, rows)
