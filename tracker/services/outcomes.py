"""The outcome figures of a clinic's treatments, filtered and grouped.

The figures: docs/outcomes-and-reporting.md, Over many treatments and Where the figures show.

Everything is computed from treatments, check-ins, stiffness flags and outcome events, so no
stored figure can drift from the records: each patient's treatments are assessed again as
soon as their records change (services/outcome_ledger.py), and whole answers are reused
while no record of the clinic changed (services/remembered.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date

from tracker.followup.outcome_summary import GROUP_BY
from tracker.followup.outcomes import TreatmentOutcome
from tracker.followup.trajectory import Trajectory, median_trajectory
from tracker.models import Clinic
from tracker.models.treatment import KINDS, ROUTES
from tracker.services.outcome_ledger import (
    Question,
    assessed_treatments,
    tallied_figures,
)
from tracker.services.outcome_records import TreatmentRow, assess, clinic_histories
from tracker.services.remembered import remembered
from tracker.services.validation import Checker


@dataclass(frozen=True)
class OutcomeQuery:
    """Which treatments the figures cover, and how they are grouped."""

    group_by: str | None = None
    kind: str | None = None
    kl_grade: int | None = None
    route: str | None = None
    treated_from: date | None = None
    treated_to: date | None = None

    def covers(self, kind: str, route: str, kl_grade: int | None, treated_on: date) -> bool:
        """Tell whether a treatment passes the filters."""
        return (
            (self.kind is None or kind == self.kind)
            and (self.route is None or route == self.route)
            and (self.kl_grade is None or kl_grade == self.kl_grade)
            and (self.treated_from is None or treated_on >= self.treated_from)
            and (self.treated_to is None or treated_on <= self.treated_to)
        )


def check_outcome_query(values: dict) -> OutcomeQuery:
    """Validate the filters and grouping; unknown values are refused per field."""
    check = Checker()
    group_by = values.get("group_by") or None
    if group_by is not None:
        check.choice("group_by", group_by, GROUP_BY)
    kind = values.get("kind") or None
    if kind is not None:
        check.choice("kind", kind, tuple(KINDS))
    route = values.get("route") or None
    if route is not None:
        check.choice("route", route, tuple(ROUTES))
    kl_grade = check.score("kl_grade", values.get("kl_grade"), required=False, high=4)
    treated_from, treated_to = values.get("treated_from"), values.get("treated_to")
    for name, day in (("treated_from", treated_from), ("treated_to", treated_to)):
        if day is not None and not isinstance(day, date):
            check.fail(name, "Must be a date (YYYY-MM-DD).")
    both = isinstance(treated_from, date) and isinstance(treated_to, date)
    if both and treated_from > treated_to:
        check.fail("treated_to", "Must be on or after treated_from.")
    check.done()
    return OutcomeQuery(group_by, kind, kl_grade, route, treated_from, treated_to)


def clinic_outcomes(
    clinic: Clinic, query: OutcomeQuery | None = None, patient_id: int | None = None
) -> list[TreatmentRow]:
    """Assess the treatments of the clinic that the query covers, or of one patient."""
    if patient_id is not None:
        return assess(clinic, clinic_histories(clinic, [patient_id]))
    _, _, covers = question(query or OutcomeQuery())
    return [t.row for t in assessed_treatments(clinic) if covers(t.row.outcome)]


def outcome_figures(clinic: Clinic, query: OutcomeQuery) -> dict:
    """Return the outcome figures of the clinic's treatments that the query covers."""

    def compute() -> dict:
        [figures], _ = tallied_figures(clinic, [question(query)])
        return figures

    return copy.deepcopy(remembered(clinic, ("figures", query), compute))


def question(query: OutcomeQuery) -> Question:
    """The query as a question the ledger's counts answer."""

    def covers(outcome: TreatmentOutcome) -> bool:
        return query.covers(outcome.kind, outcome.route, outcome.kl_grade, outcome.treated_on)

    return query, query.group_by, covers


@dataclass(frozen=True)
class OutcomeOverview:
    """Everything the Outcomes page shows, computed together from one load."""

    treatments: int
    figures: dict
    by_kl_grade: dict
    by_route: dict
    trajectory: Trajectory


def outcome_overview(clinic: Clinic, query: OutcomeQuery) -> OutcomeOverview:
    """Return the page's figures: as grouped, by KL grade and route, and the median course."""

    def compute() -> OutcomeOverview:
        asked = [query, replace(query, group_by="kl_grade"), replace(query, group_by="route")]
        (figures, by_kl_grade, by_route), treatments = tallied_figures(
            clinic, [question(each) for each in asked]
        )
        _, _, covers = question(query)
        return OutcomeOverview(
            treatments=figures["durability"]["cohort"]
            + sum(figures["durability"]["excluded"].values()),
            figures=figures,
            by_kl_grade=by_kl_grade,
            by_route=by_route,
            trajectory=median_trajectory(
                point
                for treatment in treatments
                if covers(treatment.row.outcome)
                for point in treatment.trajectory_points()
            ),
        )

    return copy.deepcopy(remembered(clinic, ("overview", query), compute))
