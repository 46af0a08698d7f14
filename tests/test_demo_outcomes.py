"""The demo clinic's cohort makes the Outcomes page mean something, and follows the claims."""

from sqlalchemy import func, select

from tracker.demo import DEMO_CLINIC, seed_demo
from tracker.extensions import db
from tracker.models import Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.services.outcomes import OutcomeQuery, outcome_figures


def group(figures: dict, key: str) -> dict:
    return next(g for g in figures["groups"] if g["key"] == key)["durability"]


def test_demo_cohort_durability_follows_the_published_figures(app):
    seed_demo()
    clinic = db.session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))

    by_grade = outcome_figures(clinic, OutcomeQuery(group_by="kl_grade"))
    by_route = outcome_figures(clinic, OutcomeQuery(group_by="route"))

    treatments = db.session.scalar(select(func.count()).select_from(Treatment))
    assert 150 <= treatments <= 200
    assert {row[0] for row in db.session.execute(select(Treatment.kl_grade))} >= {1, 2, 3, 4}
    assert by_grade["durability"]["cohort"] >= 100
    # Grade 4: half lose the benefit within 6-12 months; grade 2-3 keep it for years.
    assert 182 <= group(by_grade, "4")["median_days"] <= 365
    assert group(by_grade, "2-3")["survival_at"]["730"] > 0.6
    # Intravenous: tapering after 12-18 months.
    assert 365 <= group(by_route, "iv")["median_days"] <= 545
    assert by_grade["logrank_p"] < 0.05
    assert by_grade["durability"]["competing_events"] == 1
    assert db.session.scalar(select(func.count()).select_from(OutcomeEvent)) == 1
    boosters = db.session.scalar(
        select(func.count()).select_from(Treatment).where(Treatment.booster_of_id.is_not(None))
    )
    assert boosters >= 10
    assert all(row["missed"] > 0 for row in by_grade["milestones"][1:])
    # Every loss of effect on the curve comes from a flag the real evaluation opened.
    stiffness_flags = db.session.scalar(
        select(func.count()).where(Flag.kind.in_(("booster_window", "relapse")))
    )
    assert stiffness_flags >= by_grade["durability"]["events"]
    # The demo patients of the first round are still there.
    assert db.session.scalar(select(Patient.id).where(Patient.external_id == "MRN-1001"))
