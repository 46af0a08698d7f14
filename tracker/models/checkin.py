"""A patient's symptom check-in."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.patient import Patient
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc


class CheckIn(db.Model):
    __tablename__ = "checkin"
    __table_args__ = (
        Index("ix_checkin_patient_recorded_on", "patient_id", "recorded_on"),
        # The outcome ledger counts each patient's check-ins from this index alone.
        Index("ix_checkin_clinic_patient", "clinic_id", "patient_id", "id"),
        # One answer per emailed link: two taps at once cannot record two check-ins.
        Index("ux_checkin_reminder_id", "reminder_id", unique=True),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain_range"),
        CheckConstraint("stiffness BETWEEN 0 AND 10", name="stiffness_range"),
        CheckConstraint("swelling BETWEEN 0 AND 10", name="swelling_range"),
        CheckConstraint("function BETWEEN 0 AND 10", name="function_range"),
        CheckConstraint("global_assessment BETWEEN 0 AND 10", name="global_assessment_range"),
        CheckConstraint(
            "morning_stiffness_minutes BETWEEN 0 AND 1440", name="morning_minutes_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    treatment_id: Mapped[int | None] = mapped_column(ForeignKey("treatment.id"), index=True)
    recorded_on: Mapped[date]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    source: Mapped[str] = mapped_column(String(20))
    pain: Mapped[int]
    stiffness: Mapped[int]
    morning_stiffness_minutes: Mapped[int | None]
    swelling: Mapped[int | None]
    # How much the joint limits daily activities, and how it is doing overall (0 very well).
    function: Mapped[int | None]
    global_assessment: Mapped[int | None]
    adverse_event: Mapped[bool] = mapped_column(default=False)
    adverse_event_details: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    patient: Mapped[Patient] = relationship()

    # Not a column: the patient's active flags once this check-in was evaluated, in worklist
    # order; record_checkin sets it for the answer the API gives.
    active_flags = None
