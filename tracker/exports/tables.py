"""The CSV exports of a clinic, one entry per table: name, model and columns.

A new export (adverse events, outcome events) is one more CsvExport in CSV_EXPORTS; a table
that needs a join gives its own rows function instead of the default one.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.exports.batches import in_batches
from tracker.models import AdverseEvent, CheckIn, Flag, OutcomeEvent, Patient, Treatment


@dataclass(frozen=True)
class CsvExport:
    """One CSV file: its name in the URL, the model it reads and the columns it writes."""

    name: str
    title: str  # what the Exports page calls it, translated
    description: str
    model: type
    columns: tuple[str, ...]
    rows: Callable[["CsvExport", Session, int, int], Iterator[tuple]] | None = None

    def read(self, session: Session, clinic_id: int, batch_size: int) -> Iterator[tuple]:
        """Yield the clinic's rows, one tuple of column values each, in id order."""
        reader = self.rows or clinic_rows
        return reader(self, session, clinic_id, batch_size)


def clinic_rows(export: CsvExport, session: Session, clinic_id: int, batch_size: int):
    """Yield every row of the export's model that belongs to the clinic, batch by batch."""
    model = export.model
    statement = select(*(getattr(model, column) for column in export.columns)).where(
        model.clinic_id == clinic_id
    )
    for batch in in_batches(session, statement, model.id, batch_size):
        yield from (tuple(row) for row in batch)


ADVERSE_EVENT_COLUMNS = (
    ("id", "patient_id", "treatment_id", "plan_id", "checkin_id", "source", "status")
    + ("aware_on", "onset_on", "description", "seriousness", "causality", "outcome")
    + ("assessed_by_id", "assessed_at", "reported_to_committee_on", "reported_to_minister_on")
    + ("processor_notified_on", "committee_opinion", "created_by_id", "created_at", "updated_at")
)
OUTCOME_EVENT_COLUMNS = (
    "id",
    "patient_id",
    "treatment_id",
    "kind",
    "occurred_on",
    "note",
    "recorded_by_id",
) + ("created_at",)

CSV_EXPORTS = {
    export.name: export
    for export in (
        CsvExport(
            "patients",
            _l("Patients"),
            _l(
                "One row per patient: the clinic's patient number, name, email, phone, date of birth, sex, time zone, language, frozen doses left and when the patient was archived."
            ),
            Patient,
            ("id", "external_id", "name", "email", "phone", "date_of_birth", "sex", "timezone")
            + ("language", "frozen_doses", "opted_out_at", "archived_at", "created_at")
            + ("updated_at",),
        ),
        CsvExport(
            "treatments",
            _l("Treatments"),
            _l(
                "One row per treatment or booster: date, kind, route, site, dose and the pre-treatment baseline."
            ),
            Treatment,
            ("id", "patient_id", "treated_on", "kind", "route", "site", "kl_grade")
            + ("cell_dose_million", "booster_of_id", "used_frozen_dose", "baseline_pain")
            + ("baseline_stiffness", "baseline_morning_stiffness_minutes", "baseline_function")
            + ("baseline_global_assessment", "plan_id", "notes")
            + ("recorded_by_id", "created_at", "updated_at"),
        ),
        CsvExport(
            "checkins",
            _l("Check-ins"),
            _l(
                "One row per check-in: date, pain, morning stiffness, swelling, side effects and notes."
            ),
            CheckIn,
            ("id", "patient_id", "treatment_id", "recorded_on", "submitted_at", "source")
            + ("pain", "stiffness", "morning_stiffness_minutes", "swelling", "function")
            + ("global_assessment", "adverse_event")
            + ("adverse_event_details", "notes", "reminder_id", "recorded_by_id"),
        ),
        CsvExport(
            "flags",
            _l("Flags"),
            _l(
                "One row per flag on the worklist: kind, status, the decision taken and its evidence."
            ),
            Flag,
            ("id", "patient_id", "treatment_id", "checkin_id", "reminder_id", "kind", "status")
            + ("opened_at", "escalated_at", "owner_id", "acknowledged_at", "acknowledged_by_id")
            + ("resolved_at", "resolved_by_id", "resolution", "note", "evidence"),
        ),
        CsvExport(
            "adverse_events",
            _l("Adverse events"),
            _l(
                "One row per adverse event: when the clinic learned of it, its assessment and the dates it was reported."
            ),
            AdverseEvent,
            ADVERSE_EVENT_COLUMNS,
        ),
        CsvExport(
            "outcome_events",
            _l("Outcome events"),
            _l(
                "One row per later procedure that ends a treatment's story: knee replacement, osteotomy, another injection, other surgery."
            ),
            OutcomeEvent,
            OUTCOME_EVENT_COLUMNS,
        ),
    )
}
