"""Where each FHIR resource type comes from: one reader per type, listed in FHIR_SOURCES.

A reader takes a session, the scope (the clinic, and one patient for $everything or None for
the whole clinic), the links and a batch size, and yields resources in batches, so the same
reader serves a patient's $everything and the clinic's bulk $export. A new resource type
(AdverseEvent, an outcome event) is one more reader and one more entry in FHIR_SOURCES.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tracker.exports import fhir_events
from tracker.exports import fhir_resources as build
from tracker.exports.batches import in_batches
from tracker.exports.fhir_links import FhirLinks
from tracker.models import (
    AdverseEvent,
    CheckIn,
    Clinic,
    Flag,
    OutcomeEvent,
    Patient,
    Reminder,
    Treatment,
    User,
)


@dataclass(frozen=True)
class Scope:
    """Whose records to read: a clinic's, or one of its patients'."""

    clinic_id: int
    patient_id: int | None = None

    def limit(self, statement, model):
        """Narrow a statement on a model to the scope."""
        statement = statement.where(model.clinic_id == self.clinic_id)
        if self.patient_id is None:
            return statement
        key = model.id if model is Patient else model.patient_id
        return statement.where(key == self.patient_id)


def columns(model, names: str):
    return [getattr(model, name) for name in names.split()]


def rows_of(session: Session, scope: Scope, model, names: str, batch_size: int):
    """Yield batches of the scope's rows of a model, with the named columns (id first)."""
    statement = scope.limit(select(*columns(model, "id " + names)), model)
    return in_batches(session, statement, model.id, batch_size)


def organizations(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    clinic = session.execute(select(Clinic.id, Clinic.name).where(Clinic.id == scope.clinic_id))
    yield from (build.organization(row, links) for row in clinic)


def patients(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    names = "clinic_id external_id name email phone sex date_of_birth address language"
    for batch in rows_of(session, scope, Patient, names, batch_size):
        yield from (build.patient(row, links) for row in batch)


TREATMENT_COLUMNS = (
    "patient_id treated_on kind route site kl_grade cell_dose_million booster_of_id notes"
)


def procedures(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    for batch in rows_of(session, scope, Treatment, TREATMENT_COLUMNS, batch_size):
        yield from (build.procedure(row, links) for row in batch)


def care_plans(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    for batch in rows_of(session, scope, Treatment, TREATMENT_COLUMNS, batch_size):
        milestones = session.execute(
            select(
                *columns(Reminder, "treatment_id milestone_weeks status due_at window_closes_at")
            )
            .where(
                Reminder.treatment_id.in_([row.id for row in batch]), Reminder.kind == "milestone"
            )
            .order_by(Reminder.treatment_id, Reminder.milestone_weeks)
        ).all()
        by_treatment = {
            key: list(group) for key, group in groupby(milestones, lambda row: row.treatment_id)
        }
        for row in batch:
            yield build.care_plan(row, by_treatment.get(row.id, []), links)


def checkins(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    names = (
        "patient_id treatment_id recorded_on submitted_at source pain stiffness"
        " morning_stiffness_minutes swelling function global_assessment"
        " adverse_event adverse_event_details notes"
    )
    for batch in rows_of(session, scope, CheckIn, names, batch_size):
        for row in batch:
            yield from build.checkin_resources(row, links)


def flags(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    names = "patient_id kind status opened_at resolved_at adverse_event_id"
    for batch in rows_of(session, scope, Flag, names, batch_size):
        yield from (build.flag(row, links) for row in batch)


def adverse_events(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    assessor, creator = aliased(User), aliased(User)
    statement = (
        select(
            *columns(AdverseEvent, "id patient_id treatment_id checkin_id source description"),
            *columns(AdverseEvent, "aware_on onset_on seriousness causality outcome created_at"),
            *columns(AdverseEvent, "assessed_by_id created_by_id"),
            assessor.name.label("assessed_by_name"),
            creator.name.label("created_by_name"),
        )
        .outerjoin(assessor, assessor.id == AdverseEvent.assessed_by_id)
        .outerjoin(creator, creator.id == AdverseEvent.created_by_id)
    )
    statement = scope.limit(statement, AdverseEvent)
    for batch in in_batches(session, statement, AdverseEvent.id, batch_size):
        yield from (fhir_events.adverse_event(row, links) for row in batch)


def outcome_procedures_of(model) -> "Reader":
    """A reader of outcome events (docs/outcomes-and-reporting.md) as Procedures."""

    def outcome_procedures(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
        recorder = aliased(User)
        statement = select(
            *columns(model, "id patient_id treatment_id kind occurred_on note recorded_by_id"),
            recorder.name.label("recorded_by_name"),
        ).outerjoin(recorder, recorder.id == model.recorded_by_id)
        statement = scope.limit(statement, model)
        for batch in in_batches(session, statement, model.id, batch_size):
            yield from (fhir_events.outcome_procedure(row, links) for row in batch)

    return outcome_procedures


Reader = Callable[[Session, Scope, FhirLinks, int], Iterator]
FHIR_SOURCES: tuple[Reader, ...] = (
    organizations,
    patients,
    procedures,
    care_plans,
    checkins,
    flags,
    adverse_events,
    outcome_procedures_of(OutcomeEvent),
)


def scope_resources(session: Session, scope: Scope, links: FhirLinks, batch_size: int):
    """Yield every resource of the scope, type after type, batch by batch."""
    for reader in FHIR_SOURCES:
        yield from reader(session, scope, links, batch_size)
