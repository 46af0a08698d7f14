"""Load a clinic's outcome facts in a few statements and summarise them (DESIGN section 9).

Everything is computed on read from treatments, check-ins, stiffness flags and outcome
events, so no stored figure can drift from the records; figures are only reused while those
records are unchanged (services/remembered.py). Rows are read as plain tuples (no ORM
objects): a clinic of 20,000 patients has 400,000 check-ins.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import Select, select

from tracker.extensions import db
from tracker.followup.flags import STIFFNESS_KINDS, treatment_series
from tracker.followup.outcome_summary import GROUP_BY, summarise
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
from tracker.followup.trajectory import Trajectory, median_trajectory
from tracker.models import CheckIn, Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.models.treatment import KINDS, ROUTES
from tracker.services.flagging import thresholds_for
from tracker.services.remembered import remembered
from tracker.services.reminders import schedule_settings
from tracker.services.validation import Checker
from tracker.timeutil import today_in


@dataclass(frozen=True)
class OutcomeQuery:
    """Which treatments the figures cover, and how they are grouped."""

    group_by: str | None = None
    kind: str | None = None
    kl_grade: int | None = None
    route: str | None = None
    treated_from: date | None = None
    treated_to: date | None = None

    def covers(self, kind: str, route: str, kl_grade: int | None, treated_on: date) -> bool:
        """Tell whether a treatment passes the filters."""
        return (
            (self.kind is None or kind == self.kind)
            and (self.route is None or route == self.route)
            and (self.kl_grade is None or kl_grade == self.kl_grade)
            and (self.treated_from is None or treated_on >= self.treated_from)
            and (self.treated_to is None or treated_on <= self.treated_to)
        )


def check_outcome_query(values: dict) -> OutcomeQuery:
    """Validate the filters and grouping; unknown values are refused per field."""
    check = Checker()
    group_by = values.get("group_by") or None
    if group_by is not None:
        check.choice("group_by", group_by, GROUP_BY)
    kind = values.get("kind") or None
    if kind is not None:
        check.choice("kind", kind, tuple(KINDS))
    route = values.get("route") or None
    if route is not None:
        check.choice("route", route, tuple(ROUTES))
    kl_grade = check.score("kl_grade", values.get("kl_grade"), required=False, high=4)
    treated_from, treated_to = values.get("treated_from"), values.get("treated_to")
    for name, day in (("treated_from", treated_from), ("treated_to", treated_to)):
        if day is not None and not isinstance(day, date):
            check.fail(name, "Must be a date (YYYY-MM-DD).")
    both = isinstance(treated_from, date) and isinstance(treated_to, date)
    if both and treated_from > treated_to:
        check.fail("treated_to", "Must be on or after treated_from.")
    check.done()
    return OutcomeQuery(group_by, kind, kl_grade, route, treated_from, treated_to)


@dataclass(frozen=True)
class TreatmentRow:
    """What a treatment's outcome row shows beside its figures."""

    patient_id: int
    outcome: TreatmentOutcome
    loss_on: date | None  # first stiffness run on or after the first improvement


def clinic_histories(
    clinic: Clinic, query: OutcomeQuery | None = None, patient_id: int | None = None
) -> list[tuple[int, TreatmentHistory]]:
    """Load (patient id, history) of every treatment the query covers (four statements)."""
    query = query or OutcomeQuery()
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
        .where(Treatment.clinic_id == clinic.id)
        .where(*([Treatment.patient_id == patient_id] if patient_id is not None else []))
    ).all()
    # The next treatment closes a series whether or not the filters cover it.
    treated_days: dict[int, list[date]] = defaultdict(list)
    for row in treatments:
        treated_days[row.patient_id].append(row.treated_on)
    covered = [
        row for row in treatments if query.covers(row.kind, row.route, row.kl_grade, row.treated_on)
    ]
    if not covered:
        return []
    narrowed = len(covered) < len(treatments)
    checkins = _checkins_by_patient(
        clinic.id, patient_id, _covered_patients(clinic.id, query) if narrowed else None
    )
    runs = _stiffness_runs(clinic.id, patient_id)
    events = _outcome_events(clinic.id, patient_id)
    schedule = schedule_settings(clinic)
    todays: dict[str, date] = {}
    histories = []
    for row in covered:
        today = todays.get(row.timezone) or todays.setdefault(row.timezone, today_in(row.timezone))
        later = [day for day in treated_days[row.patient_id] if day > row.treated_on]
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
            series_closed_on=min(later, default=None),
        )
        histories.append((row.patient_id, history))
    return histories


def _covered_patients(clinic_id: int, query: OutcomeQuery) -> Select:
    """Select the patients with a treatment the query covers (to load only their check-ins)."""
    conditions = [Treatment.clinic_id == clinic_id]
    for column, value in (
        (Treatment.kind, query.kind),
        (Treatment.route, query.route),
        (Treatment.kl_grade, query.kl_grade),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.treated_from is not None:
        conditions.append(Treatment.treated_on >= query.treated_from)
    if query.treated_to is not None:
        conditions.append(Treatment.treated_on <= query.treated_to)
    return select(Treatment.patient_id).where(*conditions)


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


def clinic_outcomes(
    clinic: Clinic, query: OutcomeQuery | None = None, patient_id: int | None = None
) -> list[TreatmentRow]:
    """Assess every treatment of the clinic that the query covers (five statements)."""
    return assess(clinic, clinic_histories(clinic, query, patient_id))


def trajectory_of(histories: list[tuple[int, TreatmentHistory]]) -> Trajectory:
    """Return the weekly median stiffness and pain over the treatments' series."""
    points = []
    for _, history in histories:
        treated_on = history.facts.treated_on
        series = treatment_series(treated_on, history.series_closed_on, history.checkins)
        points.extend(((r.recorded_on - treated_on).days, r.stiffness, r.pain) for r in series)
    return median_trajectory(points)


def outcome_figures(clinic: Clinic, query: OutcomeQuery) -> dict:
    """Return the section 9 figures of the clinic's treatments that the query covers."""

    def compute() -> dict:
        return summarise([row.outcome for row in clinic_outcomes(clinic, query)], query.group_by)

    return copy.deepcopy(remembered(clinic, ("figures", query), compute))


@dataclass(frozen=True)
class OutcomeOverview:
    """Everything the Outcomes page shows, computed together from one load."""

    treatments: int
    figures: dict
    by_kl_grade: dict
    by_route: dict
    trajectory: Trajectory


def outcome_overview(clinic: Clinic, query: OutcomeQuery) -> OutcomeOverview:
    """Return the page's figures: as grouped, by KL grade and route, and the median course."""

    def compute() -> OutcomeOverview:
        histories = clinic_histories(clinic, query)
        outcomes = [row.outcome for row in assess(clinic, histories)]
        figures = summarise(outcomes, query.group_by)
        return OutcomeOverview(
            treatments=len(outcomes),
            figures=figures,
            by_kl_grade=figures
            if query.group_by == "kl_grade"
            else summarise(outcomes, "kl_grade"),
            by_route=figures if query.group_by == "route" else summarise(outcomes, "route"),
            trajectory=trajectory_of(histories),
        )

    return copy.deepcopy(remembered(clinic, ("overview", query), compute))


def _checkins_by_patient(
    clinic_id: int, patient_id: int | None, narrowed_to: Select | None
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
    if patient_id is not None:
        statement = statement.where(CheckIn.patient_id == patient_id)
    elif narrowed_to is not None:
        statement = statement.where(CheckIn.patient_id.in_(narrowed_to))
    readings: dict[int, list[OutcomeReading]] = defaultdict(list)
    days: dict = {}
    for owner, checkin_id, recorded_on, pain, stiffness, function, overall in _driver_rows(
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


def _driver_rows(statement: Select) -> list[tuple]:
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


def _stiffness_runs(clinic_id: int, patient_id: int | None) -> dict[int, list[date]]:
    """Return the run_started_on of each treatment's booster_window/relapse flags, any status."""
    statement = select(Flag.treatment_id, Flag.evidence).where(
        Flag.clinic_id == clinic_id,
        Flag.kind.in_(sorted(STIFFNESS_KINDS)),
        Flag.treatment_id.is_not(None),
    )
    if patient_id is not None:
        statement = statement.where(Flag.patient_id == patient_id)
    runs: dict[int, list[date]] = defaultdict(list)
    for treatment_id, evidence in db.session.execute(statement).tuples():
        started = (evidence or {}).get("run_started_on")
        if started:
            runs[treatment_id].append(date.fromisoformat(started))
    return runs


def _outcome_events(clinic_id: int, patient_id: int | None) -> dict[int, list[OutcomeEventFact]]:
    statement = select(
        OutcomeEvent.treatment_id, OutcomeEvent.kind, OutcomeEvent.occurred_on
    ).where(OutcomeEvent.clinic_id == clinic_id)
    if patient_id is not None:
        statement = statement.where(OutcomeEvent.patient_id == patient_id)
    events: dict[int, list[OutcomeEventFact]] = defaultdict(list)
    for treatment_id, kind, occurred_on in db.session.execute(statement).tuples():
        events[treatment_id].append(OutcomeEventFact(kind, occurred_on))
    return events
