from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.followup.flags import Thresholds
from tracker.followup.outcomes import (
    OutcomeBaseline,
    OutcomeEvent,
    OutcomeReading,
    TreatmentFacts,
    TreatmentHistory,
    assess_treatment,
    is_omeract_oarsi_responder,
    is_pain_halved,
    outcome_baseline,
)
from tracker.followup.schedule import ScheduleSettings

TREATED_ON = date(2025, 1, 6)
THRESHOLDS = Thresholds()  # early_days 14, min_improvement 2, rise_points 2
# Eight-week milestone: due day 56, window days 53 to 70 (3 before, 14 after).
EIGHT_WEEKS_DUE, EIGHT_WEEKS_OPENS, EIGHT_WEEKS_CLOSES = 56, 53, 70


def on(day: int) -> date:
    return TREATED_ON + timedelta(days=day)


def ci(day, pain=3, stiffness=3, function=None, global_assessment=None, *, checkin_id=None):
    return OutcomeReading(
        checkin_id=checkin_id if checkin_id is not None else 1000 + day,
        recorded_on=on(day),
        pain=pain,
        stiffness=stiffness,
        function=function,
        global_assessment=global_assessment,
    )


def facts(today_day=1000, weeks=(2, 8, 12, 52), **baseline) -> TreatmentFacts:
    values = {"baseline_pain": 8, "baseline_stiffness": 8} | baseline
    return TreatmentFacts(
        treatment_id=7,
        treated_on=TREATED_ON,
        kind="adsc_cultured",
        route="intra_articular",
        kl_grade=2,
        today=on(today_day),
        schedule=ScheduleSettings(milestone_weeks=weeks),
        **values,
    )


def assess(checkins, *, runs=(), events=(), closed_day=None, today_day=1000, **baseline):
    history = TreatmentHistory(
        facts=facts(today_day, **baseline),
        checkins=tuple(checkins),
        stiffness_runs_started_on=tuple(on(d) for d in runs),
        outcome_events=tuple(events),
        series_closed_on=None if closed_day is None else on(closed_day),
    )
    return assess_treatment(history, THRESHOLDS)


def eight_weeks(outcome):
    return next(m for m in outcome.milestones if m.milestone_weeks == 8)


def answered_day(milestone):
    return None if milestone.answer is None else (milestone.answer.recorded_on - TREATED_ON).days


# --- milestone answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([54, 59], 54),  # 2 days early beats 3 days late
        ([52, 60], 60),  # day 52 is outside the window
        ([55, 57], 55),  # equally close: the earlier one
        ([EIGHT_WEEKS_OPENS], EIGHT_WEEKS_OPENS),  # first day of the window is inside
        ([EIGHT_WEEKS_CLOSES], EIGHT_WEEKS_CLOSES),  # last day of the window is inside
        ([EIGHT_WEEKS_OPENS - 1, EIGHT_WEEKS_CLOSES + 1], None),
        ([40, 56, 90], 56),
    ],
)
def test_milestone_answer_is_the_check_in_closest_to_the_due_date(days, expected):
    milestone = eight_weeks(assess([ci(d) for d in days]))
    assert answered_day(milestone) == expected
    assert milestone.status == ("answered" if expected is not None else "missed")
    assert (milestone.due_on, milestone.window_opens_on, milestone.window_closes_on) == (
        on(EIGHT_WEEKS_DUE),
        on(EIGHT_WEEKS_OPENS),
        on(EIGHT_WEEKS_CLOSES),
    )


def test_two_check_ins_on_the_answer_day_take_the_first_recorded():
    milestone = eight_weeks(assess([ci(56, pain=6, checkin_id=9), ci(56, pain=2, checkin_id=4)]))
    assert milestone.answer.checkin_id == 4


@pytest.mark.parametrize(
    ("today_day", "status"),
    [
        (10, "pending"),  # before the window
        (60, "pending"),  # inside it, nothing yet
        (EIGHT_WEEKS_CLOSES, "pending"),  # its last day is still open
        (EIGHT_WEEKS_CLOSES + 1, "missed"),  # the day after: closed with no check-in
    ],
)
def test_unanswered_milestone_is_pending_until_the_day_after_its_window(today_day, status):
    assert eight_weeks(assess([ci(30)], today_day=today_day)).status == status


def test_milestones_follow_the_treatments_own_weeks_in_order():
    outcome = assess([], weeks=(12, 4))
    assert [m.milestone_weeks for m in outcome.milestones] == [4, 12]


def test_milestone_after_a_later_treatment_is_closed_not_missed():
    # A booster on day 60 closes the series: the 8-week window was cut short and the
    # 12- and 52-week questions were never asked of this treatment.
    outcome = assess([ci(14), ci(60), ci(84)], closed_day=60)
    statuses = {m.milestone_weeks: m.status for m in outcome.milestones}
    assert statuses == {2: "answered", 8: "closed", 12: "closed", 52: "closed"}


def test_answer_before_the_series_closed_still_counts():
    outcome = assess([ci(55), ci(60)], closed_day=60)
    assert answered_day(eight_weeks(outcome)) == 55


def test_series_closed_after_a_missed_window_leaves_it_missed():
    outcome = assess([ci(30)], closed_day=EIGHT_WEEKS_CLOSES + 1)
    assert eight_weeks(outcome).status == "missed"


# --- baseline (the flag rules' baseline, with function and global assessment) ---------------


def test_treatment_baseline_carries_function_and_global_assessment():
    baseline = outcome_baseline(facts(baseline_function=6, baseline_global_assessment=7), [])
    assert baseline == OutcomeBaseline(8, 8, "treatment", 6, 7)


def test_without_treatment_stiffness_the_latest_check_in_of_the_30_days_before_is_baseline():
    checkins = [ci(-30, 9, 9, 5, 6), ci(-10, 7, 6, 4, 5), ci(-31, 1, 1, 1, 1), ci(2, 1, 1, 1, 1)]
    baseline = outcome_baseline(facts(baseline_pain=3, baseline_stiffness=None), checkins)
    assert baseline == OutcomeBaseline(7, 6, "checkin", 4, 5)


def test_no_treatment_stiffness_and_no_recent_check_in_means_no_baseline():
    assert outcome_baseline(facts(baseline_stiffness=None), [ci(-31)]) is None


# --- responders at a milestone -------------------------------------------------------------


def base(pain=None, stiffness=5, function=None, global_assessment=None):
    return OutcomeBaseline(pain, stiffness, "treatment", function, global_assessment)


@pytest.mark.parametrize(
    ("baseline_pain", "pain", "expected"),
    [
        (8, 4, True),
        (8, 5, False),
        (7, 3, True),  # 3 is at most half of 7
        (7, 4, False),
        (1, 0, True),
        (1, 1, False),
        (0, 0, None),  # baseline pain 0 cannot halve: not in the denominator
        (None, 0, None),
    ],
)
def test_pain_halved(baseline_pain, pain, expected):
    assert is_pain_halved(base(pain=baseline_pain), ci(56, pain=pain)) is expected


def test_pain_halved_needs_a_baseline():
    assert is_pain_halved(None, ci(56, pain=0)) is None


@pytest.mark.parametrize(
    ("baseline", "answer", "expected"),
    [
        # High improvement in pain: >= 50% and >= 2 points.
        (base(pain=4), ci(56, pain=2), True),
        (base(pain=3), ci(56, pain=1), True),
        (base(pain=5), ci(56, pain=3), False),  # 2 points but only 40%
        (base(pain=2), ci(56, pain=1), False),  # 50% but only 1 point
        # High improvement in function alone.
        (base(pain=6, function=6), ci(56, pain=6, function=3), True),
        (base(pain=6, function=None), ci(56, pain=6, function=0), False),  # missing at baseline
        (base(pain=6, function=6), ci(56, pain=6, function=None), False),  # missing at milestone
        # Two of pain, function, global by >= 20% and >= 1 point.
        (base(pain=5, global_assessment=5), ci(56, pain=4, global_assessment=4), True),
        (base(pain=5, function=5), ci(56, pain=4, function=4), True),
        (base(pain=5, function=5, global_assessment=5), ci(56, 5, 5, 4, 4), True),
        (base(pain=5, global_assessment=5), ci(56, pain=4, global_assessment=5), False),
        (base(pain=6, global_assessment=6), ci(56, pain=5, global_assessment=5), False),  # 17%
        (base(pain=10, global_assessment=10), ci(56, pain=8, global_assessment=8), True),  # 20%
        (base(pain=5, global_assessment=5), ci(56, pain=4, global_assessment=None), False),
        (base(pain=0, global_assessment=0), ci(56, pain=0, global_assessment=0), False),
        # Worse is never better.
        (base(pain=2, function=2), ci(56, pain=9, function=9), False),
        # A baseline without pain still counts in the denominator, as not improved.
        (base(pain=None), ci(56, pain=0), False),
    ],
)
def test_omeract_oarsi(baseline, answer, expected):
    assert is_omeract_oarsi_responder(baseline, answer) is expected


def test_omeract_oarsi_needs_a_baseline():
    assert is_omeract_oarsi_responder(None, ci(56, pain=0)) is None


def test_responders_are_judged_only_on_answered_milestones():
    outcome = assess([ci(56, pain=2)], baseline_pain=8)
    by_weeks = {m.milestone_weeks: m for m in outcome.milestones}
    assert (by_weeks[8].pain_halved, by_weeks[8].omeract_oarsi) == (True, True)
    assert (by_weeks[12].pain_halved, by_weeks[12].omeract_oarsi) == (None, None)


# --- durability: cohort, exclusions, event, competing event, censoring -----------------------


def test_no_baseline_is_excluded():
    outcome = assess([ci(30, 0, 0)], baseline_stiffness=None)
    assert outcome.durability.status == "no_baseline"
    assert (outcome.durability.exit, outcome.durability.day) == (None, None)


def test_never_improving_by_min_improvement_is_excluded():
    # Baseline 8/8: 7 is only one point better.
    outcome = assess([ci(30, 7, 7), ci(90, 7, 7)])
    assert outcome.durability.status == "never_responded"
    assert outcome.onset_day is None


def test_improvement_only_in_the_flare_weeks_does_not_count():
    outcome = assess([ci(10, 1, 1), ci(13, 1, 1), ci(30, 8, 8)])
    assert outcome.durability.status == "never_responded"


@pytest.mark.parametrize(
    ("checkin", "onset"),
    [
        (ci(30, pain=6, stiffness=8), 30),  # pain alone by 2
        (ci(30, pain=8, stiffness=6), 30),  # stiffness alone by 2
        (ci(14, pain=8, stiffness=6), 14),  # first eligible day
    ],
)
def test_either_pain_or_stiffness_improving_by_min_improvement_joins_the_cohort(checkin, onset):
    outcome = assess([ci(13, 1, 1), checkin])
    assert outcome.durability.status == "cohort"
    assert outcome.onset_day == onset


def test_event_is_the_first_stiffness_run_on_or_after_the_first_improvement():
    checkins = [ci(28, 4, 4), ci(90, 3, 2), ci(120, 5, 6), ci(130, 5, 6)]
    outcome = assess(checkins, runs=(120, 200))
    assert (outcome.durability.exit, outcome.durability.day) == ("event", 120)
    assert (outcome.onset_day, outcome.nadir_day) == (28, 90)


def test_run_before_any_improvement_is_not_a_loss_of_effect():
    # Stiffness rose before the knee ever improved: there was no effect to lose yet.
    checkins = [ci(14, 8, 7), ci(20, 8, 9), ci(28, 8, 9), ci(60, 3, 3), ci(100, 3, 3)]
    outcome = assess(checkins, runs=(20,))
    assert (outcome.durability.exit, outcome.durability.day) == ("censored", 100)
    assert outcome.onset_day == 60


def test_run_starting_on_the_day_of_first_improvement_is_the_event():
    checkins = [ci(14, 8, 7), ci(20, 3, 9), ci(28, 3, 9)]
    outcome = assess(checkins, runs=(20,))
    assert (outcome.durability.exit, outcome.durability.day) == ("event", 20)
    assert outcome.onset_day == 20


@pytest.mark.parametrize(
    ("kind", "event_day", "exit", "day"),
    [
        ("knee_replacement", 80, "competing_event", 80),  # before the loss
        ("osteotomy", 80, "competing_event", 80),
        ("knee_replacement", 100, "event", 100),  # same day: the loss counts
        ("knee_replacement", 150, "event", 100),  # after the loss
        ("other_surgery", 80, "event", 100),  # only replacement and osteotomy compete
        ("another_injection", 80, "event", 100),
    ],
)
def test_competing_event_only_strictly_before_the_loss(kind, event_day, exit, day):
    checkins = [ci(28, 4, 4), ci(100, 4, 7), ci(110, 4, 7)]
    outcome = assess(checkins, runs=(100,), events=[OutcomeEvent(kind, on(event_day))])
    assert (outcome.durability.exit, outcome.durability.day) == (exit, day)


def test_competing_event_without_any_loss_ends_the_follow_up_that_day():
    events = [OutcomeEvent("knee_replacement", on(400)), OutcomeEvent("osteotomy", on(300))]
    outcome = assess([ci(28, 4, 4), ci(200, 4, 4)], events=events)
    assert (outcome.durability.exit, outcome.durability.day) == ("competing_event", 300)


def test_competing_event_before_treatment_or_after_the_series_closed_is_ignored():
    events = [OutcomeEvent("knee_replacement", on(-5)), OutcomeEvent("osteotomy", on(250))]
    outcome = assess([ci(28, 4, 4), ci(200, 4, 4)], events=events, closed_day=250)
    assert (outcome.durability.exit, outcome.durability.day) == ("censored", 200)


def test_censored_at_the_last_eligible_check_in_of_the_series():
    checkins = [ci(28, 4, 4), ci(90, 4, 4), ci(150, 4, 4), ci(200, 4, 4)]
    assert assess(checkins).durability.day == 200
    # A booster on day 150 (given with no stiffness flag) closes the series before day 150.
    closed = assess(checkins, closed_day=150)
    assert (closed.durability.exit, closed.durability.day) == ("censored", 90)


def test_nadir_is_the_earliest_check_in_with_the_lowest_stiffness():
    checkins = [ci(10, 1, 0), ci(28, 4, 3), ci(60, 4, 2), ci(90, 4, 2), ci(120, 4, 5)]
    assert assess(checkins).nadir_day == 60  # day 10 is in the flare weeks


def test_outcome_carries_what_groups_are_made_of():
    outcome = assess([])
    assert (outcome.treatment_id, outcome.kind, outcome.route, outcome.kl_grade) == (
        7,
        "adsc_cultured",
        "intra_articular",
        2,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kl_grade": 5}, "kl_grade"),
        ({"baseline_pain": 11}, "baseline_pain"),
        ({"baseline_function": -1}, "baseline_function"),
        ({"today": TREATED_ON - timedelta(days=1)}, "today"),
    ],
)
def test_facts_refuse_values_out_of_range(change, message):
    values = {
        "treatment_id": 1,
        "treated_on": TREATED_ON,
        "kind": "prp",
        "route": "iv",
        "kl_grade": None,
        "today": TREATED_ON,
    }
    with pytest.raises(ValueError, match=message):
        TreatmentFacts(**(values | change))


# --- properties ------------------------------------------------------------------------------

scores = st.integers(0, 10)
maybe_scores = st.none() | scores


@st.composite
def histories(draw):
    count = draw(st.integers(0, 25))
    checkins = tuple(
        OutcomeReading(
            checkin_id=i,
            recorded_on=on(draw(st.integers(-40, 800))),
            pain=draw(scores),
            stiffness=draw(scores),
            function=draw(maybe_scores),
            global_assessment=draw(maybe_scores),
        )
        for i in range(1, count + 1)
    )
    closed_day = draw(st.none() | st.integers(1, 800))
    today_day = draw(st.integers(0, 900))
    runs = tuple(on(d) for d in draw(st.lists(st.integers(0, 800), max_size=3)))
    kinds = st.sampled_from(["knee_replacement", "osteotomy", "other_surgery"])
    events = draw(st.lists(st.builds(OutcomeEvent, kinds, st.integers(-40, 800).map(on))))
    treatment = facts(
        today_day,
        baseline_pain=draw(maybe_scores),
        baseline_stiffness=draw(maybe_scores),
        baseline_function=draw(maybe_scores),
        baseline_global_assessment=draw(maybe_scores),
    )
    treatment = replace(
        treatment,
        kind=draw(st.sampled_from(["adsc_cultured", "prp"])),
        route=draw(st.sampled_from(["intra_articular", "iv"])),
        kl_grade=draw(st.none() | st.integers(0, 4)),
    )
    closed_on = None if closed_day is None else on(closed_day)
    return TreatmentHistory(treatment, checkins, runs, tuple(events), closed_on)


limits = st.builds(Thresholds, early_days=st.integers(0, 30), min_improvement=st.integers(0, 4))


@given(histories(), limits)
def test_a_treatment_is_in_exactly_one_of_cohort_or_excluded(history, thresholds):
    durability = assess_treatment(history, thresholds).durability
    assert durability.status in {"cohort", "no_baseline", "never_responded"}
    in_cohort = durability.status == "cohort"
    assert in_cohort == (durability.exit in {"event", "competing_event", "censored"})
    assert in_cohort == (durability.day is not None)


@given(histories(), limits)
def test_an_event_never_precedes_the_first_improvement(history, thresholds):
    outcome = assess_treatment(history, thresholds)
    if outcome.durability.exit == "event":
        assert outcome.durability.day >= outcome.onset_day


@given(histories(), limits)
def test_censoring_is_never_after_the_series_end(history, thresholds):
    outcome = assess_treatment(history, thresholds)
    if outcome.durability.exit != "censored":
        return
    censored_on = TREATED_ON + timedelta(days=outcome.durability.day)
    assert censored_on >= TREATED_ON + timedelta(days=thresholds.early_days)
    assert censored_on <= max(c.recorded_on for c in history.checkins)
    if history.series_closed_on is not None:
        assert censored_on < history.series_closed_on


@given(histories(), limits)
def test_every_milestone_has_one_status_and_answers_lie_in_their_window(history, thresholds):
    for milestone in assess_treatment(history, thresholds).milestones:
        assert milestone.status in {"answered", "missed", "pending", "closed"}
        assert (milestone.answer is not None) == (milestone.status == "answered")
        if milestone.answer is not None:
            assert milestone.window_opens_on <= milestone.answer.recorded_on
            assert milestone.answer.recorded_on <= milestone.window_closes_on
        else:
            assert (milestone.pain_halved, milestone.omeract_oarsi) == (None, None)
