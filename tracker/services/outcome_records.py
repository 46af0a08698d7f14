"""Load treatments' outcome histories from the records and assess them.

The rules: docs/outcomes-and-reporting.md, Per treatment.

Rows are read as plain tuples (no ORM objects): a clinic of 20,000 patients has 400,000
check-ins. Everything is computed from treatments, check-ins, stiffness flags and outcome
events, so no stored figure can drift from the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import Select, select

from tracker.extensions import db
from tracker.followup.flags import STIFFNESS_KINDS, series_closed_on, treatment_series
from tracker.followup.outcomes import (
    OutcomeEvent as OutcomeEventFact,
)
from tracker.followup.outcomes import (
    OutcomeReading,
    TreatmentFacts,
    TreatmentHistory,
    TreatmentOutcome,
    assess_treatment,
)
from tracker.models import CheckIn, Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.services.flagging import thresholds_for
from tracker.services.follow_up_schedule import schedule_settings
from tracker.timeutil import today_in


@dataclass(frozen=True)
class TreatmentRow:
    """What a treatment's outcome row shows beside its figures."""

    patient_id: int
    outcome: TreatmentOutcome
    loss_on: date | None  # first stiffness run on or after the first improvement


def clinic_histories(
    clinic: Clinic, patient_ids: Collection[int] | None = None
) -> list[tuple[int, TreatmentHistory]]:
    """Load (patient id, history) of the clinic's treatments, or of these patients' (four statements)."""
    mine = [Treatment.patient_id.in_(patient_ids)] if patient_ids is not None else []
    treatments = db.session.execute(
        select(
            Treatment.id,
            Treatment.patient_id,
            Treatment.treated_on,
            Treatment.kind,
            Treatment.route,
            Treatment.kl_grade,
            Treatment.baseline_pain,
            Treatment.baseline_stiffness,
            Treatment.baseline_function,
            Treatment.baseline_global_assessment,
            Patient.timezone,
        )
        .join(Patient, Patient.id == Treatment.patient_id)
        .where(Treatment.clinic_id == clinic.id, *mine)
    ).all()
    if not treatments:
        return []
    # The next treatment closes a series.
    treated_days: dict[int, list[date]] = defaultdict(list)
    for row in treatments:
        treated_days[row.patient_id].append(row.treated_on)
    checkins = _checkins_by_patient(clinic.id, patient_ids)
    runs = _stiffness_runs(clinic.id, patient_ids)
    events = _outcome_events(clinic.id, patient_ids)
    schedule = schedule_settings(clinic)
    todays: dict[str, date] = {}
    histories = []
    for row in treatments:
        today = todays.get(row.timezone) or todays.setdefault(row.timezone, today_in(row.timezone))
        facts = TreatmentFacts(
            treatment_id=row.id,
            treated_on=row.treated_on,
            kind=row.kind,
            route=row.route,
            kl_grade=row.kl_grade,
            today=max(today, row.treated_on),
            baseline_pain=row.baseline_pain,
            baseline_stiffness=row.baseline_stiffness,
            baseline_function=row.baseline_function,
            baseline_global_assessment=row.baseline_global_assessment,
            schedule=schedule,
        )
        history = TreatmentHistory(
            facts=facts,
            checkins=checkins.get(row.patient_id, ()),
            stiffness_runs_started_on=tuple(runs.get(row.id, ())),
            outcome_events=tuple(events.get(row.id, ())),
            series_closed_on=series_closed_on(row.treated_on, treated_days[row.patient_id]),
        )
        histories.append((row.patient_id, history))
    return histories


def assess(clinic: Clinic, histories: list[tuple[int, TreatmentHistory]]) -> list[TreatmentRow]:
    """Assess each loaded treatment; note the day its effect began to fade, if it did."""
    thresholds = thresholds_for(clinic)
    rows = []
    for patient_id, history in histories:
        outcome = assess_treatment(history, thresholds)
        loss_on = None
        if outcome.durability.exit == "event":
            loss_on = history.facts.treated_on + timedelta(days=outcome.durability.day)
        rows.append(TreatmentRow(patient_id, outcome, loss_on))
    return rows


def trajectory_points(history: TreatmentHistory) -> list[tuple[int, int, int]]:
    """Return (days since treatment, stiffness, pain) of each reading in the treatment's series."""
    treated_on = history.facts.treated_on
    series = treatment_series(treated_on, history.series_closed_on, history.checkins)
    return [((r.recorded_on - treated_on).days, r.stiffness, r.pain) for r in series]


def _checkins_by_patient(
    clinic_id: int, patient_ids: Collection[int] | None
) -> dict[int, tuple[OutcomeReading, ...]]:
    statement = select(
        CheckIn.patient_id,
        CheckIn.id,
        CheckIn.recorded_on,
        CheckIn.pain,
        CheckIn.stiffness,
        CheckIn.function,
        CheckIn.global_assessment,
    ).where(CheckIn.clinic_id == clinic_id)
    if patient_ids is not None:
        statement = statement.where(CheckIn.patient_id.in_(patient_ids))
    readings: dict[int, list[OutcomeReading]] = defaultdict(list)
    days: dict = {}
    for owner, checkin_id, recorded_on, pain, stiffness, function, overall in driver_rows(
        statement
    ):
        # SQLite hands back dates as text; a clinic's check-ins share a few hundred days.
        day = days.get(recorded_on) or days.setdefault(recorded_on, _as_date(recorded_on))
        readings[owner].append(
            _reading(checkin_id, day, pain, stiffness, False, None, function, overall)
        )
    return {owner: tuple(series) for owner, series in readings.items()}


_READING_FIELDS = tuple(field.name for field in fields(OutcomeReading))


def _reading(*values) -> OutcomeReading:
    """Make a reading as OutcomeReading(*values) would, at half the cost."""
    # A frozen dataclass sets each field through object.__setattr__; filling the instance's
    # dict at once gives the same object, and 400,000 of them take a quarter second less.
    reading = object.__new__(OutcomeReading)
    reading.__dict__.update(zip(_READING_FIELDS, values, strict=True))
    return reading


def driver_rows(statement: Select) -> list[tuple]:
    """Run a statement and return the driver's own tuples, without SQLAlchemy's Row objects."""
    # 400,000 check-ins are too many to wrap one by one: the plain tuples are several times
    # faster, and the columns read here (integers and one date) need no conversion but that.
    result = db.session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _stiffness_runs(clinic_id: int, patient_ids: Collection[int] | None) -> dict[int, list[date]]:
    """Return the run_started_on of each treatment's booster_window/relapse flags, any status."""
    statement = select(Flag.treatment_id, Flag.evidence).where(
        Flag.clinic_id == clinic_id,
        Flag.kind.in_(sorted(STIFFNESS_KINDS)),
        Flag.treatment_id.is_not(None),
    )
    if patient_ids is not None:
        statement = statement.where(Flag.patient_id.in_(patient_ids))
    runs: dict[int, list[date]] = defaultdict(list)
    for treatment_id, evidence in db.session.execute(statement).tuples():
        started = (evidence or {}).get("run_started_on")
        if started:
            runs[treatment_id].append(date.fromisoformat(started))
    return runs


def _outcome_events(
    clinic_id: int, patient_ids: Collection[int] | None
) -> dict[int, list[OutcomeEventFact]]:
    statement = select(
        OutcomeEvent.treatment_id, OutcomeEvent.kind, OutcomeEvent.occurred_on
    ).where(OutcomeEvent.clinic_id == clinic_id)
    if patient_ids is not None:
        statement = statement.where(OutcomeEvent.patient_id.in_(patient_ids))
    events: dict[int, list[OutcomeEventFact]] = defaultdict(list)
    for treatment_id, kind, occurred_on in db.session.execute(statement).tuples():
        events[treatment_id].append(OutcomeEventFact(kind, occurred_on))
    return events
