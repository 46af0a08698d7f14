"""A later procedure that ends a treatment's story: a knee replacement, another injection."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.messages import N_
from tracker.models.treatment import Treatment
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc

# Their English names, marked for the catalogue: the forms show them translated.
KINDS = {
    "knee_replacement": N_("Knee replacement"),
    "osteotomy": N_("Osteotomy"),
    "other_injection": N_("Another injection elsewhere"),
    "other_surgery": N_("Other surgery"),
}


class OutcomeEvent(db.Model):
    __tablename__ = "outcome_event"
    __table_args__ = (
        Index("ix_outcome_event_clinic_treatment", "clinic_id", "treatment_id"),
        Index("ix_outcome_event_patient_id", "patient_id"),
        CheckConstraint(
            "kind IN ('knee_replacement', 'osteotomy', 'other_injection', 'other_surgery')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatment.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    treatment: Mapped[Treatment] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)
