"""A treatment (or booster) given to a patient, with the pre-treatment baseline."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clinic_words import ROUTE_LABELS, TREATMENT_KIND_LABELS, word_for
from tracker.extensions import db
from tracker.models.patient import Patient
from tracker.models.types import UTCDateTime
from tracker.timeutil import now_utc

KINDS = {
    "adsc_cultured": "Cultured adipose-derived stem cells",
    "ucmsc": "Umbilical-cord MSCs",
    "bmac": "Bone-marrow aspirate concentrate",
    "prp": "Platelet-rich plasma",
    "other": "Other",
}
ROUTES = {
    "intra_articular": "Intra-articular",
    "iv": "Intravenous",
    "intrathecal": "Intrathecal",
    "other": "Other",
}


class Treatment(db.Model):
    __tablename__ = "treatment"
    __table_args__ = (
        Index("ix_treatment_patient_treated_on", "patient_id", "treated_on"),
        # The outcome ledger sums up each patient's treatments from this index alone.
        Index("ix_treatment_clinic_patient", "clinic_id", "patient_id", "id", "updated_at"),
        CheckConstraint("kl_grade BETWEEN 0 AND 4", name="kl_grade_range"),
        CheckConstraint("baseline_pain BETWEEN 0 AND 10", name="baseline_pain_range"),
        CheckConstraint("baseline_stiffness BETWEEN 0 AND 10", name="baseline_stiffness_range"),
        CheckConstraint(
            "baseline_morning_stiffness_minutes BETWEEN 0 AND 1440",
            name="baseline_minutes_range",
        ),
        CheckConstraint("baseline_function BETWEEN 0 AND 10", name="baseline_function_range"),
        CheckConstraint(
            "baseline_global_assessment BETWEEN 0 AND 10", name="baseline_global_assessment_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    treated_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(20))
    site: Mapped[str] = mapped_column(String(200))
    kl_grade: Mapped[int | None]
    cell_dose_million: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    booster_of_id: Mapped[int | None] = mapped_column(ForeignKey("treatment.id"))
    used_frozen_dose: Mapped[bool] = mapped_column(default=False)
    baseline_pain: Mapped[int | None]
    baseline_stiffness: Mapped[int | None]
    baseline_morning_stiffness_minutes: Mapped[int | None]
    baseline_function: Mapped[int | None]
    baseline_global_assessment: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    # The provision plan it was given under (required by the clinic's jp_asrm regime).
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("provision_plan.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    patient: Mapped[Patient] = relationship(back_populates="treatments")
    booster_of: Mapped["Treatment | None"] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        """Name the kind in the reader's language (KINDS keeps the English for exports)."""
        return word_for(TREATMENT_KIND_LABELS, self.kind)

    @property
    def route_label(self) -> str:
        """Name the route in the reader's language."""
        return word_for(ROUTE_LABELS, self.route)

    @property
    def is_booster(self) -> bool:
        return self.booster_of_id is not None
