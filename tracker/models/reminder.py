"""The outbox: every email is a reminder row first, sent only after its transaction commits."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.patient import Patient
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc
from tracker.vocabulary import SCHEDULED

# What became of a row that did not simply go out (or, for a milestone, was not answered),
# recorded when it happened: the missed-milestone flag quotes it.
PLANNED_AFTER_WINDOW = "planned_after_window"  # its window had closed already: never missed
OUTCOMES = (
    PLANNED_AFTER_WINDOW,
    "no_email",
    "opted_out",
    "account_inactive",  # a clinician message whose recipient is inactive
    "window_closed_unsent",  # the window closed before it was sent
    "send_failed",
    "unanswered",  # sent, and the window closed without a check-in
)


class Reminder(db.Model):
    __tablename__ = "reminder"
    __table_args__ = (
        # NULL milestone_weeks (confirmations, messages) never collide, as NULLs are distinct.
        UniqueConstraint("treatment_id", "kind", "milestone_weeks"),
        Index("ix_reminder_status_due_at", "status", "due_at"),
        Index("ix_reminder_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_reminder_patient_id", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    treatment_id: Mapped[int | None] = mapped_column(ForeignKey("treatment.id"))
    # Clinician messages (alerts, digests) have a user recipient instead of a patient.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(24))
    milestone_weeks: Mapped[int | None]
    due_on: Mapped[date | None]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_opens_on: Mapped[date | None]
    window_closes_on: Mapped[date | None]
    window_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    attempts: Mapped[int] = mapped_column(default=0)
    # When the dispatcher may next claim this row: due_at, a retry time, or a lease expiry.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which dispatch pass holds a sending row: each claim writes a new token, so a pass whose
    # lease ran out can tell that another pass has claimed the row since.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(24))  # one of OUTCOMES
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Extra values a message needs (a portal link id, a flag id); never the message itself.
    payload: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    patient: Mapped[Patient | None] = relationship()
