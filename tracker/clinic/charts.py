"""Geometry of the worklist sparkline and the patient chart: plain values in, coordinates out.

No Flask and no markup here: the templates write the SVG from these numbers, so no text a
person typed ever passes through Python-built markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from flask_babel import gettext

from tracker.chart_geometry import SCORE_MAX, Plot, Scale, Tick, path_through
from tracker.followup.flags import (
    ACTIVE_STATUSES,
    choose_baseline,
    eligible_readings,
    scan_stiffness,
    series_closed_on,
    treatment_series,
)
from tracker.followup.flags import Reading as SeriesReading
from tracker.followup.schedule import local_date
from tracker.services.flagging import thresholds_for

# Candidate spacings of the day ticks: a week up to a year.
DAY_STEPS = (7, 14, 28, 56, 91, 182, 364)
MAX_DAY_TICKS = 9


class Scored(Protocol):
    """Anything with a day, a stiffness and a pain score: a check-in or a domain Reading."""

    @property
    def recorded_on(self) -> date: ...

    @property
    def stiffness(self) -> int: ...

    @property
    def pain(self) -> int: ...


@dataclass(frozen=True)
class Reading:
    """One check-in as the charts see it."""

    recorded_on: date
    stiffness: int
    pain: int


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    stiffness_path: str
    pain_path: str
    last_stiffness: tuple[float, float]
    last_pain: tuple[float, float]
    summary: str


def sparkline(
    treated_on: date, readings: Sequence[Scored], width: int = 120, height: int = 36
) -> Sparkline | None:
    """Lay out stiffness and pain of one treatment's series over days since treatment."""
    if not readings:
        return None
    ordered = sorted(readings, key=lambda r: r.recorded_on)
    days = [(r.recorded_on - treated_on).days for r in ordered]
    pad = 3
    x = Scale(min(0, days[0]), max(days[-1], 14), pad, width - pad)
    y = Scale(0, SCORE_MAX, height - pad, pad)
    stiffness = [(x(day), y(r.stiffness)) for day, r in zip(days, ordered, strict=True)]
    pain = [(x(day), y(r.pain)) for day, r in zip(days, ordered, strict=True)]
    first, latest = ordered[0], ordered[-1]
    summary = gettext(
        "Stiffness %(stiffness_first)d to %(stiffness_latest)d, pain %(pain_first)d to"
        " %(pain_latest)d, day %(first_day)d to day %(last_day)d (%(count)d check-ins)",
        stiffness_first=first.stiffness,
        stiffness_latest=latest.stiffness,
        pain_first=first.pain,
        pain_latest=latest.pain,
        first_day=days[0],
        last_day=days[-1],
        count=len(ordered),
    )
    return Sparkline(
        width, height, path_through(stiffness), path_through(pain), stiffness[-1], pain[-1], summary
    )


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    day: int
    recorded_on: date
    value: int


@dataclass(frozen=True)
class Line:
    """A horizontal line at a score, drawn from x1 to x2."""

    value: int
    x1: float
    x2: float
    y: float


@dataclass(frozen=True)
class Marker:
    """A vertical treatment marker, or a flag marker at the top of the plot."""

    x: float
    day: int
    on: date
    kind: str
    label: str
    anchor: str = "start"  # where its label hangs, so no label leaves the chart


@dataclass(frozen=True)
class ChartFlag:
    on: date
    kind: str
    status: str


@dataclass(frozen=True)
class ChartTreatment:
    treated_on: date
    is_booster: bool
    id: int | None = None


@dataclass(frozen=True)
class ChartEvent:
    """An outcome event (a knee replacement, another injection) on the chart."""

    on: date
    kind: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot: Plot
    score_ticks: list[Tick]
    day_ticks: list[Tick]
    milestone_ticks: list[Tick]
    treatments: list[Marker]
    flags: list[Marker]
    stiffness_path: str
    pain_path: str
    stiffness: list[Dot]
    pain: list[Dot]
    nadir: Line | None
    threshold: Line | None
    zero: date
    baseline_stiffness: Dot | None = None  # the baseline before treatment, at day 0
    baseline_pain: Dot | None = None
    today: Marker | None = None  # None when today is past the shown series (a later treatment)
    outcome_events: tuple[Marker, ...] = ()

    def flag_points(self, marker: Marker) -> str:
        """Return the points of the downward triangle marking a flag."""
        top = self.plot.top - 14
        return f"{marker.x - 6},{top} {marker.x + 6},{top} {marker.x},{top + 10}"


def label_anchor(x: float, plot: Plot, room: float = 40) -> str:
    """Hang a label inwards near either edge of the plot, so it is never cut off."""
    if x > plot.right - room:
        return "end"
    if x < plot.left + room:
        return "start"
    return "middle"


def day_step(span: int) -> int:
    """Pick the smallest tick spacing that keeps the day axis readable."""
    return next((step for step in DAY_STEPS if span / step <= MAX_DAY_TICKS), DAY_STEPS[-1])


def day_ticks(first: int, last: int, x: Scale) -> list[Tick]:
    """Ticks at multiples of a step, always through day 0 (the latest treatment)."""
    step = day_step(last - first)
    start = -(-first // step) * step  # the first multiple of step at or after first
    return [Tick(day, x(day), str(day)) for day in range(start, last + 1, step)]


def patient_chart(
    zero: date,
    today: date,
    readings: Sequence[Scored],
    treatments: Sequence[ChartTreatment],
    milestone_weeks: Sequence[int],
    nadir: Scored | None,
    rise_points: int,
    flags: Sequence[ChartFlag] = (),
    baseline: tuple[int | None, int | None] | None = None,
    outcome_events: Sequence[ChartEvent] = (),
    ends_on: date | None = None,
    width: int = 960,
    height: int = 320,
) -> Chart:
    """Lay out one treatment's stiffness and pain against days since it, from its baseline at 0.

    ends_on is the day before the next treatment, where this series stops; readings outside
    0..ends_on belong to another treatment's series and are left out.
    """

    def day(on: date) -> int:
        return (on - zero).days

    last_day = day(ends_on) if ends_on is not None else None
    ordered = [
        r
        for r in sorted(readings, key=lambda r: r.recorded_on)
        if day(r.recorded_on) >= 0 and (last_day is None or day(r.recorded_on) <= last_day)
    ]
    milestone_days = sorted(7 * weeks for weeks in milestone_weeks)
    reach = last_day if last_day is not None else day(today)
    last = max([reach, 14, *(day(r.recorded_on) for r in ordered), *milestone_days[:1]])
    first = 0
    plot = Plot.inside(width, height, left=36, top=30, right=16, bottom=52)
    x = Scale(first, last, plot.left, plot.right)
    y = Scale(0, SCORE_MAX, plot.bottom, plot.top)

    def dots(score: str) -> list[Dot]:
        return [
            Dot(
                x(day(r.recorded_on)),
                y(getattr(r, score)),
                day(r.recorded_on),
                r.recorded_on,
                getattr(r, score),
            )
            for r in ordered
        ]

    stiffness, pain = dots("stiffness"), dots("pain")
    stiffness_at_0, pain_at_0 = baseline or (None, None)
    baseline_stiffness = (
        None if stiffness_at_0 is None else Dot(x(0), y(stiffness_at_0), 0, zero, stiffness_at_0)
    )
    baseline_pain = None if pain_at_0 is None else Dot(x(0), y(pain_at_0), 0, zero, pain_at_0)
    nadir_line = threshold_line = None
    if nadir is not None and 0 <= day(nadir.recorded_on) <= last:
        start = x(day(nadir.recorded_on))
        nadir_line = Line(nadir.stiffness, start, plot.right, y(nadir.stiffness))
        rise_to = nadir.stiffness + rise_points
        if rise_to <= SCORE_MAX:
            threshold_line = Line(rise_to, start, plot.right, y(rise_to))
    today_marker = None
    if 0 <= day(today) <= last and (last_day is None or day(today) <= last_day):
        today_x = x(day(today))
        today_marker = Marker(
            today_x, day(today), today, "today", "today", label_anchor(today_x, plot)
        )
    shown = [t for t in treatments if 0 <= day(t.treated_on) <= last]
    flag_markers = []
    for f in flags:
        if 0 <= day(f.on) <= last:
            flag_x = x(day(f.on))
            flag_markers.append(Marker(flag_x, day(f.on), f.on, f.kind, f.status))
    event_markers = tuple(
        Marker(x(day(e.on)), day(e.on), e.on, "outcome_event", e.label, "end")
        for e in sorted(outcome_events, key=lambda e: e.on)
        if 0 <= day(e.on) <= last
    )
    return Chart(
        width=width,
        height=height,
        plot=plot,
        score_ticks=[Tick(score, y(score), str(score)) for score in range(0, SCORE_MAX + 1, 2)],
        day_ticks=day_ticks(first, last, x),
        milestone_ticks=[
            Tick(days, x(days), gettext("%(weeks)d wk", weeks=days // 7))
            for days in milestone_days
            if days <= last
        ],
        treatments=[
            Marker(
                x(day(t.treated_on)),
                day(t.treated_on),
                t.treated_on,
                "booster" if t.is_booster else "treatment",
                "Booster" if t.is_booster else "Treatment",
                label_anchor(x(day(t.treated_on)), plot, room=70),
            )
            for t in sorted(shown, key=lambda t: t.treated_on)
        ],
        flags=flag_markers,
        # The lines start from the baseline, so the first weeks read as a change from it.
        stiffness_path=path_through(
            [(dot.x, dot.y) for dot in [baseline_stiffness, *stiffness] if dot is not None]
        ),
        pain_path=path_through(
            [(dot.x, dot.y) for dot in [baseline_pain, *pain] if dot is not None]
        ),
        stiffness=stiffness,
        pain=pain,
        nadir=nadir_line,
        threshold=threshold_line,
        zero=zero,
        baseline_stiffness=baseline_stiffness,
        baseline_pain=baseline_pain,
        today=today_marker,
        outcome_events=event_markers,
    )


def flag_marked_on(flag, timezone: str) -> date:
    """Return the day a flag opened, in the patient's zone: where the chart marks it."""
    return local_date(flag.opened_at, timezone)


def record_chart(
    patient,
    treatments,
    checkins,
    flags,
    today: date,
    shown_id: int | None = None,
    outcome_events=(),
) -> Chart | None:
    """Lay out one treatment's series (the latest, or shown_id) from loaded rows.

    Each treatment is its own series with its own day 0: a booster starts a new one.
    """
    if not treatments:
        return None
    clinic = patient.clinic
    thresholds = thresholds_for(clinic)
    treatments = sorted(treatments, key=lambda t: (t.treated_on, t.id))
    shown = next((t for t in treatments if t.id == shown_id), treatments[-1])
    next_on = series_closed_on(shown.treated_on, (t.treated_on for t in treatments))
    readings = [
        SeriesReading(checkin.id, checkin.recorded_on, checkin.pain, checkin.stiffness)
        for checkin in checkins
    ]
    series = treatment_series(shown.treated_on, next_on, readings)
    baseline = choose_baseline(
        shown.baseline_pain, shown.baseline_stiffness, shown.treated_on, readings
    )
    eligible = eligible_readings(shown.treated_on, series, thresholds.early_days)
    return patient_chart(
        zero=shown.treated_on,
        today=today,
        readings=[r for r in series if r.recorded_on >= shown.treated_on],
        treatments=[ChartTreatment(shown.treated_on, shown.is_booster, shown.id)],
        milestone_weeks=clinic.milestone_weeks,
        nadir=scan_stiffness(eligible, thresholds.rise_points).nadir,
        rise_points=thresholds.rise_points,
        flags=[
            ChartFlag(flag_marked_on(flag, patient.timezone), flag.kind, flag.status)
            for flag in flags
            if flag.status in ACTIVE_STATUSES and flag.treatment_id in (shown.id, None)
        ],
        baseline=(baseline.stiffness, baseline.pain) if baseline is not None else None,
        ends_on=next_on - timedelta(days=1) if next_on else None,
        outcome_events=[
            ChartEvent(event.occurred_on, event.kind, event.kind_label)
            for event in outcome_events
            if event.treatment_id == shown.id
        ],
    )
