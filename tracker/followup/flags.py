"""Decide which follow-up flags one treatment's check-ins call for (docs/schedule-and-flags.md).

Pure rules: the caller loads check-ins and existing flags, calls evaluate_treatment and
applies the returned changes. No Flask, no database, no clock, so every rule is testable
with hand-built series.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from operator import attrgetter

from tracker.vocabulary import (
    ACKNOWLEDGED,
    ADVERSE_EVENT,
    BOOSTER_WINDOW,
    NON_RESPONDER,
    OPEN,
    RELAPSE,
)

STIFFNESS_KINDS = frozenset({BOOSTER_WINDOW, RELAPSE})
# Acknowledged is a clinician taking ownership, not a decision: it still counts as active
# and may be updated or escalated. Only resolved flags are frozen.
ACTIVE_STATUSES = frozenset({OPEN, ACKNOWLEDGED})
BASELINE_LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class Thresholds:
    early_days: int = 14
    min_improvement: int = 2
    rise_points: int = 2
    sustain_days: int = 7
    severe_pain: int = 7
    non_responder_days: int = 84

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) < 0:
                raise ValueError(f"{field.name} must not be negative")


@dataclass(frozen=True)
class Reading:
    checkin_id: int
    recorded_on: date
    pain: int
    stiffness: int
    adverse_event: bool = False
    adverse_event_details: str | None = None


@dataclass(frozen=True)
class Baseline:
    pain: int | None
    stiffness: int | None
    source: str  # "treatment" | "checkin"


@dataclass(frozen=True)
class ExistingFlag:
    id: int
    kind: str
    status: str  # open | acknowledged | resolved
    evidence: dict


@dataclass(frozen=True)
class FlagChange:
    action: str  # "open" | "update" | "escalate"
    kind: str  # the kind after the change
    evidence: dict
    flag_id: int | None  # None for "open"
    checkin_id: int | None  # the check-in that caused it


@dataclass(frozen=True)
class Evaluation:
    changes: tuple[FlagChange, ...]
    confirmation_on: date | None  # ask for a confirmation check-in on this date


@dataclass(frozen=True)
class StiffnessScan:
    nadir: Reading | None
    run: tuple[Reading, ...]


# attrgetter rather than a lambda: outcome figures sort every treatment's series of a clinic.
_ORDER = attrgetter("recorded_on", "checkin_id")


def _in_order(readings: Iterable[Reading]) -> list[Reading]:
    # Check-ins may be entered late (a past phone call), so never trust arrival order.
    return sorted(readings, key=_ORDER)


def _day(reading: Reading, treated_on: date) -> int:
    return (reading.recorded_on - treated_on).days


def series_closed_on(treated_on: date, treated_days: Iterable[date]) -> date | None:
    """The day the next treatment closes this treatment's series, or None if none came after."""
    return min((day for day in treated_days if day > treated_on), default=None)


def treatment_series(
    treated_on: date, next_treated_on: date | None, readings: Iterable[Reading]
) -> list[Reading]:
    """Return the check-ins belonging to this treatment, oldest first."""
    return _in_order(
        r
        for r in readings
        if r.recorded_on >= treated_on
        and (next_treated_on is None or r.recorded_on < next_treated_on)
    )


def choose_baseline(
    treatment_pain: int | None,
    treatment_stiffness: int | None,
    treated_on: date,
    readings: Iterable[Reading],
) -> Baseline | None:
    """Return the treatment's own baseline, else the latest check-in in the 30 days before."""
    # Stiffness is what the rules compare against, so it alone makes a treatment baseline;
    # pain alone does not, and we look for a check-in instead.
    if treatment_stiffness is not None:
        return Baseline(treatment_pain, treatment_stiffness, "treatment")
    latest = baseline_checkin(treated_on, readings)
    if latest is None:
        return None
    return Baseline(latest.pain, latest.stiffness, "checkin")


def baseline_checkin(treated_on: date, readings: Iterable[Reading]) -> Reading | None:
    """Return the latest check-in in the 30 days before treatment, or None."""
    since = treated_on - timedelta(days=BASELINE_LOOKBACK_DAYS)
    before = _in_order(r for r in readings if since <= r.recorded_on < treated_on)
    return before[-1] if before else None


def eligible_readings(
    treated_on: date, series: Iterable[Reading], early_days: int
) -> list[Reading]:
    """Return the series' check-ins recorded at least early_days after treatment."""
    # The first weeks' post-injection flare is expected, so it never counts for stiffness.
    first_day = treated_on + timedelta(days=early_days)
    return [r for r in series if r.recorded_on >= first_day]


def scan_stiffness(eligible: Sequence[Reading], rise_points: int) -> StiffnessScan:
    """Find the stiffness nadir and the run of raised check-ins still going at the end."""
    nadir: Reading | None = None
    run: list[Reading] = []
    for reading in _in_order(eligible):
        if nadir is None:
            nadir = reading  # the first eligible check-in only sets the nadir
        elif reading.stiffness >= nadir.stiffness + rise_points:
            run.append(reading)
        else:
            run = []
            # Strictly lower only: on a tie the earliest date is when the best was reached.
            if reading.stiffness < nadir.stiffness:
                nadir = reading
    return StiffnessScan(nadir, tuple(run))


def _baseline_evidence(baseline: Baseline | None) -> dict:
    if baseline is None:
        return {"pain": None, "stiffness": None, "source": None}
    return {"pain": baseline.pain, "stiffness": baseline.stiffness, "source": baseline.source}


def _point(reading: Reading) -> dict:
    return {
        "stiffness": reading.stiffness,
        "pain": reading.pain,
        "recorded_on": reading.recorded_on.isoformat(),
    }


def _rise_evidence(
    treated_on: date, baseline: Baseline | None, nadir: Reading, run: tuple[Reading, ...]
) -> dict:
    first, latest = run[0], run[-1]
    return {
        "baseline": _baseline_evidence(baseline),
        "nadir": {"stiffness": nadir.stiffness, "recorded_on": nadir.recorded_on.isoformat()},
        "run_started_on": first.recorded_on.isoformat(),
        "first": _point(first),
        "latest": _point(latest),
        "rise": latest.stiffness - nadir.stiffness,
        "days_since_treatment": _day(latest, treated_on),
    }


def _rise_kind(baseline: Baseline | None, latest: Reading, thresholds: Thresholds) -> str:
    baseline_stiffness = baseline.stiffness if baseline is not None else None
    if baseline_stiffness is not None and latest.stiffness >= baseline_stiffness:
        return RELAPSE
    return RELAPSE if latest.pain >= thresholds.severe_pain else BOOSTER_WINDOW


def _rise_outcome(
    treated_on: date,
    baseline: Baseline | None,
    eligible: list[Reading],
    thresholds: Thresholds,
    existing: Sequence[ExistingFlag],
    confirmation_pending: bool,
) -> tuple[FlagChange | None, date | None]:
    scan = scan_stiffness(eligible, thresholds.rise_points)
    if not scan.run or scan.nadir is None:
        return None, None
    first, latest = scan.run[0], scan.run[-1]
    if (latest.recorded_on - first.recorded_on).days < thresholds.sustain_days:
        # Suspected only: one high reading may be a bad day, so ask again before flagging.
        if confirmation_pending:
            return None, None
        return None, first.recorded_on + timedelta(days=thresholds.sustain_days)

    kind = _rise_kind(baseline, latest, thresholds)
    evidence = _rise_evidence(treated_on, baseline, scan.nadir, scan.run)
    stiffness_flags = [f for f in existing if f.kind in STIFFNESS_KINDS]
    # Lowest id wins so that bad data with two active flags still gives a stable answer.
    active = sorted((f for f in stiffness_flags if f.status in ACTIVE_STATUSES), key=lambda f: f.id)
    if active:
        flag = active[0]
        if flag.kind == BOOSTER_WINDOW and kind == RELAPSE:
            return FlagChange("escalate", RELAPSE, evidence, flag.id, latest.checkin_id), None
        if flag.evidence != evidence:
            # flag.kind, not kind: a relapse never de-escalates to booster_window.
            return FlagChange("update", flag.kind, evidence, flag.id, latest.checkin_id), None
        return None, None
    # A resolved flag for this very run means the episode was already decided.
    if any(f.evidence.get("run_started_on") == evidence["run_started_on"] for f in stiffness_flags):
        return None, None
    return FlagChange("open", kind, evidence, None, latest.checkin_id), None


def shows_improvement(reading: Reading, baseline: Baseline, min_improvement: int) -> bool:
    """Tell whether a check-in is at least min_improvement better than baseline."""
    if baseline.stiffness is not None and reading.stiffness <= baseline.stiffness - min_improvement:
        return True
    return baseline.pain is not None and reading.pain <= baseline.pain - min_improvement


def _non_responder_change(
    treated_on: date,
    baseline: Baseline | None,
    eligible: list[Reading],
    thresholds: Thresholds,
    existing: Sequence[ExistingFlag],
) -> FlagChange | None:
    if baseline is None or (baseline.pain is None and baseline.stiffness is None):
        return None
    # Once per treatment: a clinician who resolved it has already made the call.
    if any(f.kind == NON_RESPONDER for f in existing):
        return None
    for seen, reading in enumerate(eligible, start=1):
        if shows_improvement(reading, baseline, thresholds.min_improvement):
            return None
        if _day(reading, treated_on) >= thresholds.non_responder_days:
            evidence = {
                "baseline": _baseline_evidence(baseline),
                "min_improvement": thresholds.min_improvement,
                "non_responder_days": thresholds.non_responder_days,
                "best_stiffness": min(r.stiffness for r in eligible[:seen]),
                "best_pain": min(r.pain for r in eligible[:seen]),
                "recorded_on": reading.recorded_on.isoformat(),
                "days_since_treatment": _day(reading, treated_on),
            }
            return FlagChange("open", NON_RESPONDER, evidence, None, reading.checkin_id)
    return None


def adverse_event_changes(
    treated_on: date | None, readings: Sequence[Reading], existing: Sequence[ExistingFlag]
) -> list[FlagChange]:
    """Open an adverse_event flag for each reported event not flagged yet, treated or not."""
    done = {f.evidence.get("checkin_id") for f in existing if f.kind == ADVERSE_EVENT}
    changes = []
    for reading in _in_order(readings):
        if not reading.adverse_event or reading.checkin_id in done:
            continue
        evidence = {
            "checkin_id": reading.checkin_id,
            "recorded_on": reading.recorded_on.isoformat(),
            # None: no treatment on or before that day, and a safety signal is never dropped.
            "days_since_treatment": None if treated_on is None else _day(reading, treated_on),
            "pain": reading.pain,
            "stiffness": reading.stiffness,
        }
        if reading.adverse_event_details is not None:
            evidence["details"] = reading.adverse_event_details
        changes.append(FlagChange("open", ADVERSE_EVENT, evidence, None, reading.checkin_id))
    return changes


def evaluate_treatment(
    treated_on: date,
    baseline: Baseline | None,
    series: Sequence[Reading],
    thresholds: Thresholds,
    existing: Sequence[ExistingFlag],
    confirmation_pending: bool,
    series_closed: bool = False,
) -> Evaluation:
    """Work out the flag changes and confirmation request one treatment's series calls for.

    A series closed by a later treatment opens no new stiffness or non-responder flag and
    asks for no confirmation; adverse events always open one (docs/schedule-and-flags.md,
    exact readings).
    """
    readings = [r for r in _in_order(series) if r.recorded_on >= treated_on]
    eligible = eligible_readings(treated_on, readings, thresholds.early_days)
    changes = adverse_event_changes(treated_on, readings, existing)
    rise, confirmation_on = _rise_outcome(
        treated_on, baseline, eligible, thresholds, existing, confirmation_pending
    )
    non_responder = _non_responder_change(treated_on, baseline, eligible, thresholds, existing)
    for change in (rise, non_responder):
        if change is not None and not (series_closed and change.action == "open"):
            changes.append(change)
    return Evaluation(tuple(changes), None if series_closed else confirmation_on)
