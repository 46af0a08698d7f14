"""The per-treatment rows behind the Outcomes page, as a CSV a spreadsheet opens safely."""

from collections.abc import Iterator, Sequence

from sqlalchemy import select

from tracker.exports.csv import encode_csv
from tracker.extensions import db
from tracker.followup.outcome_summary import kl_group
from tracker.models import Clinic, Patient
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.outcome_records import TreatmentRow
from tracker.services.outcomes import OutcomeQuery

# Answers to yes/no questions (responder by each definition) as the clinic reads them.
YES_NO = {True: "yes", False: "no"}


def header(weeks: Sequence[int]) -> list[str]:
    milestone_columns = [
        f"week_{w}_{name}"
        for w in weeks
        for name in ("status", "recorded_on", "pain", "stiffness", "pain_halved", "omeract_oarsi")
    ]
    return [
        "patient_external_id",
        "treatment_id",
        "treated_on",
        "kind",
        "route",
        "kl_grade",
        "kl_group",
        "baseline_source",
        "baseline_pain",
        "baseline_stiffness",
        "baseline_function",
        "baseline_global_assessment",
        *milestone_columns,
        "durability",
        "exit",
        "exit_day",
        "onset_day",
        "nadir_day",
    ]


def treatment_line(external_id: str, row: TreatmentRow, weeks: Sequence[int]) -> list:
    outcome = row.outcome
    baseline = outcome.baseline
    milestones = {m.milestone_weeks: m for m in outcome.milestones}
    cells = [
        external_id,
        outcome.treatment_id,
        outcome.treated_on.isoformat(),
        outcome.kind,
        outcome.route,
        outcome.kl_grade,
        kl_group(outcome.kl_grade),
        None if baseline is None else baseline.source,
        None if baseline is None else baseline.pain,
        None if baseline is None else baseline.stiffness,
        None if baseline is None else baseline.function,
        None if baseline is None else baseline.global_assessment,
    ]
    for week in weeks:
        answer = milestones.get(week)
        reading = answer.answer if answer else None
        cells += [
            answer.status if answer else None,
            reading.recorded_on.isoformat() if reading else None,
            reading.pain if reading else None,
            reading.stiffness if reading else None,
            answer.pain_halved if answer else None,
            answer.omeract_oarsi if answer else None,
        ]
    durability = outcome.durability
    return cells + [
        durability.status,
        durability.exit,
        durability.day,
        outcome.onset_day,
        outcome.nadir_day,
    ]


def outcome_csv(
    clinic: Clinic, rows: Sequence[TreatmentRow], query: OutcomeQuery, actor: Actor
) -> Iterator[bytes]:
    """Audit the export, then yield the CSV (BOM first) of the treatments' outcome rows."""
    external_ids = {
        patient_id: external_id
        for patient_id, external_id in db.session.execute(
            select(Patient.id, Patient.external_id).where(Patient.clinic_id == clinic.id)
        )
    }
    weeks = sorted(set(clinic.milestone_weeks))
    record_audit(
        clinic.id,
        "outcomes.export",
        "clinic",
        clinic.id,
        actor.user,
        actor.kind,
        {
            "rows": len(rows),
            "filters": {k: str(v) for k, v in vars(query).items() if v is not None},
        },
    )
    db.session.commit()
    lines = (treatment_line(external_ids.get(row.patient_id, ""), row, weeks) for row in rows)
    return encode_csv(
        header(weeks),
        (
            [YES_NO.get(cell, cell) if isinstance(cell, bool) else cell for cell in line]
            for line in lines
        ),
    )
