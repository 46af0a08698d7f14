"""The outcome figures of a clinic, loaded from the records and summarised.

The figures: docs/outcomes-and-reporting.md, Per treatment and Over many treatments.
"""

from datetime import timedelta

import pytest

from tests.outcome_cases import LASTING, RELAPSING, four_knees, treat
from tracker.services.actors import Actor
from tracker.services.outcomes import (
    OutcomeQuery,
    check_outcome_query,
    clinic_outcomes,
    outcome_figures,
)
from tracker.services.treatments import record_treatment
from tracker.services.validation import InvalidInput


def by_treatment(clinic, query=None):
    return {row.outcome.treatment_id: row for row in clinic_outcomes(clinic, query)}


def test_each_treatment_gets_its_durability_from_the_records(clinic, clinician):
    knees = four_knees(clinic, clinician)

    rows = by_treatment(clinic)

    relapsed = rows[knees["relapsed"].id]
    assert (relapsed.outcome.durability.exit, relapsed.outcome.durability.day) == ("event", 150)
    assert relapsed.loss_on == knees["relapsed"].treated_on + timedelta(days=150)
    assert relapsed.outcome.onset_day == 14
    assert relapsed.outcome.nadir_day == 56
    lasting = rows[knees["lasting"].id].outcome.durability
    assert (lasting.exit, lasting.day) == ("censored", 180)
    assert rows[knees["unchanged"].id].outcome.durability.status == "never_responded"
    replaced = rows[knees["replaced"].id].outcome.durability
    assert (replaced.exit, replaced.day) == ("competing_event", 120)


def test_figures_count_the_cohort_events_and_milestones(clinic, clinician):
    four_knees(clinic, clinician)

    figures = outcome_figures(clinic, OutcomeQuery())

    durability = figures["durability"]
    assert (durability["cohort"], durability["events"], durability["competing_events"]) == (3, 1, 1)
    assert durability["censored"] == 1
    assert durability["excluded"] == {"no_baseline": 0, "never_responded": 1}
    assert [row["day"] for row in durability["curve"]] == [120, 150, 180]
    eight_weeks = next(row for row in figures["milestones"] if row["weeks"] == 8)
    assert (eight_weeks["answered"], eight_weeks["missed"], eight_weeks["pending"]) == (4, 0, 0)
    # Pain 2 of baseline 6 is halved for the three that improved; 6 of 6 is not.
    assert eight_weeks["responders"]["pain_halved"] == 3
    assert eight_weeks["denominators"]["pain_halved"] == 4
    fifty_two = next(row for row in figures["milestones"] if row["weeks"] == 52)
    assert fifty_two["pending"] == 4


def test_group_by_kl_grade_keys_and_log_rank(clinic, clinician):
    four_knees(clinic, clinician)

    figures = outcome_figures(clinic, OutcomeQuery(group_by="kl_grade"))

    assert [group["key"] for group in figures["groups"]] == ["2-3", "4"]
    four = figures["groups"][1]
    assert four["durability"]["cohort"] == 2
    assert figures["logrank_p"] is not None and 0 <= figures["logrank_p"] <= 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (OutcomeQuery(kind="prp"), {"unchanged"}),
        (OutcomeQuery(route="iv"), {"lasting"}),
        (OutcomeQuery(kl_grade=4), {"relapsed", "replaced"}),
        (OutcomeQuery(kl_grade=0), set()),
    ],
)
def test_filters_choose_the_treatments(clinic, clinician, query, expected):
    knees = four_knees(clinic, clinician)
    names = {treatment.id: name for name, treatment in knees.items()}

    assert {names[t] for t in by_treatment(clinic, query)} == expected


def test_treated_from_and_to_are_inclusive(clinic, clinician):
    early = treat(clinic, clinician, 300, checkins=LASTING)
    late = treat(clinic, clinician, 200, checkins=LASTING)

    only_late = by_treatment(clinic, OutcomeQuery(treated_from=late.treated_on))
    only_early = by_treatment(clinic, OutcomeQuery(treated_to=early.treated_on))

    assert set(only_late) == {late.id}
    assert set(only_early) == {early.id}


def test_a_booster_closes_the_series_even_when_filtered_out(clinic, clinician):
    first = treat(clinic, clinician, 300, checkins=RELAPSING[:3], kind="adsc_cultured")
    booster_on = first.treated_on + timedelta(days=100)
    record_treatment(
        first.patient,
        Actor(clinician, "user"),
        {
            "treated_on": booster_on,
            "kind": "prp",
            "route": "intra_articular",
            "site": "left knee",
            "booster_of": first.id,
        },
    )

    [row] = clinic_outcomes(clinic, OutcomeQuery(kind="adsc_cultured"))

    assert (row.outcome.durability.exit, row.outcome.durability.day) == ("censored", 84)
    statuses = {m.milestone_weeks: m.status for m in row.outcome.milestones}
    assert statuses[52] == "closed"


def test_another_clinics_treatments_are_left_out(clinic, clinician, other_clinic, other_clinician):
    four_knees(other_clinic, other_clinician)

    figures = outcome_figures(clinic, OutcomeQuery())

    assert figures["durability"]["cohort"] == 0
    assert all(row["answered"] == 0 for row in figures["milestones"]) or not figures["milestones"]


def test_a_treatment_without_baseline_is_excluded_as_such(clinic, clinician):
    treat(clinic, clinician, 200, baseline=None, checkins=LASTING)

    figures = outcome_figures(clinic, OutcomeQuery())

    assert figures["durability"]["excluded"] == {"no_baseline": 1, "never_responded": 0}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"group_by": "site"}, "group_by"),
        ({"kind": "stem cells"}, "kind"),
        ({"route": "oral"}, "route"),
        ({"kl_grade": 5}, "kl_grade"),
        ({"treated_from": "2026-01-01"}, "treated_from"),
    ],
)
def test_unknown_query_values_are_refused_per_field(values, field):
    with pytest.raises(InvalidInput) as refused:
        check_outcome_query(values)
    assert set(refused.value.errors) == {field}


def test_figures_follow_a_new_checkin_at_once(clinic, clinician):
    treatment = treat(clinic, clinician, 200, checkins=LASTING)
    first = outcome_figures(clinic, OutcomeQuery())
    assert first["durability"]["curve"][-1]["day"] == 180

    from tracker.services.checkins import record_checkin

    record_checkin(
        treatment.patient,
        Actor(None, "patient"),
        {"recorded_on": treatment.treated_on + timedelta(days=190), "stiffness": 2, "pain": 1},
        source="portal",
    )

    again = outcome_figures(clinic, OutcomeQuery())
    assert again["durability"]["curve"][-1]["day"] == 190


def test_figures_follow_an_outcome_event_and_a_setting(clinic, clinician):
    from tracker.extensions import db
    from tracker.services.outcome_events import record_outcome_event

    treatment = treat(clinic, clinician, 200, checkins=LASTING)
    assert outcome_figures(clinic, OutcomeQuery())["durability"]["competing_events"] == 0

    record_outcome_event(
        treatment,
        Actor(clinician, "user"),
        {"kind": "osteotomy", "occurred_on": treatment.treated_on + timedelta(days=100)},
    )
    assert outcome_figures(clinic, OutcomeQuery())["durability"]["competing_events"] == 1

    clinic.min_improvement = 6  # no knee improves by six points: none responds
    db.session.commit()
    assert outcome_figures(clinic, OutcomeQuery())["durability"]["cohort"] == 0


def test_records_fingerprint_is_stable_until_a_record_changes(clinic, clinician):
    from tracker.services.remembered import records_fingerprint

    treatment = treat(clinic, clinician, 200, checkins=LASTING)
    before = records_fingerprint(clinic)
    assert records_fingerprint(clinic) == before

    from tracker.services.treatments import update_treatment

    update_treatment(
        treatment,
        Actor(clinician, "user"),
        {
            "treated_on": treatment.treated_on,
            "kind": "prp",
            "route": treatment.route,
            "site": treatment.site,
        },
    )
    assert records_fingerprint(clinic) != before
