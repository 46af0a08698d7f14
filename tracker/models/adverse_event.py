"""Adverse events (疾病等) as records of their own, and the reminders sent about reports."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.patient import Patient
from tracker.models.plan import ProvisionPlan
from tracker.models.treatment import Treatment
from tracker.models.types import UTCDateTime
from tracker.models.user import User
from tracker.timeutil import now_utc

OUTCOMES = (
    "recovered",
    "recovering",
    "not_recovered",
    "recovered_with_sequelae",
    "fatal",
    "unknown",
)


class AdverseEvent(db.Model):
    __tablename__ = "adverse_event"
    __table_args__ = (
        Index("ix_adverse_event_clinic_status", "clinic_id", "status"),
        Index("ix_adverse_event_patient_id", "patient_id"),
        # A check-in reporting an event makes one record, never two.
        Index("ux_adverse_event_checkin_id", "checkin_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    treatment_id: Mapped[int | None] = mapped_column(ForeignKey("treatment.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("provision_plan.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id"))
    source: Mapped[str] = mapped_column(String(12))
    # The clinic-local day the clinic learned of it: day 1 of every clock.
    aware_on: Mapped[date]
    onset_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text)
    seriousness: Mapped[str | None] = mapped_column(String(24))
    causality: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(24))
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_to_committee_on: Mapped[date | None]
    reported_to_minister_on: Mapped[date | None]
    processor_notified_on: Mapped[date | None]
    committee_opinion: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="to_assess")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    patient: Mapped[Patient] = relationship()
    treatment: Mapped[Treatment | None] = relationship()
    plan: Mapped[ProvisionPlan | None] = relationship()
    assessed_by: Mapped[User | None] = relationship(foreign_keys=[assessed_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class ReportNotice(db.Model):
    """One day's reminder to the admins about one report: the unique keys make it once a day."""

    __tablename__ = "report_notice"
    __table_args__ = (
        UniqueConstraint("adverse_event_id", "day"),
        UniqueConstraint("plan_id", "plan_year", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    adverse_event_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("provision_plan.id"))
    plan_year: Mapped[int | None]
    day: Mapped[date]  # the clinic-local day it was sent for
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
