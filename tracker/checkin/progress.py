"""A patient's own progress: their check-ins over days since treatment, as a table and a chart."""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tracker.chart_geometry import SCORE_MAX, Plot, Scale, Tick, points_through
from tracker.extensions import db
from tracker.models import CheckIn, Patient, Reminder, Treatment
from tracker.vocabulary import MILESTONE, PENDING_STATUSES, SENDING, SENT

# A milestone still to be answered: planned, being sent, or sent and not yet answered.
AWAITED = (*PENDING_STATUSES, SENDING, SENT)

# Chart size, in SVG user units; the SVG scales to the width of the screen.
WIDTH, HEIGHT = 340, 190
MOST_POINTS = 200


@dataclass(frozen=True)
class ProgressRow:
    recorded_on: date
    day: int  # days since the patient's first treatment (negative before it)
    stiffness: int
    pain: int
    morning_stiffness_minutes: int | None
    swelling: int | None
    # The pre-treatment state the clinic recorded, shown so progress has a starting point.
    is_baseline: bool = False


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: int
    is_baseline: bool = False


@dataclass
class ProgressChart:
    width: int = WIDTH
    height: int = HEIGHT
    plot: Plot = Plot.inside(WIDTH, HEIGHT, left=30, top=14, right=14, bottom=30)
    stiffness: list[ChartPoint] = field(default_factory=list)
    pain: list[ChartPoint] = field(default_factory=list)
    # (x, is_booster) of each treatment inside the drawn days.
    treatments: list[tuple[float, bool]] = field(default_factory=list)
    score_ticks: list[Tick] = field(default_factory=list)
    first_day: int = 0
    last_day: int = 0

    @property
    def stiffness_line(self) -> str:
        return points_through([(p.x, p.y) for p in self.stiffness])

    @property
    def pain_line(self) -> str:
        return points_through([(p.x, p.y) for p in self.pain])


@dataclass
class Progress:
    rows: list[ProgressRow]  # newest first, for the table
    chart: ProgressChart | None
    treated_on: list[date]


def patient_progress(patient_id: int) -> Progress:
    """Collect one patient's check-ins and treatments (nobody else's) for display."""
    treatments = db.session.scalars(
        select(Treatment)
        .where(Treatment.patient_id == patient_id)
        .order_by(Treatment.treated_on, Treatment.id)
    ).all()
    checkins = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.patient_id == patient_id)
        .order_by(CheckIn.recorded_on.desc(), CheckIn.id.desc())
        .limit(MOST_POINTS)
    ).all()
    checkins = list(reversed(checkins))
    origin = treatments[0].treated_on if treatments else None
    if origin is None and checkins:
        origin = checkins[0].recorded_on
    rows = [
        ProgressRow(
            recorded_on=checkin.recorded_on,
            day=(checkin.recorded_on - origin).days,
            stiffness=checkin.stiffness,
            pain=checkin.pain,
            morning_stiffness_minutes=checkin.morning_stiffness_minutes,
            swelling=checkin.swelling,
        )
        for checkin in checkins
    ]
    if rows:
        rows = sorted(
            rows + baseline_rows(treatments, origin), key=lambda row: (row.day, not row.is_baseline)
        )
    treatment_days = [
        ((t.treated_on - origin).days, t.booster_of_id is not None) for t in treatments
    ]
    return Progress(
        rows=list(reversed(rows)),
        chart=build_chart(rows, treatment_days) if rows else None,
        treated_on=[t.treated_on for t in treatments],
    )


def baseline_rows(treatments: list[Treatment], origin: date) -> list[ProgressRow]:
    """One row per treatment with a recorded baseline, on the day of the treatment."""
    return [
        ProgressRow(
            recorded_on=t.treated_on,
            day=(t.treated_on - origin).days,
            stiffness=t.baseline_stiffness,
            pain=t.baseline_pain,
            morning_stiffness_minutes=t.baseline_morning_stiffness_minutes,
            swelling=None,
            is_baseline=True,
        )
        for t in treatments
        if t.baseline_stiffness is not None and t.baseline_pain is not None
    ]


def build_chart(rows: list[ProgressRow], treatment_days: list[tuple[int, bool]]) -> ProgressChart:
    """Place oldest-first rows on the score scale (0 to SCORE_MAX) against days since treatment."""
    chart = ProgressChart()
    first_day = min([rows[0].day, *(day for day, _ in treatment_days if day <= rows[-1].day)])
    last_day = max(rows[-1].day, first_day + 1)
    chart.first_day, chart.last_day = first_day, last_day
    x_of = Scale(first_day, last_day, chart.plot.left, chart.plot.right)
    y_of = Scale(0, SCORE_MAX, chart.plot.bottom, chart.plot.top)

    chart.stiffness = [
        ChartPoint(x_of(r.day), y_of(r.stiffness), r.stiffness, r.is_baseline) for r in rows
    ]
    chart.pain = [ChartPoint(x_of(r.day), y_of(r.pain), r.pain, r.is_baseline) for r in rows]
    chart.treatments = [
        (x_of(day), booster) for day, booster in treatment_days if first_day <= day <= last_day
    ]
    chart.score_ticks = [
        Tick(value, y_of(value), str(value)) for value in (0, SCORE_MAX // 2, SCORE_MAX)
    ]
    return chart


@dataclass(frozen=True)
class NextCheckin:
    """The patient's next milestone check-in: its day in their zone and the weeks it marks."""

    due_on: date
    milestone_weeks: int


def next_checkin(patient: Patient, now: datetime) -> NextCheckin | None:
    """Return the patient's next awaited milestone whose window is still open, or None."""
    reminder = db.session.scalar(
        select(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.kind == MILESTONE,
            Reminder.status.in_(AWAITED),
            Reminder.window_closes_at > now,
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
    )
    if reminder is None:
        return None
    due_on = reminder.due_on or reminder.due_at.astimezone(ZoneInfo(patient.timezone)).date()
    return NextCheckin(due_on, reminder.milestone_weeks)


def checked_in_on(patient_id: int, day: date) -> bool:
    """Tell whether the patient has a check-in recorded on this day (in their zone)."""
    found = db.session.scalar(
        select(CheckIn.id)
        .where(CheckIn.patient_id == patient_id, CheckIn.recorded_on == day)
        .limit(1)
    )
    return found is not None
