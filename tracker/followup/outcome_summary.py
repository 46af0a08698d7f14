"""Summarise many treatments' outcomes into the figures of docs/outcomes-and-reporting.md.

summarise() takes the per-treatment outcomes (from outcomes.assess_treatment) and returns
the JSON-shaped answer of GET /api/v1/outcomes: milestone responder rates with Wilson
intervals, Kaplan-Meier durability, onset and nadir quartiles, per group and log-rank.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from tracker.followup.flags import Thresholds
from tracker.followup.outcomes import (
    ANSWERED,
    CENSORED,
    COHORT,
    COMPETING_EVENT,
    EVENT,
    EXCLUSION_REASONS,
    MISSED,
    OMERACT_OARSI,
    PAIN_HALVED,
    PENDING,
    RESPONDER_DEFINITIONS,
    TreatmentHistory,
    TreatmentOutcome,
    assess_treatment,
)
from tracker.followup.survival import kaplan_meier, logrank_p

GROUP_BY = ("kind", "kl_grade", "route")
KL_GROUPS = ("0-1", "2-3", "4", "unknown")
SURVIVAL_READ_DAYS = (182, 365, 730)
# Below this a rate says more about chance than about the clinic, so only counts are shown.
MIN_RATE_DENOMINATOR = 5
WILSON_Z = 1.96


def wilson_interval(successes: int, total: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion, without continuity correction."""
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(
            f"Wilson interval needs 0 <= successes <= total and total > 0, got {successes}/{total}"
        )
    share = successes / total
    z2 = z * z
    centre = (share + z2 / (2 * total)) / (1 + z2 / total)
    half = z / (1 + z2 / total) * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total))
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(successes: int, total: int) -> dict | None:
    """Return {"value", "ci95"} for a rate, or None when the denominator is under 5."""
    if total < MIN_RATE_DENOMINATOR:
        return None
    low, high = wilson_interval(successes, total)
    return {"value": successes / total, "ci95": [low, high]}


def quartiles(days: Sequence[int]) -> dict:
    """Return the median and quartiles of days (inclusive method), None when there are none."""
    if not days:
        return {"median": None, "q1": None, "q3": None}
    if len(days) == 1:
        # statistics.quantiles needs two points; one point is its own median and quartiles.
        return {"median": days[0], "q1": days[0], "q3": days[0]}
    q1, median, q3 = statistics.quantiles(days, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3}


def kl_group(kl_grade: int | None) -> str:
    """Return the KL grade group a treatment is reported in."""
    if kl_grade is None:
        return "unknown"
    return "0-1" if kl_grade <= 1 else "2-3" if kl_grade <= 3 else "4"


def group_key(outcome: TreatmentOutcome, group_by: str) -> str:
    """Return the key of the group a treatment falls in."""
    if group_by == "kl_grade":
        return kl_group(outcome.kl_grade)
    if group_by == "kind":
        return outcome.kind
    if group_by == "route":
        return outcome.route
    raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}, got {group_by!r}")


class OutcomeTally:
    """Running counts of treatments' outcomes: everything the figures are read from.

    A treatment is counted in with add() and out with remove(), so a clinic's tally follows
    one patient's new check-in without counting every other treatment again.
    """

    def __init__(self) -> None:
        self.treatments = 0
        self.milestones: Counter = Counter()  # (weeks, status, pain_halved, omeract_oarsi)
        self.excluded: Counter = Counter()  # durability status of treatments not in the cohort
        self.exits: Counter = Counter()  # (day, exit) of the cohort
        self.onsets: Counter = Counter()  # onset day of the cohort
        self.nadirs: Counter = Counter()  # nadir day of the cohort, where there is one

    def add(self, outcome: TreatmentOutcome, times: int = 1) -> None:
        self.treatments += times
        for m in outcome.milestones:
            _count(
                self.milestones,
                (m.milestone_weeks, m.status, m.pain_halved, m.omeract_oarsi),
                times,
            )
        durability = outcome.durability
        if durability.status != COHORT:
            _count(self.excluded, durability.status, times)
            return
        _count(self.exits, (durability.day, durability.exit), times)
        if outcome.onset_day is not None:
            _count(self.onsets, outcome.onset_day, times)
        if outcome.nadir_day is not None:
            _count(self.nadirs, outcome.nadir_day, times)

    def remove(self, outcome: TreatmentOutcome) -> None:
        self.add(outcome, -1)


def _count(counter: Counter, key, times: int) -> None:
    left = counter[key] + times
    if left:
        counter[key] = left
    else:
        del counter[key]  # no zero lingers: the milestone weeks shown are those still counted


class GroupedTally:
    """An OutcomeTally of all treatments and one per group (kind, KL grade group or route)."""

    def __init__(self, group_by: str | None = None) -> None:
        if group_by is not None and group_by not in GROUP_BY:
            raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}, got {group_by!r}")
        self.group_by = group_by
        self.overall = OutcomeTally()
        self.groups: dict[str, OutcomeTally] = {}

    def add(self, outcome: TreatmentOutcome) -> None:
        self.overall.add(outcome)
        if self.group_by is not None:
            key = group_key(outcome, self.group_by)
            self.groups.setdefault(key, OutcomeTally()).add(outcome)

    def remove(self, outcome: TreatmentOutcome) -> None:
        self.overall.remove(outcome)
        if self.group_by is not None:
            key = group_key(outcome, self.group_by)
            self.groups[key].remove(outcome)
            if not self.groups[key].treatments:
                del self.groups[key]

    def figures(self) -> dict:
        """Return the figures of GET /api/v1/outcomes for the treatments counted."""
        weeks = sorted({weeks for weeks, *_ in self.overall.milestones})
        if self.group_by is None:
            return _figures(self.overall, weeks) | {"groups": [], "logrank_p": None}
        order = KL_GROUPS if self.group_by == "kl_grade" else sorted(self.groups)
        present = [key for key in order if key in self.groups]
        # Only the cohort is on the curves, so a group without cohort members never enters the test.
        exits = [
            (day, exit == EVENT, key, count)
            for key in present
            for (day, exit), count in self.groups[key].exits.items()
        ]
        return _figures(self.overall, weeks) | {
            "groups": [{"key": key} | _figures(self.groups[key], weeks) for key in present],
            "logrank_p": logrank_p(*_columns(exits, 4)),
        }


def summarise(outcomes: Sequence[TreatmentOutcome], group_by: str | None = None) -> dict:
    """Return the outcome figures for these treatments, optionally by group."""
    tally = GroupedTally(group_by)
    for outcome in outcomes:
        tally.add(outcome)
    return tally.figures()


def summarise_histories(
    histories: Iterable[TreatmentHistory], thresholds: Thresholds, group_by: str | None = None
) -> dict:
    """Assess each treatment and summarise them: the one call a service needs."""
    return summarise([assess_treatment(h, thresholds) for h in histories], group_by)


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def _figures(tally: OutcomeTally, weeks: Sequence[int]) -> dict:
    return {
        "milestones": [_milestone_row(w, tally.milestones) for w in weeks],
        "durability": _durability(tally),
        "onset_days": quartiles(sorted(tally.onsets.elements())),
        "nadir_days": quartiles(sorted(tally.nadirs.elements())),
    }


def _milestone_row(weeks: int, tally: Counter) -> dict:
    row = {"weeks": weeks} | dict.fromkeys((ANSWERED, MISSED, PENDING), 0)
    responders = dict.fromkeys(RESPONDER_DEFINITIONS, 0)
    denominators = dict.fromkeys(RESPONDER_DEFINITIONS, 0)
    for (week, status, pain_halved, omeract_oarsi), count in tally.items():
        if week != weeks:
            continue
        if status in row:
            row[status] += count
        for definition, verdict in ((PAIN_HALVED, pain_halved), (OMERACT_OARSI, omeract_oarsi)):
            if verdict is not None:  # None: not in this definition's denominator
                denominators[definition] += count
                responders[definition] += count * verdict
    row["responders"] = responders
    row["denominators"] = denominators
    row["rates"] = {d: rate(responders[d], denominators[d]) for d in RESPONDER_DEFINITIONS}
    return row


def _durability(tally: OutcomeTally) -> dict:
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    for status, count in tally.excluded.items():
        if status in excluded:
            excluded[status] += count
    exits = Counter()
    by_kind = Counter()
    for (day, exit), count in tally.exits.items():
        exits[day, exit == EVENT] += count  # a competing exit is censored on the curve
        by_kind[exit] += count
    days, events, counts = _columns([(day, event, n) for (day, event), n in exits.items()], 3)
    estimate = kaplan_meier(days, events, counts)
    return {
        "cohort": by_kind.total(),
        "excluded": excluded,
        "events": by_kind[EVENT],
        "competing_events": by_kind[COMPETING_EVENT],
        "censored": by_kind[CENSORED],
        "median_days": estimate.median_days,
        "median_ci95": list(estimate.median_ci95),
        "survival_at": {str(d): estimate.survival_at(d) for d in SURVIVAL_READ_DAYS},
        "curve": [
            {
                "day": row.day,
                "at_risk": row.at_risk,
                "events": row.events,
                "censored": row.censored,
                "survival": row.survival,
                "ci95": list(row.ci95),
            }
            for row in estimate.curve
        ],
    }
