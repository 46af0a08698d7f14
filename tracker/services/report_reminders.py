"""Reminders to a clinic's admins about reports coming due or overdue.

The rules: docs/compliance.md, Reminders to admins.

Each day's reminder about one report is a ReportNotice row first: its unique key
(adverse_event_id, day) or (plan_id, plan_year, day) lets one pass win when two
schedulers run at once, so no admin is told twice on one day. The emails themselves
are outbox rows, sent by the dispatcher after the commit.
"""

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.followup.reporting import OPEN_STATUSES, reminder_due
from tracker.models import AdverseEvent, Clinic, ProvisionPlan, ReportNotice, User
from tracker.services.adverse_events import clinic_today, event_clock
from tracker.services.outbox import queue_email
from tracker.services.periodic_reports import next_report
from tracker.vocabulary import REPORT_REMINDER


def admins_of(clinic_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.clinic_id == clinic_id, User.role == "admin", User.active.is_(True))
            .order_by(User.id)
        )
    )


def last_notice_on(**key) -> date | None:
    conditions = [getattr(ReportNotice, name) == value for name, value in key.items()]
    return db.session.scalar(select(func.max(ReportNotice.day)).where(*conditions))


def queue_report_reminders(now: datetime) -> int:
    """Queue today's reminders about every clinic's due and overdue reports; return how many."""
    queued = 0
    for clinic in db.session.scalars(select(Clinic).order_by(Clinic.id)).all():
        queued += queue_clinic_reminders(clinic, now)
    return queued


def queue_clinic_reminders(clinic: Clinic, now: datetime) -> int:
    today = clinic_today(clinic, now)
    queued = 0
    events = db.session.scalars(
        select(AdverseEvent).where(
            AdverseEvent.clinic_id == clinic.id,
            AdverseEvent.status.in_(tuple(OPEN_STATUSES)),
        )
    ).all()
    for event in events:
        clock = event_clock(event, today)
        if clock.due_on is None:
            continue
        if reminder_due(today, clock.due_on, last_notice_on(adverse_event_id=event.id)):
            queued += notify(
                clinic,
                ReportNotice(adverse_event_id=event.id, due_on=clock.due_on),
                {"adverse_event_id": event.id, "due_on": clock.due_on.isoformat()},
                today,
                now,
            )
    if clinic.regulatory_regime != "jp_asrm":
        return queued  # periodic reports are the act's alone
    plans = db.session.scalars(
        select(ProvisionPlan).where(
            ProvisionPlan.clinic_id == clinic.id,
            ProvisionPlan.accepted_on.is_not(None),
            # An ended plan has no plan years left to run; its last report is filed by hand.
            ProvisionPlan.status != "ended",
        )
    ).all()
    for plan in plans:
        upcoming = next_report(plan, now)
        last = last_notice_on(plan_id=plan.id, plan_year=upcoming.year.index)
        if reminder_due(today, upcoming.year.due_on, last):
            queued += notify(
                clinic,
                ReportNotice(
                    plan_id=plan.id, plan_year=upcoming.year.index, due_on=upcoming.year.due_on
                ),
                {
                    "plan_id": plan.id,
                    "plan_year": upcoming.year.index,
                    "due_on": upcoming.year.due_on.isoformat(),
                },
                today,
                now,
            )
    return queued


def notify(clinic: Clinic, notice: ReportNotice, payload: dict, today: date, now: datetime) -> int:
    """Record today's notice and queue one email per admin, unless another pass did already."""
    notice.clinic_id = clinic.id
    notice.day = today
    notice.created_at = now
    admins = admins_of(clinic.id)
    try:
        with db.session.begin_nested():
            db.session.add(notice)
            db.session.flush()
            for admin in admins:
                queue_email(
                    REPORT_REMINDER,
                    clinic.id,
                    now,
                    user_id=admin.id,
                    due_on=today,
                    payload={**payload, "notice_id": notice.id},
                )
            db.session.flush()
    except IntegrityError:
        return 0  # another scheduler sent today's reminder about this report
    db.session.commit()
    return len(admins)
