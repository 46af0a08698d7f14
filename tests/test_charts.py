"""The sparkline and patient chart: pure geometry, then the chart on the patient page."""

import re
from datetime import UTC, date, datetime, timedelta

from tests import factories
from tracker.chart_geometry import Scale, path_through
from tracker.clinic.charts import (
    ChartFlag,
    ChartTreatment,
    Reading,
    day_step,
    patient_chart,
    sparkline,
)
from tracker.extensions import db
from tracker.models import Flag
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment

TREATED_ON = date(2026, 1, 10)


def on(day: int) -> date:
    return TREATED_ON + timedelta(days=day)


def readings(*triples) -> list[Reading]:
    return [Reading(on(day), stiffness, pain) for day, stiffness, pain in triples]


def numbers(path: str) -> list[tuple[float, float]]:
    pairs = re.findall(r"[ML](-?[\d.]+) (-?[\d.]+)", path)
    return [(float(x), float(y)) for x, y in pairs]


def chart(**overrides):
    values = {
        "zero": TREATED_ON,
        "today": on(60),
        "readings": readings((14, 2, 3), (30, 3, 3), (40, 5, 4), (47, 5, 5)),
        "treatments": [ChartTreatment(TREATED_ON, False)],
        "milestone_weeks": [2, 8, 12, 52],
        "nadir": Reading(on(14), 2, 3),
        "rise_points": 2,
    }
    return patient_chart(**{**values, **overrides})


# --- building blocks ---------------------------------------------------------------------------


def test_scale_maps_ends_and_middle():
    y = Scale(0, 10, 100, 0)
    assert (y(0), y(5), y(10)) == (100, 50, 0)


def test_scale_of_a_single_value_stays_at_the_start():
    assert Scale(3, 3, 10, 90)(3) == 10


def test_path_through_no_points_is_empty_and_points_are_joined_in_order():
    assert path_through([]) == ""
    assert path_through([(1, 2), (3, 4), (5, 6)]) == "M1 2 L3 4 L5 6"


def test_day_step_keeps_the_axis_readable():
    assert day_step(14) == 7
    assert day_step(60) == 7
    assert day_step(120) == 14
    assert day_step(364) == 56
    assert day_step(5000) == 364


# --- sparkline ---------------------------------------------------------------------------------


def test_sparkline_of_no_checkins_is_none():
    assert sparkline(TREATED_ON, []) is None


def test_sparkline_draws_both_scores_left_to_right_within_the_box():
    spark = sparkline(TREATED_ON, readings((40, 5, 4), (14, 2, 3), (47, 5, 6)))
    stiffness, pain = numbers(spark.stiffness_path), numbers(spark.pain_path)
    assert len(stiffness) == len(pain) == 3
    xs = [x for x, _ in stiffness]
    assert xs == sorted(xs)  # readings are put in date order
    for x, y in stiffness + pain:
        assert 0 <= x <= spark.width and 0 <= y <= spark.height
    # Higher scores are drawn higher up (smaller y).
    assert stiffness[0][1] > stiffness[-1][1]
    assert spark.last_stiffness == stiffness[-1] and spark.last_pain == pain[-1]
    assert "Stiffness 2 to 5" in spark.summary and "3 check-ins" in spark.summary


def test_sparkline_of_one_checkin_still_has_a_point():
    spark = sparkline(TREATED_ON, readings((3, 4, 4)))
    assert numbers(spark.stiffness_path) == [spark.last_stiffness]


# --- patient chart ------------------------------------------------------------------------------


def test_chart_puts_scores_on_a_0_to_10_axis():
    drawn = chart()
    plot = drawn.plot
    assert [tick.value for tick in drawn.score_ticks] == [0, 2, 4, 6, 8, 10]
    assert drawn.score_ticks[0].position == plot.bottom
    assert drawn.score_ticks[-1].position == plot.top
    assert [dot.value for dot in drawn.stiffness] == [2, 3, 5, 5]
    assert [dot.day for dot in drawn.pain] == [14, 30, 40, 47]
    assert drawn.stiffness[2].y < drawn.stiffness[0].y


def test_chart_x_axis_is_days_since_the_latest_treatment_up_to_today():
    drawn = chart()
    plot = drawn.plot
    assert drawn.day_ticks[0].value == 0 and drawn.day_ticks[0].position == plot.left
    assert all(tick.value % 7 == 0 for tick in drawn.day_ticks)
    # Today (day 60) is the right edge.
    assert drawn.day_ticks[-1].value <= 60
    assert chart(today=on(60)).stiffness[-1].x < plot.right


def test_chart_marks_milestones_within_the_axis():
    drawn = chart()
    assert [(tick.value, tick.label) for tick in drawn.milestone_ticks] == [
        (14, "2 wk"),
        (56, "8 wk"),
    ]
    late = chart(today=on(400))
    assert [tick.value for tick in late.milestone_ticks] == [14, 56, 84, 364]


def test_chart_shows_the_first_milestone_even_right_after_treatment():
    drawn = chart(today=on(1), readings=[], nadir=None)
    assert [tick.value for tick in drawn.milestone_ticks] == [14]
    assert drawn.stiffness_path == "" and drawn.nadir is None and drawn.threshold is None


def test_chart_draws_nadir_and_rise_threshold():
    drawn = chart()
    y = {tick.value: tick.position for tick in drawn.score_ticks}
    assert drawn.nadir.value == 2 and drawn.nadir.y == y[2]
    assert drawn.threshold.value == 4 and drawn.threshold.y == y[4]
    assert drawn.nadir.x1 == drawn.stiffness[0].x  # from the day of the nadir
    assert drawn.nadir.x2 == drawn.plot.right


def test_chart_leaves_out_a_threshold_above_10():
    drawn = chart(nadir=Reading(on(14), 9, 3))
    assert drawn.nadir.value == 9 and drawn.threshold is None


def test_chart_of_a_booster_starts_from_its_own_day_0():
    booster_on = on(120)
    drawn = chart(
        zero=booster_on,
        today=booster_on + timedelta(days=20),
        readings=readings((14, 2, 3), (47, 5, 5), (125, 3, 3)),
        treatments=[ChartTreatment(booster_on, True)],
        nadir=None,
    )
    (booster,) = drawn.treatments
    assert (booster.day, booster.kind, booster.x) == (0, "booster", drawn.plot.left)
    # Only the booster's own series: nothing from before it, no negative days.
    assert [dot.day for dot in drawn.stiffness] == [5]
    assert drawn.day_ticks[0].value == 0


def test_chart_series_stops_the_day_before_the_next_treatment():
    drawn = chart(ends_on=on(44), today=on(200))
    assert [dot.day for dot in drawn.stiffness] == [14, 30, 40]
    assert drawn.today is None  # today belongs to the later treatment's chart


def test_chart_starts_from_the_baseline_at_day_0_and_marks_today():
    drawn = chart(baseline=(7, 6))
    y = {tick.value: tick.position for tick in drawn.score_ticks}
    assert (drawn.baseline_stiffness.x, drawn.baseline_stiffness.y) == (
        drawn.plot.left,
        y[6] - (y[6] - y[8]) / 2,
    )
    assert numbers(drawn.stiffness_path)[0] == (
        drawn.baseline_stiffness.x,
        drawn.baseline_stiffness.y,
    )
    assert drawn.baseline_pain.value == 6 and drawn.baseline_pain.y == y[6]
    assert drawn.today.day == 60 and drawn.plot.left < drawn.today.x <= drawn.plot.right


def test_chart_labels_near_the_edges_hang_inwards():
    drawn = chart(today=on(364))
    assert drawn.today.anchor == "end"
    assert drawn.treatments[0].anchor == "start"


def test_chart_marks_open_flags_at_their_day_and_leaves_out_other_series():
    drawn = chart(
        flags=[ChartFlag(on(47), "booster_window", "open"), ChartFlag(on(900), "relapse", "open")]
    )
    (seen,) = drawn.flags
    assert seen.x == drawn.stiffness[-1].x and seen.kind == "booster_window"
    points = drawn.flag_points(seen)
    assert re.fullmatch(r"[\d., ]+", points) and points.count(",") == 3


# --- on the patient page ------------------------------------------------------------------------


def test_patient_page_shows_the_chart_with_a_table_for_screen_readers(logged_in, clinician):
    patient = factories.PatientFactory(clinic=clinician.clinic, name="Aiko <script>x</script>")
    actor = Actor(clinician, "user")
    recorded = datetime(2026, 1, 10, 1, tzinfo=UTC)
    record_treatment(
        patient,
        actor,
        {
            "treated_on": TREATED_ON,
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "baseline_stiffness": 8,
            "baseline_pain": 6,
        },
        now=recorded,
    )
    for day, stiffness in ((14, 2), (30, 3), (40, 5), (47, 5)):
        values = {"recorded_on": on(day), "pain": 3, "stiffness": stiffness}
        record_checkin(patient, actor, values, "clinician", now=recorded + timedelta(days=day))

    html = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)

    assert '<svg class="chart" viewBox="0 0 960 320"' in html
    assert 'class="dot baseline stiff"' in html and 'class="dot baseline pain"' in html
    assert '<line class="today"' in html
    assert 'class="line stiff"' in html and 'class="line pain"' in html
    assert 'class="nadir"' in html and "nadir 2" in html
    assert 'class="threshold"' in html and "rise threshold 4" in html
    assert 'class="milestone-label"' in html and "2 wk" in html
    assert 'class="marker treatment"' in html
    assert 'class="flag-marker booster_window"' in html
    assert "<caption>Stiffness and pain by day since the treatment of 10 Jan 2026" in html
    assert "<tr><td>47</td><td>26 Feb 2026</td><td>5</td><td>3</td></tr>" in html
    assert "<script>x</script>" not in html
    assert " style=" not in html and "<style" not in html and "<script" not in html


def test_patient_without_treatment_has_no_chart(logged_in, clinician):
    patient = factories.PatientFactory(clinic=clinician.clinic)
    html = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert 'class="chart"' not in html


def test_chart_leaves_out_resolved_flags(logged_in, clinician):
    treatment = factories.TreatmentFactory(patient__clinic=clinician.clinic)
    db.session.add(
        Flag(
            clinic_id=treatment.clinic_id,
            patient_id=treatment.patient_id,
            treatment_id=treatment.id,
            kind="adverse_event",
            status="resolved",
            evidence={"recorded_on": "2026-01-12"},
        )
    )
    db.session.commit()
    html = logged_in.get(f"/patients/{treatment.patient_id}").get_data(as_text=True)
    assert 'class="chart"' in html and "flag-marker" not in html
