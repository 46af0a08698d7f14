from datetime import date, timedelta

import pytest

from config import TestConfig
from tracker import create_app
from tracker.clinic_words import evidence_text
from tracker.followup.flags import (
    Baseline,
    Evaluation,
    ExistingFlag,
    FlagChange,
    Reading,
    Thresholds,
    adverse_event_changes,
    choose_baseline,
    evaluate_treatment,
    scan_stiffness,
    treatment_series,
)

TREATED_ON = date(2026, 1, 1)
# High enough that ordinary rises stay booster_window; pain 3 in check-ins is an improvement,
# so non_responder stays quiet unless a test asks for it.
HIGH_BASELINE = Baseline(pain=8, stiffness=9, source="treatment")


def on(day: int) -> date:
    return TREATED_ON + timedelta(days=day)


def ci(day, stiffness, pain=3, *, checkin_id=None, adverse=False, details=None) -> Reading:
    return Reading(
        checkin_id=checkin_id if checkin_id is not None else 100 + day,
        recorded_on=on(day),
        pain=pain,
        stiffness=stiffness,
        adverse_event=adverse,
        adverse_event_details=details,
    )


def evaluate(series, baseline=HIGH_BASELINE, existing=(), pending=False, thresholds=None):
    return evaluate_treatment(
        TREATED_ON, baseline, series, thresholds or Thresholds(), existing, pending
    )


def flag_from(change: FlagChange, flag_id=9, status="open") -> ExistingFlag:
    return ExistingFlag(id=flag_id, kind=change.kind, status=status, evidence=change.evidence)


NOTHING = Evaluation(changes=(), confirmation_on=None)
# Nadir 2 on day 14, a rise to 5 on day 40 held until day 47.
SUSTAINED_RISE = [ci(14, 2), ci(30, 3), ci(40, 5, pain=4), ci(47, 5, pain=5)]


# --- flare window and the first eligible check-in -------------------------------------------


@pytest.mark.parametrize(
    "series",
    [
        [ci(3, 10)],
        [ci(0, 1), ci(3, 10), ci(12, 10)],
        [ci(1, 0), ci(3, 9, pain=10), ci(13, 9, pain=10)],
    ],
    ids=["high-on-day-3", "rise-held-inside-flare", "severe-pain-inside-flare"],
)
def test_flare_window_checkins_never_flag(series):
    assert evaluate(series) == NOTHING


def test_flare_window_low_does_not_become_the_nadir():
    # Day 10 (stiffness 1) is flare; counting it would make days 14-21 a sustained rise.
    assert evaluate([ci(10, 1), ci(14, 6), ci(21, 6)]) == NOTHING


def test_first_eligible_checkin_never_joins_run():
    assert scan_stiffness([ci(14, 9)], rise_points=2).run == ()
    assert evaluate([ci(14, 9)]) == NOTHING


def test_day_14_is_the_first_eligible_day():
    scan = scan_stiffness([ci(14, 2), ci(20, 5)], rise_points=2)
    assert scan.nadir == ci(14, 2)
    assert evaluate([ci(13, 0), ci(14, 2), ci(20, 5)]).confirmation_on == on(27)


# --- suspected rises -------------------------------------------------------------------------


def test_single_high_day_is_only_suspected():
    result = evaluate([ci(14, 2), ci(20, 5)])
    assert result == Evaluation(changes=(), confirmation_on=on(27))


def test_rise_held_six_days_is_still_suspected():
    result = evaluate([ci(14, 2), ci(20, 5), ci(26, 6)])
    assert result == Evaluation(changes=(), confirmation_on=on(27))


def test_pending_confirmation_is_not_asked_for_again():
    assert evaluate([ci(14, 2), ci(20, 5)], pending=True) == NOTHING


def test_rise_of_one_point_is_not_a_rise():
    assert evaluate([ci(14, 2), ci(20, 3), ci(40, 3)]) == NOTHING


# --- sustained rises: booster_window and relapse -----------------------------------------------


def test_rise_over_one_week_opens_booster_window():
    result = evaluate(SUSTAINED_RISE)
    assert result.confirmation_on is None
    assert result.changes == (
        FlagChange(
            action="open",
            kind="booster_window",
            evidence={
                "baseline": {"pain": 8, "stiffness": 9, "source": "treatment"},
                "nadir": {"stiffness": 2, "recorded_on": "2026-01-15"},
                "run_started_on": "2026-02-10",
                "first": {"stiffness": 5, "pain": 4, "recorded_on": "2026-02-10"},
                "latest": {"stiffness": 5, "pain": 5, "recorded_on": "2026-02-17"},
                "rise": 3,
                "days_since_treatment": 47,
            },
            flag_id=None,
            checkin_id=147,
        ),
    )


@pytest.mark.parametrize(
    ("baseline_stiffness", "kind"),
    [(5, "relapse"), (4, "relapse"), (6, "booster_window")],
)
def test_sustained_rise_back_to_baseline_stiffness_is_relapse(baseline_stiffness, kind):
    baseline = Baseline(pain=8, stiffness=baseline_stiffness, source="checkin")
    (change,) = evaluate(SUSTAINED_RISE, baseline=baseline).changes
    assert (change.action, change.kind) == ("open", kind)


@pytest.mark.parametrize(
    ("latest_pain", "baseline", "kind"),
    [
        (7, HIGH_BASELINE, "relapse"),
        (6, HIGH_BASELINE, "booster_window"),
        (7, None, "relapse"),
        (6, None, "booster_window"),
    ],
)
def test_latest_pain_of_seven_is_relapse(latest_pain, baseline, kind):
    series = [ci(14, 2), ci(40, 5), ci(47, 5, pain=latest_pain)]
    (change,) = evaluate(series, baseline=baseline).changes
    assert change.kind == kind


def test_without_baseline_evidence_names_no_baseline():
    (change,) = evaluate(SUSTAINED_RISE, baseline=None).changes
    assert change.evidence["baseline"] == {"pain": None, "stiffness": None, "source": None}


def test_severe_pain_threshold_is_a_setting():
    series = [ci(14, 2), ci(40, 5), ci(47, 5, pain=5)]
    (change,) = evaluate(series, thresholds=Thresholds(severe_pain=5)).changes
    assert change.kind == "relapse"


@pytest.mark.parametrize("status", ["open", "acknowledged"])
def test_booster_window_whose_evidence_crosses_baseline_escalates(status):
    baseline = Baseline(pain=8, stiffness=6, source="treatment")
    (opened,) = evaluate(SUSTAINED_RISE, baseline=baseline).changes
    assert opened.kind == "booster_window"
    existing = [flag_from(opened, flag_id=9, status=status)]

    (change,) = evaluate([*SUSTAINED_RISE, ci(50, 6)], baseline=baseline, existing=existing).changes
    assert change.action == "escalate"
    assert change.kind == "relapse"
    assert change.flag_id == 9
    assert change.checkin_id == 150
    assert change.evidence["latest"]["stiffness"] == 6


def test_same_data_with_its_flag_already_open_changes_nothing():
    (opened,) = evaluate(SUSTAINED_RISE).changes
    assert evaluate(SUSTAINED_RISE, existing=[flag_from(opened)]) == NOTHING


def test_same_data_with_relapse_already_open_changes_nothing():
    series = [ci(14, 2), ci(40, 5), ci(47, 5, pain=9)]
    (opened,) = evaluate(series).changes
    assert opened.kind == "relapse"
    assert evaluate(series, existing=[flag_from(opened)]) == NOTHING


def test_longer_run_updates_the_open_flag_in_place():
    (opened,) = evaluate(SUSTAINED_RISE).changes
    longer = [*SUSTAINED_RISE, ci(54, 6)]
    (change,) = evaluate(longer, existing=[flag_from(opened, flag_id=9)]).changes
    assert (change.action, change.kind, change.flag_id) == ("update", "booster_window", 9)
    assert change.evidence["latest"] == {"stiffness": 6, "pain": 3, "recorded_on": "2026-02-24"}
    assert change.evidence["run_started_on"] == "2026-02-10"
    assert change.evidence["rise"] == 4


def test_relapse_never_de_escalates_to_booster_window():
    series = [ci(14, 2), ci(40, 5), ci(47, 5, pain=9)]
    (opened,) = evaluate(series).changes
    calmer = [*series, ci(54, 5, pain=3)]
    (change,) = evaluate(calmer, existing=[flag_from(opened, flag_id=9)]).changes
    assert (change.action, change.kind, change.flag_id) == ("update", "relapse", 9)


def test_open_flag_is_not_duplicated_by_a_later_run():
    (opened,) = evaluate(SUSTAINED_RISE).changes
    later = [*SUSTAINED_RISE, ci(60, 1), ci(80, 4), ci(90, 4)]
    (change,) = evaluate(later, existing=[flag_from(opened, flag_id=9)]).changes
    assert (change.action, change.flag_id) == ("update", 9)
    assert change.evidence["run_started_on"] == on(80).isoformat()


def test_resolved_flag_for_the_same_run_is_left_alone():
    (opened,) = evaluate(SUSTAINED_RISE).changes
    resolved = flag_from(opened, status="resolved")
    longer = [*SUSTAINED_RISE, ci(54, 6, pain=9)]
    assert evaluate(longer, existing=[resolved]) == NOTHING


def test_resolved_flag_and_a_new_later_run_opens_a_new_flag():
    (opened,) = evaluate(SUSTAINED_RISE).changes
    resolved = flag_from(opened, status="resolved")
    later = [*SUSTAINED_RISE, ci(60, 1), ci(80, 4), ci(90, 4)]
    (change,) = evaluate(later, existing=[resolved]).changes
    assert (change.action, change.kind, change.flag_id) == ("open", "booster_window", None)
    assert change.evidence["run_started_on"] == "2026-03-22"


# --- the run and the nadir -------------------------------------------------------------------


def test_dip_in_the_middle_ends_the_run_and_lowers_the_nadir():
    series = [ci(14, 4), ci(21, 7), ci(24, 3), ci(28, 5), ci(35, 5)]
    scan = scan_stiffness(series, rise_points=2)
    assert scan.nadir == ci(24, 3)
    assert scan.run == (ci(28, 5), ci(35, 5))

    (change,) = evaluate(series).changes
    assert change.evidence["nadir"] == {"stiffness": 3, "recorded_on": "2026-01-25"}
    assert change.evidence["run_started_on"] == "2026-01-29"
    assert change.evidence["rise"] == 2


def test_small_rise_ends_the_run_but_keeps_the_nadir():
    series = [ci(14, 2), ci(20, 5), ci(23, 3), ci(27, 5)]
    scan = scan_stiffness(series, rise_points=2)
    assert scan.nadir == ci(14, 2)
    assert scan.run == (ci(27, 5),)
    assert evaluate(series) == Evaluation(changes=(), confirmation_on=on(34))


def test_run_that_ended_before_the_latest_checkin_opens_nothing():
    assert evaluate([ci(14, 2), ci(20, 5), ci(30, 5), ci(40, 2)]) == NOTHING


def test_scan_stiffness_reads_checkins_in_recorded_order():
    series = [ci(14, 4), ci(21, 7), ci(24, 3), ci(28, 5), ci(35, 5)]
    assert scan_stiffness(series[::-1], rise_points=2) == scan_stiffness(series, rise_points=2)


def test_nadir_tie_keeps_the_date_it_was_first_reached():
    assert scan_stiffness([ci(14, 2), ci(20, 2), ci(30, 2)], rise_points=2).nadir == ci(14, 2)


# --- non_responder ---------------------------------------------------------------------------

FLAT = Baseline(pain=6, stiffness=6, source="treatment")


def flat_series(last_day=84, stiffness=5, pain=5):
    return [ci(day, stiffness, pain) for day in (14, 28, 56, last_day)]


def test_non_responder_needs_a_baseline():
    assert evaluate(flat_series(), baseline=None) == NOTHING


def test_non_responder_at_day_84_without_improvement():
    (change,) = evaluate(flat_series(), baseline=FLAT).changes
    assert change == FlagChange(
        action="open",
        kind="non_responder",
        evidence={
            "baseline": {"pain": 6, "stiffness": 6, "source": "treatment"},
            "min_improvement": 2,
            "non_responder_days": 84,
            "best_stiffness": 5,
            "best_pain": 5,
            "recorded_on": "2026-03-26",
            "days_since_treatment": 84,
        },
        flag_id=None,
        checkin_id=184,
    )


def test_non_responder_waits_until_day_84():
    assert evaluate(flat_series(last_day=83), baseline=FLAT) == NOTHING


@pytest.mark.parametrize(
    "improving",
    [ci(30, 4, 5), ci(30, 5, 4), ci(84, 4, 6)],
    ids=["stiffness", "pain", "on-the-day"],
)
def test_improvement_at_any_point_prevents_non_responder(improving):
    series = [r for r in flat_series() if r.recorded_on != improving.recorded_on]
    assert evaluate([*series, improving], baseline=FLAT) == NOTHING


def test_improvement_in_the_flare_window_does_not_count():
    (change,) = evaluate([ci(5, 0, 0), *flat_series()], baseline=FLAT).changes
    assert change.kind == "non_responder"


def test_improvement_after_day_84_does_not_undo_non_responder():
    series = [*flat_series(last_day=90), ci(100, 1, 1)]
    (change,) = evaluate(series, baseline=FLAT).changes
    assert (change.kind, change.checkin_id) == ("non_responder", 190)


def test_stiffness_only_baseline_judges_stiffness_alone():
    baseline = Baseline(pain=None, stiffness=6, source="treatment")
    (change,) = evaluate(flat_series(pain=0), baseline=baseline).changes
    assert change.kind == "non_responder"


@pytest.mark.parametrize("status", ["open", "acknowledged", "resolved"])
def test_non_responder_opens_once_per_treatment(status):
    (opened,) = evaluate(flat_series(), baseline=FLAT).changes
    existing = [flag_from(opened, status=status)]
    later = [*flat_series(), ci(120, 6, 6)]
    assert evaluate(later, baseline=FLAT, existing=existing) == NOTHING


# --- adverse events --------------------------------------------------------------------------


def test_adverse_event_on_day_one_opens_a_flag_at_once():
    result = evaluate([ci(1, 2, adverse=True, details="Swelling and heat at site")])
    assert result.changes == (
        FlagChange(
            action="open",
            kind="adverse_event",
            evidence={
                "checkin_id": 101,
                "recorded_on": "2026-01-02",
                "days_since_treatment": 1,
                "pain": 3,
                "stiffness": 2,
                "details": "Swelling and heat at site",
            },
            flag_id=None,
            checkin_id=101,
        ),
    )


def test_adverse_event_without_details_leaves_details_out():
    (change,) = evaluate([ci(20, 2, adverse=True)]).changes
    assert "details" not in change.evidence


def test_adverse_events_open_one_flag_per_checkin():
    result = evaluate([ci(1, 2, adverse=True), ci(3, 2), ci(20, 2, adverse=True)])
    assert [c.checkin_id for c in result.changes] == [101, 120]
    assert {c.kind for c in result.changes} == {"adverse_event"}


@pytest.mark.parametrize("status", ["open", "acknowledged", "resolved"])
def test_adverse_event_is_never_flagged_twice(status):
    series = [ci(1, 2, adverse=True), ci(20, 2, adverse=True)]
    first, second = evaluate(series).changes
    existing = [flag_from(first, flag_id=3, status=status)]
    assert evaluate(series, existing=existing).changes == (second,)
    existing.append(flag_from(second, flag_id=4))
    assert evaluate(series, existing=existing) == NOTHING


def test_adverse_event_before_any_treatment_opens_a_flag_without_days_since_treatment():
    reading = ci(-5, 4, pain=7, adverse=True, details="Fever")

    (change,) = adverse_event_changes(None, [reading, ci(-4, 4)], existing=())

    assert (change.action, change.kind, change.checkin_id) == ("open", "adverse_event", 95)
    assert change.evidence["days_since_treatment"] is None
    assert change.evidence["details"] == "Fever"
    assert adverse_event_changes(None, [reading], [flag_from(change)]) == []


def test_adverse_event_before_the_treatment_is_not_part_of_its_series():
    assert evaluate([ci(-5, 4, adverse=True)]) == NOTHING


# --- ordering and the series -----------------------------------------------------------------


def test_out_of_order_checkins_give_the_same_result():
    series = [ci(14, 4), ci(21, 7), ci(24, 3), ci(28, 5), ci(35, 5, adverse=True)]
    shuffled = [series[3], series[0], series[4], series[2], series[1]]
    assert evaluate(shuffled) == evaluate(series)
    assert evaluate(shuffled).changes


def test_same_day_checkins_are_ordered_by_id():
    # The day-20 dip entered later (higher id) is the latest reading, so no run remains.
    series = [ci(14, 2), ci(20, 5, checkin_id=7), ci(20, 2, checkin_id=8)]
    assert evaluate(series) == NOTHING
    swapped = [ci(14, 2), ci(20, 5, checkin_id=8), ci(20, 2, checkin_id=7)]
    assert evaluate(swapped).confirmation_on == on(27)


def test_series_stops_before_the_next_treatment():
    readings = [ci(-1, 5), ci(0, 4), ci(30, 3), ci(59, 2), ci(60, 1), ci(90, 0)]
    assert treatment_series(TREATED_ON, on(60), reversed(readings)) == readings[1:4]
    assert treatment_series(TREATED_ON, None, readings) == readings[1:]


def test_checkins_before_treatment_are_ignored():
    assert evaluate([ci(-5, 2, adverse=True), ci(20, 2)]) == NOTHING


# --- baseline --------------------------------------------------------------------------------

BEFORE = [ci(-40, 1, 1), ci(-20, 6, 7), ci(-3, 5, 8, checkin_id=1), ci(0, 9, 9)]


def test_baseline_comes_from_the_treatment_when_given():
    assert choose_baseline(7, 6, TREATED_ON, BEFORE) == Baseline(7, 6, "treatment")


def test_treatment_stiffness_alone_is_a_baseline():
    assert choose_baseline(None, 6, TREATED_ON, BEFORE) == Baseline(None, 6, "treatment")


@pytest.mark.parametrize("pain", [None, 7], ids=["nothing", "pain-only"])
def test_baseline_falls_back_to_latest_checkin_in_30_days_before(pain):
    assert choose_baseline(pain, None, TREATED_ON, reversed(BEFORE)) == Baseline(8, 5, "checkin")


def test_baseline_window_includes_day_minus_30():
    assert choose_baseline(None, None, TREATED_ON, [ci(-30, 4, 4)]) == Baseline(4, 4, "checkin")


def test_no_baseline_without_treatment_values_or_recent_checkin():
    assert choose_baseline(None, None, TREATED_ON, [ci(-31, 4, 4), ci(0, 4, 4)]) is None


# --- the evidence in words (the clinic pages' writer, as an English reader sees it) ---------

# An app for its translations only: its database is never opened.
ENGLISH = create_app(type("WordsConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))


def describe_evidence(kind: str, evidence: dict) -> str:
    with ENGLISH.app_context():
        return evidence_text(kind, evidence)


def test_describe_rise():
    evidence = {
        "nadir": {"stiffness": 2, "recorded_on": "2026-01-03"},
        "run_started_on": "2026-03-14",
        "latest": {"stiffness": 5, "pain": 4, "recorded_on": "2026-03-17"},
        "days_since_treatment": 75,
    }
    expected = "Stiffness 2 → 5 since 2026-03-14, above the best of 2 on 2026-01-03 (day 75)"
    assert describe_evidence("booster_window", evidence) == expected
    assert describe_evidence("relapse", evidence) == expected


def test_describe_evidence_of_an_opened_flag():
    (change,) = evaluate(SUSTAINED_RISE).changes
    assert describe_evidence(change.kind, change.evidence) == (
        "Stiffness 2 → 5 since 2026-02-10, above the best of 2 on 2026-01-15 (day 47)"
    )


def test_describe_non_responder():
    (change,) = evaluate(flat_series(pain=6), baseline=Baseline(7, 6, "treatment")).changes
    assert describe_evidence("non_responder", change.evidence) == (
        "No improvement of 2 points after 84 days (baseline stiffness 6, pain 7)"
    )


def test_describe_adverse_event():
    evidence = {"checkin_id": 5, "recorded_on": "2026-02-01", "details": "Rash"}
    assert describe_evidence("adverse_event", evidence) == (
        "Adverse event reported on 2026-02-01: Rash"
    )
    del evidence["details"]
    assert describe_evidence("adverse_event", evidence) == "Adverse event reported on 2026-02-01"


def test_describe_adverse_event_before_any_treatment():
    evidence = {"recorded_on": "2026-02-01", "days_since_treatment": None, "details": "Rash"}
    assert describe_evidence("adverse_event", evidence) == (
        "Adverse event reported on 2026-02-01, before any treatment: Rash"
    )


def test_describe_missed_milestone():
    evidence = {"milestone_weeks": 8, "window_closes_on": "2026-03-21"}
    assert describe_evidence("missed_milestone", evidence) == (
        "No check-in for the 8-week milestone (window closed 2026-03-21)"
    )


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("send_failed", "the email could not be delivered"),
        ("no_email", "no email address on file"),
        ("opted_out", "the patient opted out of emails"),
        ("window_closed_unsent", "the email was not sent before the window closed"),
        ("unanswered", "the email was sent and not answered"),
    ],
)
def test_describe_missed_milestone_says_what_became_of_its_email(outcome, words):
    evidence = {"milestone_weeks": 8, "window_closes_on": "2026-03-21", "outcome": outcome}
    assert describe_evidence("missed_milestone", evidence) == (
        f"No check-in for the 8-week milestone (window closed 2026-03-21): {words}"
    )


def test_describe_falls_back_to_the_kind_for_unreadable_evidence():
    assert describe_evidence("booster_window", {}) == "Booster window"


def test_describe_falls_back_to_the_kind_for_an_unknown_kind():
    assert describe_evidence("lab_result", {"x": 1}) == "Lab result"


# --- a series closed by a later treatment --------------------------------------------------


def test_closed_series_opens_no_stiffness_flag_nor_confirmation():
    closed = evaluate_treatment(
        TREATED_ON, HIGH_BASELINE, SUSTAINED_RISE, Thresholds(), (), False, series_closed=True
    )
    assert closed == NOTHING
    suspected = [ci(14, 2), ci(40, 5)]
    assert evaluate(suspected).confirmation_on is not None
    assert (
        evaluate_treatment(
            TREATED_ON, HIGH_BASELINE, suspected, Thresholds(), (), False, series_closed=True
        )
        == NOTHING
    )


def test_closed_series_opens_no_non_responder_flag():
    flat = [ci(14, 6, pain=6), ci(90, 6, pain=6)]
    baseline = Baseline(pain=6, stiffness=6, source="treatment")
    assert [c.kind for c in evaluate(flat, baseline=baseline).changes] == ["non_responder"]
    closed = evaluate_treatment(
        TREATED_ON, baseline, flat, Thresholds(), (), False, series_closed=True
    )
    assert closed.changes == ()


def test_closed_series_still_opens_adverse_event_and_updates_an_open_flag():
    opened = evaluate(SUSTAINED_RISE).changes[0]
    rising = [*SUSTAINED_RISE, ci(50, 6, pain=5, adverse=True, details="swollen")]
    closed = evaluate_treatment(
        TREATED_ON,
        HIGH_BASELINE,
        rising,
        Thresholds(),
        (flag_from(opened),),
        False,
        series_closed=True,
    )
    assert sorted(c.action for c in closed.changes) == ["open", "update"]
    assert {c.kind for c in closed.changes if c.action == "open"} == {"adverse_event"}
