"""Geometry of the Outcomes page charts: plain values in, coordinates out (no markup here).

A Kaplan-Meier curve with its band, censor ticks, median and an at-risk row aligned under the
axis; responder bars per milestone; the weekly median course of stiffness and pain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.chart_geometry import SCORE_MAX, Plot, Scale, Tick, path_through
from tracker.followup.trajectory import Trajectory, WeekSpread

# Month ticks of the survival axis: 3, 6 or 12 months apart, whichever keeps it readable.
DAYS_PER_MONTH = 365.25 / 12
MONTH_STEPS = (3, 6, 12)
MAX_TICKS = 9


@dataclass(frozen=True)
class AtRisk:
    x: float
    count: int


@dataclass(frozen=True)
class SurvivalChart:
    width: int
    height: int
    plot: Plot
    curve_path: str
    band_points: str
    censor_ticks: list[tuple[float, float]]
    month_ticks: list[Tick]
    survival_ticks: list[Tick]
    at_risk: list[AtRisk]
    at_risk_y: float
    median: tuple[float, float] | None  # (x, y) where the curve reaches 0.5
    median_days: int | None
    median_months: float | None


def month_ticks(last_day: int, x: Scale) -> list[Tick]:
    months = max(1, int(last_day / DAYS_PER_MONTH) + 1)
    step = next((s for s in MONTH_STEPS if months / s <= MAX_TICKS), MONTH_STEPS[-1])
    ticks = []
    for month in range(0, months + 1, step):
        day = round(month * DAYS_PER_MONTH)
        if day <= last_day:
            ticks.append(Tick(day, x(day), str(month)))
    return ticks


def at_risk_on(curve: Sequence[dict], cohort: int, day: int) -> int:
    """Return how many were still followed at the start of a day."""
    if day <= 0:
        return cohort
    return next((row["at_risk"] for row in curve if row["day"] >= day), 0)


def survival_chart(
    durability: dict, last_day: int | None = None, width: int = 720, height: int = 300
) -> SurvivalChart | None:
    """Lay out a group's Kaplan-Meier curve; None when its cohort is empty."""
    curve = durability["curve"]
    if not durability["cohort"] or not curve:
        return None
    last = max(last_day or 0, curve[-1]["day"], 30)
    plot = Plot(left=64, top=16, right=width - 14, bottom=height - 70)
    x = Scale(0, last, plot.left, plot.right)
    y = Scale(0, 1, plot.bottom, plot.top)
    points, upper, lower = [(x(0), y(1))], [(x(0), y(1))], [(x(0), y(1))]
    survival = high = low = 1.0
    censor_ticks = []
    for row in curve:
        day = x(row["day"])
        points.append((day, y(survival)))
        upper.append((day, y(high)))
        lower.append((day, y(low)))
        survival = row["survival"]
        band_low, band_high = row["ci95"]
        low = band_low if band_low is not None else low
        high = band_high if band_high is not None else high
        points.append((day, y(survival)))
        upper.append((day, y(high)))
        lower.append((day, y(low)))
        if row["censored"]:
            censor_ticks.append((day, y(survival)))
    for series, value in ((points, survival), (upper, high), (lower, low)):
        series.append((x(last), y(value)))
    band = upper + list(reversed(lower))
    ticks = month_ticks(last, x)
    median_days = durability["median_days"]
    return SurvivalChart(
        width=width,
        height=height,
        plot=plot,
        curve_path=path_through(points),
        band_points=" ".join(f"{px},{py}" for px, py in band),
        censor_ticks=censor_ticks,
        month_ticks=ticks,
        survival_ticks=[Tick(p, y(p / 100), f"{p}%") for p in range(0, 101, 25)],
        at_risk=[
            AtRisk(t.position, at_risk_on(curve, durability["cohort"], t.value)) for t in ticks
        ],
        at_risk_y=plot.bottom + 52,
        median=None if median_days is None else (x(median_days), y(0.5)),
        median_days=median_days,
        median_months=None if median_days is None else round(median_days / DAYS_PER_MONTH, 1),
    )


@dataclass(frozen=True)
class Bar:
    definition: str
    y: float
    width: float  # 0 when no rate is shown
    ci: tuple[float, float] | None
    responders: int
    denominator: int
    value: float | None


@dataclass(frozen=True)
class MilestoneBars:
    weeks: int
    answered: int
    missed: int
    pending: int
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class ResponderChart:
    width: int
    height: int
    plot: Plot
    percent_ticks: list[Tick]
    milestones: list[MilestoneBars]


def responder_chart(milestones: Sequence[dict], width: int = 860) -> ResponderChart | None:
    """Lay out two bars per milestone (pain halved, OMERACT-OARSI), none under 5 answered."""
    if not milestones:
        return None
    row_height, bar_height = 64, 20
    plot = Plot(left=270, top=20, right=width - 120, bottom=20 + row_height * len(milestones))
    x = Scale(0, 1, plot.left, plot.right)
    laid_out = []
    for index, row in enumerate(milestones):
        top = plot.top + index * row_height
        bars = []
        for offset, definition in enumerate(("pain_halved", "omeract_oarsi")):
            rate = row["rates"][definition]
            bars.append(
                Bar(
                    definition=definition,
                    y=top + 6 + offset * (bar_height + 4),
                    width=0 if rate is None else round(x(rate["value"]) - plot.left, 1),
                    ci=None if rate is None else (x(rate["ci95"][0]), x(rate["ci95"][1])),
                    responders=row["responders"][definition],
                    denominator=row["denominators"][definition],
                    value=None if rate is None else rate["value"],
                )
            )
        laid_out.append(
            MilestoneBars(
                row["weeks"], row["answered"], row["missed"], row["pending"], top + 22, bars
            )
        )
    return ResponderChart(
        width=width,
        height=plot.bottom + 30,
        plot=plot,
        percent_ticks=[Tick(p, x(p / 100), f"{p}%") for p in range(0, 101, 25)],
        milestones=laid_out,
    )


@dataclass(frozen=True)
class SpreadLine:
    median_path: str
    band_points: str
    points: list[tuple[float, float, WeekSpread]]


@dataclass(frozen=True)
class TrajectoryChart:
    width: int
    height: int
    plot: Plot
    week_ticks: list[Tick]
    score_ticks: list[Tick]
    stiffness: SpreadLine
    pain: SpreadLine


def trajectory_chart(
    trajectory: Trajectory, width: int = 720, height: int = 260
) -> TrajectoryChart | None:
    """Lay out the weekly median stiffness and pain with their interquartile bands."""
    weeks = [s.week for s in trajectory.stiffness]
    if not weeks:
        return None
    last = max(weeks[-1], 12)
    plot = Plot(left=36, top=16, right=width - 14, bottom=height - 40)
    x = Scale(0, last, plot.left, plot.right)
    y = Scale(0, SCORE_MAX, plot.bottom, plot.top)

    def line(spreads: Sequence[WeekSpread]) -> SpreadLine:
        upper = [(x(s.week), y(s.q3)) for s in spreads]
        lower = [(x(s.week), y(s.q1)) for s in reversed(spreads)]
        return SpreadLine(
            path_through([(x(s.week), y(s.median)) for s in spreads]),
            " ".join(f"{px},{py}" for px, py in upper + lower),
            [(x(s.week), y(s.median), s) for s in spreads],
        )

    step = next((s for s in (2, 4, 8, 13, 26) if last / s <= MAX_TICKS), 52)
    return TrajectoryChart(
        width=width,
        height=height,
        plot=plot,
        week_ticks=[Tick(w, x(w), str(w)) for w in range(0, last + 1, step)],
        score_ticks=[Tick(s, y(s), str(s)) for s in range(0, SCORE_MAX + 1, 2)],
        stiffness=line(trajectory.stiffness),
        pain=line(trajectory.pain),
    )
