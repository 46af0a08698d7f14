"""A patient of one clinic."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Sequence,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.clinic import Clinic
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc

SEXES = ("female", "male", "other")


# PostgreSQL numbers outcome versions from a sequence; SQLite, whose writers take turns, from
# the clinic's highest version plus one.
OUTCOME_VERSIONS = Sequence("patient_outcome_version_seq", metadata=db.Model.metadata)


class Patient(db.Model):
    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("clinic_id", "external_id"),
        Index("ix_patient_clinic_name", "clinic_id", "name"),
        # The outcome ledger reads the patients changed since a version, or every patient's
        # version and zone, from this index alone.
        Index("ix_patient_clinic_outcome", "clinic_id", "outcome_version", "id", "timezone"),
        CheckConstraint("language IN ('en', 'ja')", name="language_known"),
        CheckConstraint("frozen_doses >= 0", name="frozen_doses_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="en")
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The cell bank: frozen doses left from the first harvest, used by boosters.
    frozen_doses: Mapped[int] = mapped_column(default=0)
    # Kept for the records Japan's regenerative-medicine act asks for (docs/compliance.md,
    # Records kept).
    date_of_birth: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(500))
    diagnosis: Mapped[str | None] = mapped_column(String(500))
    # Archived patients leave the lists and get no more emails; nothing of theirs is deleted.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set, in the same transaction as any change to the records the patient's outcome figures
    # are assessed from, to a number higher than any the clinic's patients had before
    # (services/outcome_changes.py); 0 while the patient has no such record.
    outcome_version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    clinic: Mapped[Clinic] = relationship()
    treatments: Mapped[list["Treatment"]] = relationship(  # noqa: F821
        back_populates="patient", order_by="Treatment.treated_on"
    )

    def __repr__(self) -> str:
        return f"<Patient {self.id} {self.external_id}>"


class EmailChange(db.Model):
    """A patient's new address, waiting for the link sent to it to be followed."""

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
