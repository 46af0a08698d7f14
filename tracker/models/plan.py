"""Provision plans (再生医療等提供計画) and their yearly periodic reports.

The rules: docs/compliance.md, Provision plans and Periodic reports.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc

PLAN_STATUSES = ("active", "suspended", "ended")
RISK_CLASSES = (1, 2, 3)


class ProvisionPlan(db.Model):
    __tablename__ = "provision_plan"
    __table_args__ = (
        UniqueConstraint("clinic_id", "plan_number"),
        CheckConstraint("risk_class IN (1, 2, 3)", name="risk_class_known"),
        CheckConstraint("status IN ('active', 'suspended', 'ended')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    plan_number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    risk_class: Mapped[int]
    committee_name: Mapped[str] = mapped_column(String(300))
    committee_number: Mapped[str] = mapped_column(String(64))
    # The 60-day batches count from submitted_on, the plan years from accepted_on.
    submitted_on: Mapped[date | None]
    accepted_on: Mapped[date | None]
    processing_facility: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    def __repr__(self) -> str:
        return f"<ProvisionPlan {self.id} {self.plan_number}>"


class PeriodicReport(db.Model):
    """What a clinician wrote for one plan year's periodic report (定期報告); counts are read live."""

    __tablename__ = "periodic_report"
    __table_args__ = (UniqueConstraint("plan_id", "year_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("provision_plan.id"))
    year_index: Mapped[int]
    evaluation: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    plan: Mapped[ProvisionPlan] = relationship()
