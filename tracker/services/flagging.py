"""Persist the flag decisions of the domain core, and the clinicians' decisions on flags."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from tracker.extensions import db
from tracker.followup.flags import (
    ACTIVE_STATUSES,
    ADVERSE_EVENT,
    BASELINE_LOOKBACK_DAYS,
    STIFFNESS_KINDS,
    ExistingFlag,
    FlagChange,
    Reading,
    Thresholds,
    adverse_event_changes,
    choose_baseline,
    evaluate_treatment,
    series_closed_on,
    treatment_series,
)
from tracker.models import CheckIn, Clinic, Flag, Treatment
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.validation import N_, Checker
from tracker.vocabulary import (
    ACKNOWLEDGED,
    FLAG_KINDS,
    MISSED_MILESTONE,
    OPEN,
    RESOLVED,
    TEXT_LIMIT,
)

# The resolutions the system sets on its own.
BOOSTER_GIVEN = "booster_given"
CHECKED_IN = "checked_in"
# What a clinician may decide; CHECKED_IN is set only when a patient with a missed milestone
# checks in later.
CLINICIAN_RESOLUTIONS = ("booster_scheduled", BOOSTER_GIVEN, "monitor", "dismissed")


def thresholds_for(clinic: Clinic) -> Thresholds:
    """Read a clinic's flag thresholds as the domain core's value."""
    return Thresholds(
        early_days=clinic.early_days,
        min_improvement=clinic.min_improvement,
        rise_points=clinic.rise_points,
        sustain_days=clinic.sustain_days,
        severe_pain=clinic.severe_pain,
        non_responder_days=clinic.non_responder_days,
    )


READING_COLUMNS = (
    CheckIn.id,
    CheckIn.recorded_on,
    CheckIn.pain,
    CheckIn.stiffness,
    CheckIn.adverse_event,
    CheckIn.adverse_event_details,
)


def reading_of(checkin: CheckIn) -> Reading:
    """The rules' reading of a check-in (or of a row of READING_COLUMNS)."""
    return Reading(
        checkin_id=checkin.id,
        recorded_on=checkin.recorded_on,
        pain=checkin.pain,
        stiffness=checkin.stiffness,
        adverse_event=checkin.adverse_event,
        adverse_event_details=checkin.adverse_event_details or None,
    )


@dataclass(frozen=True)
class TreatmentEvaluation:
    """What evaluating a treatment decided: the flags it opened (flushed and audited), and the
    day a confirmation reading is wanted when a rise is only suspected (else None)."""

    opened: list[Flag]
    confirmation_on: date | None


def evaluate_patient_treatment(
    treatment: Treatment,
    now: datetime,
    *,
    confirmation_pending: bool,
    patient_flags: list[Flag] | None = None,
) -> TreatmentEvaluation:
    """Evaluate one treatment's series and persist its flag changes; return what was decided.

    Asking for the confirmation is the caller's: this service writes flags alone. A caller
    that loaded the patient's flags passes them, so that one check-in reads each table once.
    """
    patient = treatment.patient
    thresholds = thresholds_for(patient.clinic)
    series_ends_on = series_closed_on(
        treatment.treated_on, (t.treated_on for t in patient.treatments)
    )
    since = treatment.treated_on - timedelta(days=BASELINE_LOOKBACK_DAYS)
    # Only the series and the days its baseline may come from.
    in_series = [CheckIn.patient_id == patient.id, CheckIn.recorded_on >= since]
    if series_ends_on is not None:
        in_series.append(CheckIn.recorded_on < series_ends_on)
    # Columns, not CheckIn objects: the rules read six values of each.
    readings = [
        reading_of(row) for row in db.session.execute(select(*READING_COLUMNS).where(*in_series))
    ]
    series = treatment_series(treatment.treated_on, series_ends_on, readings)
    baseline = choose_baseline(
        treatment.baseline_pain, treatment.baseline_stiffness, treatment.treated_on, readings
    )
    if patient_flags is None:
        patient_flags = flags_of_patient(patient.id)
    # A report flagged before a backdated treatment covered it is flagged already.
    flags = [f for f in patient_flags if f.treatment_id == treatment.id or f.kind == ADVERSE_EVENT]
    existing = [ExistingFlag(f.id, f.kind, f.status, f.evidence or {}) for f in flags]
    evaluation = evaluate_treatment(
        treatment.treated_on,
        baseline,
        series,
        thresholds,
        existing,
        confirmation_pending,
        series_closed=series_ends_on is not None,
    )
    by_id = {flag.id: flag for flag in flags}
    opened = []
    for change in evaluation.changes:
        if change.action == "open":
            opened.append(
                open_flag(
                    change,
                    now,
                    clinic_id=patient.clinic_id,
                    patient_id=patient.id,
                    treatment_id=treatment.id,
                )
            )
        else:
            flag = by_id[change.flag_id]
            if change.action == "escalate":
                flag.escalated_at = now
            flag.kind = change.kind
            flag.evidence = change.evidence
            flag.checkin_id = change.checkin_id
    if opened:
        db.session.flush()
    for flag in opened:
        audit_opened(flag)
    return TreatmentEvaluation(opened, evaluation.confirmation_on)


def in_worklist_order(flags: list[Flag]) -> list[Flag]:
    """The active flags among these, in worklist order (kind, then oldest first)."""
    active = [flag for flag in flags if flag.status in ACTIVE_STATUSES]
    return sorted(active, key=lambda f: (FLAG_KINDS.index(f.kind), f.opened_at, f.id))


def flags_of_patient(patient_id: int) -> list[Flag]:
    """Every flag of the patient, whatever its status (a patient has a handful)."""
    return list(db.session.scalars(select(Flag).where(Flag.patient_id == patient_id)))


def evaluate_untreated_checkin(checkin: CheckIn, now: datetime) -> list[Flag]:
    """Flag an adverse event reported before any treatment; return the new flags."""
    patient = checkin.patient
    changes = adverse_event_changes(None, [reading_of(checkin)], [])
    opened = [
        open_flag(
            change, now, clinic_id=patient.clinic_id, patient_id=patient.id, treatment_id=None
        )
        for change in changes
    ]
    db.session.flush()
    for flag in opened:
        audit_opened(flag)
    return opened


def open_flag(
    change: FlagChange,
    now: datetime,
    *,
    clinic_id: int,
    patient_id: int,
    treatment_id: int | None,
    reminder_id: int | None = None,
) -> Flag:
    """Add the flag a change opens (in the caller's transaction); audit it after the flush.

    reminder_id: the milestone whose missed window opened the flag.
    """
    flag = Flag(
        clinic_id=clinic_id,
        patient_id=patient_id,
        treatment_id=treatment_id,
        checkin_id=change.checkin_id,
        reminder_id=reminder_id,
        kind=change.kind,
        status=OPEN,
        evidence=change.evidence,
        opened_at=now,
    )
    db.session.add(flag)
    return flag


def audit_opened(flag: Flag) -> None:
    """Log that the system opened a flag (after the flush that gave it an id)."""
    record_audit(
        flag.clinic_id,
        "flag.open",
        "flag",
        flag.id,
        None,
        "system",
        {"kind": flag.kind, "patient_id": flag.patient_id},
    )


def booster_recorded(booster: Treatment, actor: Actor, now: datetime) -> None:
    """Resolve the boosted treatment's open stiffness flags: the booster is the decision."""
    flags = db.session.scalars(
        select(Flag).where(
            Flag.treatment_id == booster.booster_of_id,
            Flag.kind.in_(tuple(STIFFNESS_KINDS)),
            Flag.status.in_(tuple(ACTIVE_STATUSES)),
        )
    ).all()
    for flag in flags:
        resolve(flag, actor, BOOSTER_GIVEN, f"Booster recorded for {booster.treated_on}.", now)


def resolve(flag: Flag, actor: Actor, resolution: str, note: str, now: datetime) -> Flag:
    """Close a flag with the decision taken (in the caller's transaction)."""
    flag.status = RESOLVED
    flag.resolution = resolution
    flag.note = note
    flag.resolved_at = now
    flag.resolved_by_id = actor.user.id if actor.user else None
    if flag.owner_id is None and actor.user is not None:
        flag.owner_id = actor.user.id
    record_audit(
        flag.clinic_id,
        "flag.resolve",
        "flag",
        flag.id,
        actor.user,
        actor.kind,
        {"resolution": resolution, "patient_id": flag.patient_id},
    )
    return flag


def resolve_missed_milestones(
    treatment: Treatment, now: datetime, patient_flags: list[Flag] | None = None
) -> None:
    """A check-in after a missed milestone closes its flag: the patient is back in touch."""
    if patient_flags is None:
        patient_flags = flags_of_patient(treatment.patient_id)
    for flag in patient_flags:
        if (
            flag.treatment_id == treatment.id
            and flag.kind == MISSED_MILESTONE
            and flag.status in ACTIVE_STATUSES
        ):
            resolve(flag, Actor(None, "system"), CHECKED_IN, "The patient checked in later.", now)


def acknowledge_flag(flag: Flag, actor: Actor, now: datetime) -> Flag:
    """Take ownership of a flag; a resolved flag stays as it was decided."""
    user_id = actor.user.id if actor.user else None
    changed = decide(
        flag,
        status=ACKNOWLEDGED,
        owner_id=func.coalesce(user_id, Flag.owner_id),
        acknowledged_at=now,
        acknowledged_by_id=user_id,
        updated_at=now,
    )
    if not changed:
        raise FlagClosed(N_("This flag is resolved already."))
    record_audit(
        flag.clinic_id,
        "flag.acknowledge",
        "flag",
        flag.id,
        actor.user,
        actor.kind,
        {"patient_id": flag.patient_id},
    )
    db.session.commit()
    db.session.refresh(flag)
    return flag


def resolve_flag(flag: Flag, actor: Actor, resolution: str, note: str, now: datetime) -> Flag:
    """Record a clinician's decision on a flag (checked_in is the system's alone)."""
    check = Checker()
    check.choice("resolution", resolution, CLINICIAN_RESOLUTIONS)
    note = check.text("note", note or "", required=False, max_length=TEXT_LIMIT, multi_line=True)
    check.done()
    user_id = actor.user.id if actor.user else None
    changed = decide(
        flag,
        status=RESOLVED,
        resolution=resolution,
        note=note,
        resolved_at=now,
        resolved_by_id=user_id,
        owner_id=func.coalesce(Flag.owner_id, user_id),
        updated_at=now,
    )
    if not changed:
        raise FlagClosed(N_("This flag is resolved already."))
    record_audit(
        flag.clinic_id,
        "flag.resolve",
        "flag",
        flag.id,
        actor.user,
        actor.kind,
        {"resolution": resolution, "patient_id": flag.patient_id},
    )
    db.session.commit()
    db.session.refresh(flag)
    return flag


def decide(flag: Flag, **values) -> bool:
    """Change a flag only if it is still undecided: two clinicians at once cannot both win."""
    result = db.session.execute(
        update(Flag)
        .where(Flag.id == flag.id, Flag.status.in_(tuple(ACTIVE_STATUSES)))
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


class FlagClosed(Exception):
    """A decision was asked of a flag that is already resolved."""
