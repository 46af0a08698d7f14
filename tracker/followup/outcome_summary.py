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


def summarise(outcomes: Sequence[TreatmentOutcome], group_by: str | None = None) -> dict:
    """Return the outcome figures for these treatments, optionally by group."""
    if group_by is not None and group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}, got {group_by!r}")
    weeks = sorted({m.milestone_weeks for o in outcomes for m in o.milestones})
    if group_by is None:
        return _figures(outcomes, weeks, _tally(outcomes)) | {"groups": [], "logrank_p": None}
    members: dict[str, list[TreatmentOutcome]] = {}
    for outcome in outcomes:
        members.setdefault(group_key(outcome, group_by), []).append(outcome)
    order = KL_GROUPS if group_by == "kl_grade" else sorted(members)
    tallies = {key: _tally(members[key]) for key in order if key in members}
    groups = [{"key": key} | _figures(members[key], weeks, tally) for key, tally in tallies.items()]
    # Only the cohort is on the curves, so a group without cohort members never enters the test.
    cohort = [o for o in outcomes if o.durability.status == COHORT]
    return _figures(outcomes, weeks, sum(tallies.values(), Counter())) | {
        "groups": groups,
        "logrank_p": logrank_p(
            [o.durability.day for o in cohort],
            [o.durability.exit == EVENT for o in cohort],
            [group_key(o, group_by) for o in cohort],
        ),
    }


def summarise_histories(
    histories: Iterable[TreatmentHistory], thresholds: Thresholds, group_by: str | None = None
) -> dict:
    """Assess each treatment and summarise them: the one call a service needs."""
    return summarise([assess_treatment(h, thresholds) for h in histories], group_by)


def _tally(outcomes: Sequence[TreatmentOutcome]) -> Counter:
    # One pass of plain tuples: counting in C keeps 20,000 treatments well under a second.
    return Counter(
        (m.milestone_weeks, m.status, m.pain_halved, m.omeract_oarsi)
        for o in outcomes
        for m in o.milestones
    )


def _figures(outcomes: Sequence[TreatmentOutcome], weeks: Sequence[int], tally: Counter) -> dict:
    cohort = [o for o in outcomes if o.durability.status == COHORT]
    return {
        "milestones": [_milestone_row(w, tally) for w in weeks],
        "durability": _durability(outcomes, cohort),
        "onset_days": quartiles([o.onset_day for o in cohort]),
        "nadir_days": quartiles([o.nadir_day for o in cohort if o.nadir_day is not None]),
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


def _durability(outcomes: Sequence[TreatmentOutcome], cohort: Sequence[TreatmentOutcome]) -> dict:
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    for outcome in outcomes:
        if outcome.durability.status in excluded:
            excluded[outcome.durability.status] += 1
    exits = [o.durability.exit for o in cohort]
    estimate = kaplan_meier([o.durability.day for o in cohort], [e == EVENT for e in exits])
    return {
        "cohort": len(cohort),
        "excluded": excluded,
        "events": exits.count(EVENT),
        "competing_events": exits.count(COMPETING_EVENT),
        "censored": exits.count(CENSORED),
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
