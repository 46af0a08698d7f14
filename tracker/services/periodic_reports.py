"""Periodic reports (定期報告) per plan and plan year: counts read live, evaluation kept."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from tracker.extensions import db
from tracker.followup.outcomes import course_of
from tracker.followup.reporting import (
    SERIOUSNESS,
    PlanYear,
    days_left,
    next_periodic_report,
    plan_year,
    plan_years,
)
from tracker.models import AdverseEvent, Clinic, PeriodicReport, ProvisionPlan, Treatment
from tracker.services.actors import Actor
from tracker.services.adverse_events import check_day, clinic_today
from tracker.services.audit import record_audit
from tracker.services.flagging import thresholds_for
from tracker.services.outcome_records import assess, clinic_histories
from tracker.services.validation import N_, Checker
from tracker.timeutil import now_utc

COURSES = ("improved", "unchanged", "worse", "not_known")
UNASSESSED = "unassessed"


@dataclass
class PeriodicYear:
    """One plan year's periodic report as the tracker drafts it."""

    plan: ProvisionPlan
    year: PlanYear
    report: PeriodicReport | None
    days_left: int
    patients: int = 0
    treatments: int = 0
    events: dict[str, list[AdverseEvent]] = field(default_factory=dict)
    course: dict[str, int] = field(default_factory=dict)

    @property
    def submitted_on(self) -> date | None:
        return self.report.submitted_on if self.report is not None else None

    @property
    def evaluation(self) -> str:
        return self.report.evaluation if self.report is not None else ""

    @property
    def event_count(self) -> int:
        return sum(len(events) for events in self.events.values())


def filed_years(plan: ProvisionPlan) -> dict[int, PeriodicReport]:
    return {
        report.year_index: report
        for report in db.session.scalars(
            select(PeriodicReport).where(PeriodicReport.plan_id == plan.id)
        )
    }


def next_report(plan: ProvisionPlan, now: datetime | None = None) -> PeriodicYear | None:
    """The plan's earliest periodic report not yet filed, or None before the plan's acceptance."""
    if plan.accepted_on is None:
        return None
    reports = filed_years(plan)
    filed = [index for index, report in reports.items() if report.submitted_on is not None]
    year = next_periodic_report(plan.accepted_on, filed)
    today = clinic_today(plan_clinic(plan), now)
    return PeriodicYear(plan, year, reports.get(year.index), days_left(year.due_on, today))


def plan_clinic(plan: ProvisionPlan):

    return db.session.get(Clinic, plan.clinic_id)


def periodic_years(plan: ProvisionPlan, now: datetime | None = None) -> list[PeriodicYear]:
    """Every plan year begun so far, with its counts, newest last."""
    if plan.accepted_on is None:
        return []
    today = clinic_today(plan_clinic(plan), now)
    reports = filed_years(plan)
    return [
        draft(plan, year, reports.get(year.index), today)
        for year in plan_years(plan.accepted_on, today)
    ]


def periodic_year(plan: ProvisionPlan, index: int, now: datetime | None = None) -> PeriodicYear:
    """One plan year's draft (the year may be running still)."""
    today = clinic_today(plan_clinic(plan), now)
    year = plan_year(plan.accepted_on, index)
    return draft(plan, year, filed_years(plan).get(index), today)


def draft(
    plan: ProvisionPlan, year: PlanYear, report: PeriodicReport | None, today: date
) -> PeriodicYear:
    """Count the year's patients, treatments, events by seriousness and treated patients' course."""
    treatments = list(
        db.session.scalars(
            select(Treatment)
            .where(
                Treatment.plan_id == plan.id,
                Treatment.treated_on >= year.starts_on,
                Treatment.treated_on <= year.ends_on,
            )
            .order_by(Treatment.treated_on, Treatment.id)
        )
    )
    events = db.session.scalars(
        select(AdverseEvent)
        .where(
            AdverseEvent.plan_id == plan.id,
            AdverseEvent.aware_on >= year.starts_on,
            AdverseEvent.aware_on <= year.ends_on,
        )
        .order_by(AdverseEvent.aware_on, AdverseEvent.id)
    )
    by_seriousness: dict[str, list[AdverseEvent]] = {}
    for event in events:
        by_seriousness.setdefault(event.seriousness or UNASSESSED, []).append(event)
    order = [*SERIOUSNESS, UNASSESSED]
    latest = {}
    for treatment in treatments:
        latest[treatment.patient_id] = treatment  # in date order: the last one stays
    course = courses_of(plan_clinic(plan), list(latest.values()))
    return PeriodicYear(
        plan=plan,
        year=year,
        report=report,
        days_left=days_left(year.due_on, today),
        patients=len(latest),
        treatments=len(treatments),
        events={key: by_seriousness[key] for key in order if key in by_seriousness},
        course={name: course.get(name, 0) for name in COURSES},
    )


def courses_of(clinic: Clinic, treatments: list[Treatment]) -> Counter:
    """Count the treatments' courses, each assessed as the Outcomes page assesses it."""
    wanted = {treatment.id for treatment in treatments}
    patients = {treatment.patient_id for treatment in treatments}
    if not wanted:
        return Counter()
    thresholds = thresholds_for(clinic)
    rows = assess(clinic, clinic_histories(clinic, patients))
    return Counter(
        course_of(row.outcome, thresholds) for row in rows if row.outcome.treatment_id in wanted
    )


def save_periodic_report(
    plan: ProvisionPlan, index: int, actor: Actor, values: dict, now: datetime | None = None
) -> PeriodicReport:
    """Save the evaluation a clinician wrote and, once filed, the day it was submitted."""
    now = now or now_utc()
    today = clinic_today(plan_clinic(plan), now)
    check = Checker()
    evaluation = check.text(
        "evaluation", values.get("evaluation") or "", required=False, max_length=20000
    )
    submitted_on = check_day(
        check, "submitted_on", values.get("submitted_on"), required=False, today=today
    )
    year = plan_year(plan.accepted_on, index)
    if submitted_on is not None and submitted_on <= year.ends_on:
        check.fail("submitted_on", N_("A periodic report is filed after its plan year has ended."))
    if submitted_on is not None and not evaluation:
        check.fail("evaluation", N_("Write the evaluation before recording the report as filed."))
    check.done()
    report = filed_years(plan).get(index)
    if report is None:
        report = PeriodicReport(clinic_id=plan.clinic_id, plan_id=plan.id, year_index=index)
        db.session.add(report)
    report.evaluation = evaluation
    report.submitted_on = submitted_on
    report.updated_by_id = actor.user.id if actor.user else None
    db.session.flush()
    record_audit(
        plan.clinic_id,
        "periodic_report.save",
        "periodic_report",
        report.id,
        actor.user,
        actor.kind,
        {
            "plan_id": plan.id,
            "year_index": index,
            "submitted_on": submitted_on.isoformat() if submitted_on else None,
        },
    )
    db.session.commit()
    return report
