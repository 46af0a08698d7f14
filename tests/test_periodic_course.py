"""A periodic report counts each treated patient's course as the Outcomes page assesses it."""

from datetime import timedelta

import pytest

from tests import factories
from tests.outcome_cases import treat
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.periodic_reports import periodic_years


@pytest.fixture
def plan(clinic):
    return factories.PlanFactory(clinic=clinic)


def answer(treatment, day, **values):
    record_checkin(
        treatment.patient,
        Actor(None, "patient"),
        {"recorded_on": treatment.treated_on + timedelta(days=day), **values},
        source="portal",
    )


def test_the_course_counts_function_and_overall_answers_as_the_outcomes_page_does(
    clinic, clinician, plan
):
    def knee(baseline, **values):
        return treat(clinic, clinician, 100, baseline=baseline, plan_id=plan.id, **values)

    # Pain a third lower and function halved: an OMERACT-OARSI responder by function.
    better = knee((7, 6), baseline_function=6, baseline_global_assessment=6)
    for day in (14, 56, 84):
        answer(better, day, stiffness=5, pain=4, function=3, global_assessment=5)
    # Pain up by three at the last milestone: worse.
    worse = knee((4, 4))
    answer(worse, 14, stiffness=4, pain=4)
    answer(worse, 84, stiffness=6, pain=7)
    # Much the same: unchanged.
    same = knee((6, 6))
    for day in (14, 56, 84):
        answer(same, day, stiffness=5, pain=6)
    # No milestone answered: not known.
    knee((6, 6))
    factories.PatientFactory(clinic=clinic)  # not treated under the plan: not counted

    year = next(y for y in periodic_years(plan) if y.treatments)

    assert year.patients == 4
    assert year.course == {"improved": 1, "unchanged": 1, "worse": 1, "not_known": 1}
