"""Use cases for exports: CSV files and FHIR resources of one clinic, each export audited.

Streamed exports read through a session of their own and write their audit event in another
when the stream ends: the response body is sent after the view has returned, when the request's
session (and its transaction) may be gone, and a client that hangs up half-way has still taken
part of the data, so that is audited too (complete: false).
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire
from flask import current_app, has_request_context, request
from flask_babel import force_locale, gettext
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from tracker.exports.batches import DEFAULT_BATCH_SIZE
from tracker.exports.csv import encode_csv
from tracker.exports.fhir_definitions import checkin_questionnaire, follow_up_code_system
from tracker.exports.fhir_links import FhirLinks, resource_id
from tracker.exports.fhir_resources import resource_content, resource_json
from tracker.exports.fhir_sources import Scope, scope_resources
from tracker.exports.tables import CSV_EXPORTS
from tracker.extensions import db
from tracker.models import AuditEvent, Patient
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.scope import get_for_clinic
from tracker.timeutil import isoformat_z, now_utc

NDJSON_LINES_PER_CHUNK = 200


@dataclass(frozen=True)
class Exporter:
    """Who exports what, captured while the request is alive, for a stream that outlives it."""

    clinic_id: int
    user_id: int | None
    actor_kind: str
    ip: str | None
    engine: Engine
    batch_size: int


def exporter(actor: Actor, clinic_id: int) -> Exporter:
    """Capture the actor, the address and the database for an export of the clinic."""
    return Exporter(
        clinic_id=clinic_id,
        user_id=actor.user.id if actor.user is not None else None,
        actor_kind=actor.kind,
        ip=request.remote_addr if has_request_context() else None,
        engine=db.engine,
        batch_size=current_app.config.get("EXPORT_BATCH_SIZE", DEFAULT_BATCH_SIZE),
    )


def fhir_links(clinic_id: int) -> FhirLinks:
    return FhirLinks(current_app.config["PUBLIC_BASE_URL"].rstrip("/"), clinic_id)


class Tally:
    """Counts what passes through it."""

    def __init__(self) -> None:
        self.total = 0

    def count(self, items: Iterable) -> Iterator:
        for item in items:
            self.total += 1
            yield item


def csv_export(name: str, clinic_id: int, actor: Actor) -> Iterator[bytes]:
    """Stream one of the clinic's CSV files; unknown names answer 404."""
    export = CSV_EXPORTS.get(name)
    if export is None:
        raise NotFound()
    by = exporter(actor, clinic_id)

    def produce(session: Session, tally: Tally) -> Iterator[bytes]:
        rows = export.read(session, clinic_id, by.batch_size)
        return encode_csv(export.columns, tally.count(rows))

    return audited_stream(by, "export.csv", {"export": name, "unit": "rows"}, produce)


def fhir_bulk_export(clinic_id: int, actor: Actor) -> Iterator[bytes]:
    """Stream every FHIR resource of the clinic as NDJSON, one resource a line."""
    by = exporter(actor, clinic_id)
    links = fhir_links(clinic_id)

    def produce(session: Session, tally: Tally) -> Iterator[bytes]:
        resources = tally.count(scope_resources(session, Scope(clinic_id), links, by.batch_size))
        lines = []
        for resource in resources:
            lines.append(resource_json(resource))
            if len(lines) == NDJSON_LINES_PER_CHUNK:
                yield ("\n".join(lines) + "\n").encode("utf-8")
                lines = []
        if lines:
            yield ("\n".join(lines) + "\n").encode("utf-8")

    return audited_stream(by, "export.fhir", {"export": "$export", "unit": "resources"}, produce)


def audited_stream(
    by: Exporter,
    action: str,
    details: dict,
    produce: Callable[[Session, Tally], Iterator[bytes]],
) -> Iterator[bytes]:
    """Yield what produce makes from its own session; audit the export when the stream ends."""
    tally = Tally()
    complete = False
    try:
        with Session(by.engine) as session:
            if by.engine.dialect.name == "postgresql":
                # One snapshot for the whole file: rows committed mid-export do not half-appear.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield from produce(session, tally)
            complete = True
    finally:
        with Session(by.engine) as audit, audit.begin():
            audit.add(
                AuditEvent(
                    clinic_id=by.clinic_id,
                    actor_user_id=by.user_id,
                    actor_kind=by.actor_kind,
                    action=action,
                    object_type="export",
                    object_id=None,
                    ip=by.ip,
                    details={**details, "count": tally.total, "complete": complete},
                )
            )


def patient_everything(patient_id: int, clinic_id: int, actor: Actor) -> str:
    """Write a patient's whole follow-up as a FHIR Bundle (collection), JSON; audit the export."""
    patient = get_for_clinic(Patient, patient_id, clinic_id)
    links = fhir_links(clinic_id)
    batch_size = current_app.config.get("EXPORT_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    resources = [
        resource_content(resource)
        for resource in scope_resources(db.session, Scope(clinic_id, patient.id), links, batch_size)
    ]
    # The envelope is the library's; the entries are R4B JSON already (each resource either
    # validated by its model or written as the model would dump it), so they are not parsed
    # into models a second time only to be dumped again.
    bundle = Bundle(
        id=resource_id("Bundle", patient.id, "everything"),
        type="collection",
        timestamp=isoformat_z(now_utc()),
    ).model_dump(mode="json")
    bundle["entry"] = [
        {"fullUrl": links.full_url(resource), "resource": resource} for resource in resources
    ]
    record_audit(
        clinic_id,
        "export.fhir_everything",
        "patient",
        patient.id,
        actor.user,
        actor.kind,
        {"export": "$everything", "unit": "resources", "count": len(resources)},
    )
    db.session.commit()
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))


def questionnaire(clinic_id: int) -> Questionnaire:
    """The check-in Questionnaire, with each text's Japanese from the translation catalogue."""

    def japanese(text: str) -> str:
        with force_locale("ja"):
            return gettext(text)

    return checkin_questionnaire(fhir_links(clinic_id), japanese)


def code_system(clinic_id: int) -> CodeSystem:
    """The tracker's CodeSystem of measures, flags, treatments and activities."""
    return follow_up_code_system(fhir_links(clinic_id))
