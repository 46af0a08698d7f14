"""What every chart shares: the score axis, linear scales, the plot box, ticks and lines.

Plain values in, coordinates out: no Flask and no markup. The clinician's charts
(tracker.clinic.charts, tracker.clinic.outcome_charts) and the patient's own chart
(tracker.checkin.progress) lay themselves out with these, and their templates write the SVG.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# Pain and stiffness are scored from 0 (none) to 10 (worst imaginable).
SCORE_MAX = 10


@dataclass(frozen=True)
class Scale:
    """A linear map from values to pixels."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        share = (value - self.low) / span if span else 0.0
        return round(self.start + share * (self.end - self.start), 1)


@dataclass(frozen=True)
class Plot:
    """The drawing area inside the chart's margins."""

    left: float
    top: float
    right: float
    bottom: float

    @classmethod
    def inside(
        cls, width: float, height: float, *, left: float, top: float, right: float, bottom: float
    ) -> "Plot":
        """Return the plot box of a width x height chart with these margins."""
        return cls(left=left, top=top, right=width - right, bottom=height - bottom)


@dataclass(frozen=True)
class Tick:
    value: int
    position: float
    label: str


def path_through(points: Sequence[tuple[float, float]]) -> str:
    """Return an SVG path drawing a line through the points ("" for none)."""
    if not points:
        return ""
    head, *rest = points
    return " ".join([f"M{head[0]} {head[1]}", *(f"L{x} {y}" for x, y in rest)])


def points_through(points: Sequence[tuple[float, float]]) -> str:
    """Return the points of an SVG polyline through the points ("" for none)."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
