"""A flag on the clinicians' worklist and the decision taken on it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.patient import Patient
from tracker.models.treatment import Treatment
from tracker.models.types import UTCDateTime
from tracker.models.user import User
from tracker.timeutil import now_utc


class Flag(db.Model):
    __tablename__ = "flag"
    __table_args__ = (
        Index("ix_flag_clinic_status_kind", "clinic_id", "status", "kind", "opened_at"),
        Index("ix_flag_treatment_id", "treatment_id"),
        Index("ix_flag_patient_id", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    treatment_id: Mapped[int | None] = mapped_column(ForeignKey("treatment.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id"))
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id"))
    # An adverse_event flag points to the record whose reporting clock it shows.
    adverse_event_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
    treatment: Mapped[Treatment | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
