import json
import math
import statistics
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_outcomes import histories
from tracker.followup.flags import Thresholds
from tracker.followup.outcome_summary import (
    GroupedTally,
    kl_group,
    quartiles,
    rate,
    summarise,
    summarise_histories,
    wilson_interval,
)
from tracker.followup.outcomes import (
    Durability,
    MilestoneAnswer,
    OutcomeReading,
    TreatmentFacts,
    TreatmentHistory,
    TreatmentOutcome,
    assess_treatment,
)
from tracker.followup.survival import kaplan_meier, logrank_p

TREATED_ON = date(2024, 4, 1)
Z = statistics.NormalDist().inv_cdf(0.975)

# --- Kaplan-Meier against a hand computation -----------------------------------------------

# Eight knees: (exit day, lost the effect?). Day 5 has an event and a censoring together.
TEXTBOOK = [(3, True), (5, True), (5, False), (8, True), (10, False), (12, True), (15, True)]
TEXTBOOK.append((20, False))
# The risk table as one writes it by hand: day, at risk, events, censored.
BY_HAND = [
    (3, 8, 1, 0),
    (5, 7, 1, 1),  # events before censorings: the censored knee is still at risk on day 5
    (8, 5, 1, 0),
    (10, 4, 0, 1),
    (12, 3, 1, 0),
    (15, 2, 1, 0),
    (20, 1, 0, 1),
]


def hand_curve():
    """Product-limit estimate, Greenwood sum, and the log(-log) 95% band, by hand."""
    survival, greenwood, rows = 1.0, 0.0, []
    for day, at_risk, events, censored in BY_HAND:
        survival *= (at_risk - events) / at_risk
        greenwood += events / (at_risk * (at_risk - events))
        if survival == 1.0:
            band = (1.0, 1.0)
        else:
            # Kalbfleisch-Prentice: S ** exp(-/+ z * se(log(-log S))).
            spread = Z * math.sqrt(greenwood) / abs(math.log(survival))
            band = (survival ** math.exp(spread), survival ** math.exp(-spread))
        rows.append((day, at_risk, events, censored, survival, band))
    return rows


def first_day_at_or_below_half(values):
    return next((day for day, value in values if value <= 0.5), None)


def test_kaplan_meier_matches_the_hand_computed_curve_band_and_median():
    expected = hand_curve()
    # Survival by hand: 7/8, x6/7, x4/5, -, x2/3, x1/2, -.
    assert [round(r[4], 6) for r in expected] == [0.875, 0.75, 0.6, 0.6, 0.4, 0.2, 0.2]
    estimate = kaplan_meier([d for d, _ in TEXTBOOK], [e for _, e in TEXTBOOK])
    assert len(estimate.curve) == len(expected)
    for row, (day, at_risk, events, censored, survival, band) in zip(
        estimate.curve, expected, strict=True
    ):
        assert (row.day, row.at_risk, row.events, row.censored) == (day, at_risk, events, censored)
        assert row.survival == pytest.approx(survival, abs=1e-12)
        assert row.ci95 == pytest.approx(band, abs=1e-9)
    assert estimate.median_days == 12 == first_day_at_or_below_half((r[0], r[4]) for r in expected)
    lower_median = first_day_at_or_below_half((r[0], r[5][0]) for r in expected)
    upper_median = first_day_at_or_below_half((r[0], r[5][1]) for r in expected)
    assert estimate.median_ci95 == (lower_median, upper_median) == (3, None)


def test_survival_is_read_after_the_days_events_and_none_past_the_last_exit():
    estimate = kaplan_meier([d for d, _ in TEXTBOOK], [e for _, e in TEXTBOOK])
    assert estimate.survival_at(2) == 1.0
    assert estimate.survival_at(3) == pytest.approx(0.875)
    assert estimate.survival_at(11) == pytest.approx(0.6)
    assert estimate.survival_at(20) == pytest.approx(0.2)  # the last exit is still observed
    assert estimate.survival_at(21) is None


def test_curve_that_never_reaches_half_has_no_median():
    estimate = kaplan_meier([10, 20, 30, 40], [True, False, False, False])
    assert (estimate.median_days, estimate.median_ci95[1]) == (None, None)


def test_no_cohort_means_no_curve():
    estimate = kaplan_meier([], [])
    assert (estimate.curve, estimate.median_days, estimate.survival_at(1)) == ((), None, None)


def test_kaplan_meier_leaves_numpy_error_handling_as_it_found_it():
    import numpy as np

    with np.errstate(all="warn"):
        kaplan_meier([1, 2], [True, False])
        logrank_p([1, 2], [True, False], ["a", "b"])
        assert set(np.geterr().values()) == {"warn"}


def test_logrank_matches_the_hand_computed_two_group_test():
    days = [2, 4, 6, 8, 3, 5, 7, 9]
    events = [True, True, False, True, True, False, True, True]
    groups = ["a"] * 4 + ["b"] * 4
    observed_minus_expected, variance = 0.0, 0.0
    for day in sorted({d for d, e in zip(days, events, strict=True) if e}):
        at_risk = [
            (g, e and d == day) for d, e, g in zip(days, events, groups, strict=True) if d >= day
        ]
        total = len(at_risk)
        deaths = sum(dead for _, dead in at_risk)
        in_a = sum(g == "a" for g, _ in at_risk)
        deaths_a = sum(dead for g, dead in at_risk if g == "a")
        observed_minus_expected += deaths_a - deaths * in_a / total
        if total > 1:
            variance += (
                deaths * (in_a / total) * (1 - in_a / total) * (total - deaths) / (total - 1)
            )
    chi_square = observed_minus_expected**2 / variance
    p_by_hand = math.erfc(math.sqrt(chi_square / 2))  # chi-square with one degree of freedom
    assert logrank_p(days, events, groups) == pytest.approx(p_by_hand, rel=1e-9)


def test_logrank_needs_two_groups():
    assert logrank_p([5, 6], [True, False], ["a", "a"]) is None


# --- Wilson intervals and quartiles --------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "total", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (42, 84, (0.3954, 0.6046)),
    ],
)
def test_wilson_interval_on_known_cases(successes, total, expected):
    low, high = wilson_interval(successes, total)
    assert (round(low, 4), round(high, 4)) == expected


def test_no_rate_under_five_answered():
    assert rate(4, 4) is None
    assert rate(4, 5)["value"] == 0.8


@pytest.mark.parametrize(("successes", "total"), [(1, 0), (-1, 3), (4, 3)])
def test_wilson_refuses_impossible_counts(successes, total):
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes, total)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], (None, None, None)),
        ([40], (40, 40, 40)),
        ([20, 40], (30, 25, 35)),
        ([14, 28, 28, 56, 84], (28, 28, 56)),
    ],
)
def test_quartiles_by_the_inclusive_method(days, expected):
    result = quartiles(days)
    assert (result["median"], result["q1"], result["q3"]) == expected


@pytest.mark.parametrize(
    ("grade", "key"), [(0, "0-1"), (1, "0-1"), (2, "2-3"), (3, "2-3"), (4, "4"), (None, "unknown")]
)
def test_kl_groups(grade, key):
    assert kl_group(grade) == key


# --- the summary -----------------------------------------------------------------------------


def milestone(weeks, status, pain_halved=None, omeract_oarsi=None):
    due = TREATED_ON + timedelta(weeks=weeks)
    return MilestoneAnswer(weeks, due, due, due, status, None, pain_halved, omeract_oarsi)


def outcome(
    status="cohort",
    exit=None,
    day=None,
    *,
    kind="prp",
    kl_grade=2,
    route="intra_articular",
    onset=28,
    nadir=56,
    milestones=(),
):
    return TreatmentOutcome(
        treatment_id=1,
        treated_on=TREATED_ON,
        kind=kind,
        route=route,
        kl_grade=kl_grade,
        baseline=None,
        milestones=tuple(milestones),
        durability=Durability(status, exit, day),
        onset_day=onset,
        nadir_day=nadir,
    )


def test_milestone_rows_count_statuses_responders_and_denominators():
    eight = [
        milestone(8, "answered", True, True),
        milestone(8, "answered", True, False),
        milestone(8, "answered", False, False),
        milestone(8, "answered", None, False),  # baseline pain 0: only OMERACT-OARSI counts it
        milestone(8, "answered", False, True),
        milestone(8, "answered", True, True),
        milestone(8, "missed"),
        milestone(8, "pending"),
        milestone(8, "closed"),
    ]
    outcomes = [outcome("no_baseline", milestones=[m, milestone(52, "pending")]) for m in eight]
    rows = summarise(outcomes)["milestones"]
    assert [r["weeks"] for r in rows] == [8, 52]
    row = rows[0]
    assert (row["answered"], row["missed"], row["pending"]) == (6, 1, 1)
    assert row["responders"] == {"pain_halved": 3, "omeract_oarsi": 3}
    assert row["denominators"] == {"pain_halved": 5, "omeract_oarsi": 6}
    assert row["rates"]["pain_halved"]["value"] == pytest.approx(0.6)
    assert row["rates"]["pain_halved"]["ci95"] == pytest.approx(list(wilson_interval(3, 5)))
    assert row["rates"]["omeract_oarsi"]["value"] == pytest.approx(0.5)
    assert rows[1]["rates"] == {"pain_halved": None, "omeract_oarsi": None}


def test_durability_counts_and_curve():
    outcomes = [
        outcome("cohort", "event", 100, onset=28, nadir=60),
        outcome("cohort", "competing_event", 100, onset=42, nadir=90),
        outcome("cohort", "censored", 200, onset=14, nadir=120),
        outcome("no_baseline"),
        outcome("never_responded"),
        outcome("never_responded"),
    ]
    summary = summarise(outcomes)
    durability = summary["durability"]
    assert (durability["cohort"], durability["events"], durability["competing_events"]) == (3, 1, 1)
    assert durability["censored"] == 1
    assert durability["excluded"] == {"no_baseline": 1, "never_responded": 2}
    # The competing exit leaves the curve as a censoring, after the day's event.
    assert [(r["day"], r["at_risk"], r["events"], r["censored"]) for r in durability["curve"]] == [
        (100, 3, 1, 1),
        (200, 1, 0, 1),
    ]
    assert durability["survival_at"]["182"] == pytest.approx(2 / 3)
    assert durability["survival_at"]["365"] is None  # past the last exit
    assert (durability["median_days"], durability["median_ci95"][1]) == (None, None)
    assert summary["onset_days"] == {"median": 28, "q1": 21.0, "q3": 35.0}
    assert summary["nadir_days"]["median"] == 90
    assert (summary["groups"], summary["logrank_p"]) == ([], None)


def test_groups_by_kl_grade_in_order_and_logrank_among_groups_with_a_cohort():
    outcomes = [
        outcome("cohort", "event", 60, kl_grade=4),
        outcome("cohort", "event", 90, kl_grade=4),
        outcome("cohort", "censored", 700, kl_grade=2),
        outcome("cohort", "event", 500, kl_grade=3),
        outcome("never_responded", kl_grade=None),
        outcome("cohort", "censored", 400, kl_grade=1),
    ]
    summary = summarise(outcomes, "kl_grade")
    assert [g["key"] for g in summary["groups"]] == ["0-1", "2-3", "4", "unknown"]
    unknown = summary["groups"][3]
    assert (unknown["durability"]["cohort"], unknown["durability"]["curve"]) == (0, [])
    expected = logrank_p(
        [60, 90, 700, 500, 400], [True, True, False, True, False], ["4", "4", "2-3", "2-3", "0-1"]
    )
    assert summary["logrank_p"] == pytest.approx(expected)
    assert set(summary["groups"][0]) == {
        "key",
        "milestones",
        "durability",
        "onset_days",
        "nadir_days",
    }


def test_groups_by_kind_and_route_use_their_codes():
    outcomes = [
        outcome("no_baseline", kind="ucmsc", route="iv"),
        outcome("no_baseline", kind="bmac", route="intra_articular"),
    ]
    assert [g["key"] for g in summarise(outcomes, "kind")["groups"]] == ["bmac", "ucmsc"]
    assert [g["key"] for g in summarise(outcomes, "route")["groups"]] == ["intra_articular", "iv"]


def test_logrank_is_null_when_only_one_group_has_a_cohort():
    outcomes = [outcome("cohort", "event", 60, kind="prp"), outcome("no_baseline", kind="bmac")]
    assert summarise(outcomes, "kind")["logrank_p"] is None


def test_unknown_group_by_is_refused():
    with pytest.raises(ValueError, match="group_by must be one of kind, kl_grade, route"):
        summarise([], "site")


def test_empty_clinic_summarises_to_empty_figures():
    summary = summarise([], "kind")
    assert summary["milestones"] == [] and summary["groups"] == []
    assert summary["durability"]["survival_at"] == {"182": None, "365": None, "730": None}
    assert summary["durability"]["median_ci95"] == [None, None]


@settings(max_examples=40)
@given(st.lists(histories(), max_size=12), st.sampled_from([None, "kind", "kl_grade", "route"]))
def test_summary_accounts_for_every_treatment_and_is_plain_json(treatments, group_by):
    summary = summarise_histories(treatments, Thresholds(), group_by)
    json.dumps(summary, allow_nan=False)
    for figures in [summary, *summary["groups"]]:
        durability = figures["durability"]
        exits = durability["events"] + durability["competing_events"] + durability["censored"]
        assert durability["cohort"] == exits
        curve = durability["curve"]
        assert sum(row["events"] for row in curve) == durability["events"]
        assert sum(row["censored"] for row in curve) == exits - durability["events"]
        assert all(row["ci95"][0] <= row["survival"] <= row["ci95"][1] for row in curve)
    assert summary["durability"]["cohort"] + sum(summary["durability"]["excluded"].values()) == len(
        treatments
    )
    if group_by is None:
        assert (summary["groups"], summary["logrank_p"]) == ([], None)
    else:
        cohorts = [g["durability"]["cohort"] for g in summary["groups"]]
        assert sum(cohorts) == summary["durability"]["cohort"]
        if sum(1 for c in cohorts if c) < 2:
            assert summary["logrank_p"] is None


@settings(max_examples=40)
@given(
    st.lists(histories(), max_size=14),
    st.sampled_from([None, "kind", "kl_grade", "route"]),
    st.randoms(use_true_random=False),
)
def test_a_tally_counted_in_and_out_gives_the_figures_of_what_is_left(treatments, group_by, rng):
    outcomes = [assess_treatment(h, Thresholds()) for h in treatments]
    tally = GroupedTally(group_by)
    for outcome in outcomes:
        tally.add(outcome)
    kept = list(outcomes)
    for gone in rng.sample(outcomes, rng.randint(0, len(outcomes))):
        tally.remove(gone)
        kept.remove(gone)
        tally.add(gone)  # counted in again, then out for good: nothing of it may linger
        tally.remove(gone)
    assert tally.figures() == summarise(kept, group_by)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.sampled_from("ab")), max_size=60))
def test_counted_exits_estimate_the_same_curve_and_test_as_the_exits_repeated(exits):
    counted = Counter(exits)
    days = [day for day, _, _ in counted]
    events = [event for _, event, _ in counted]
    groups = [group for _, _, group in counted]
    curve_pairs = Counter((day, event) for day, event, _ in exits)
    assert kaplan_meier(
        [day for day, _ in curve_pairs],
        [event for _, event in curve_pairs],
        list(curve_pairs.values()),
    ) == kaplan_meier([d for d, _, _ in exits], [e for _, e, _ in exits])
    assert logrank_p(days, events, groups, list(counted.values())) == logrank_p(
        [d for d, _, _ in exits], [e for _, e, _ in exits], [g for _, _, g in exits]
    )


# --- speed -----------------------------------------------------------------------------------


def synthetic_histories(count):
    """A clinic's worth of treatments, about twenty check-ins each, varied but deterministic."""
    histories = []
    for n in range(count):
        treated_on = TREATED_ON + timedelta(days=n % 900)
        facts = TreatmentFacts(
            treatment_id=n,
            treated_on=treated_on,
            kind=("adsc_cultured", "ucmsc", "bmac", "prp")[n % 4],
            route=("intra_articular", "iv")[n % 7 == 0],
            kl_grade=(None, 1, 2, 3, 4)[n % 5],
            today=TREATED_ON + timedelta(days=1000),
            baseline_pain=6 + n % 4,
            baseline_stiffness=None if n % 11 == 0 else 6 + n % 3,
        )
        checkins = tuple(
            OutcomeReading(
                checkin_id=20 * n + i,
                recorded_on=treated_on + timedelta(days=7 * i + n % 5),
                pain=max(0, 7 - i + (i * n) % 5),
                stiffness=max(0, 7 - i + (i * n) % 6),
                function=(i + n) % 10,
                global_assessment=(2 * i + n) % 10,
            )
            for i in range(20)
        )
        runs = (treated_on + timedelta(days=70 + n % 60),) if n % 3 == 0 else ()
        histories.append(TreatmentHistory(facts, checkins, runs))
    return histories


def test_twenty_thousand_treatments_summarise_in_well_under_a_second():
    histories = synthetic_histories(20_000)
    outcomes = [assess_treatment(h, Thresholds()) for h in histories]
    summarise(outcomes, "kl_grade")  # warm lifelines up
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        summary = summarise(outcomes, "kl_grade")
        best = min(best, time.perf_counter() - started)
    assert summary["durability"]["cohort"] > 1000 and summary["logrank_p"] is not None
    assert best < 0.5, f"summarising 20,000 treatments took {best:.2f} s"


def test_summarise_histories_assesses_then_summarises():
    histories = synthetic_histories(50)
    summary = summarise_histories(histories, Thresholds(), "route")
    assert summary["durability"]["cohort"] + sum(summary["durability"]["excluded"].values()) == len(
        histories
    )
    assert {g["key"] for g in summary["groups"]} == {"intra_articular", "iv"}
