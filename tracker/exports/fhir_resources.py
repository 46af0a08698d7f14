"""One FHIR R4 (R4B models) resource per tracker record, built and validated by fhir.resources.

Each function takes the row's values (an ORM object or a Row: anything with the attributes)
and the clinic's links; none reads the database.
"""

import json

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from tracker.exports.fhir_definitions import (
    FLAG_NAMES,
    MEASURES,
    MILESTONE_CHECKIN,
    PAIN_LOINC,
    concept_code,
)
from tracker.exports.fhir_links import (
    FLAG_DETAIL,
    LANGUAGE,
    OBSERVATION_CATEGORY,
    UCUM,
    FhirLinks,
    reference,
)
from tracker.exports.fhir_links import resource_id as rid
from tracker.models.treatment import KINDS as TREATMENT_KINDS
from tracker.models.treatment import ROUTES
from tracker.timeutil import isoformat_z
from tracker.vocabulary import LANGUAGE_NAMES, RESOLVED

# The patient form's sex (models.patient.SEXES) read as FHIR administrative gender; a sex not
# recorded leaves gender out rather than claiming "unknown" was asked.
GENDERS = {"female": "female", "male": "male", "other": "other"}
SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]
# A milestone reminder's status in the outbox, read as a CarePlan activity status.
ACTIVITY_STATUS = {
    "scheduled": "scheduled",
    "retry": "scheduled",
    "sending": "scheduled",
    "sent": "in-progress",
    "failed": "on-hold",
    "completed": "completed",
    "cancelled": "cancelled",
    "skipped": "cancelled",
    "missed": "stopped",
}
STILL_PLANNED = {"scheduled", "in-progress", "on-hold"}
# Patients answer every check-in themselves, by email or portal, or to a clinician on the phone.
SOURCE_NAMES = {
    "email_link": "Answered from the emailed link",
    "portal": "Answered in the patient portal",
    "clinician": "Answered to a clinician (phone or visit)",
    "api": "Recorded through the API",
}


def organization(clinic, links: FhirLinks) -> Organization:
    """Build the clinic as an Organization."""
    return Organization(id=rid("Organization", clinic.id), name=clinic.name, active=True)


def patient(row, links: FhirLinks) -> Patient:
    """Build a Patient: the clinic's number, name, contacts, birth date, gender and language."""
    language = row.language
    telecom = [{"system": "phone", "value": row.phone}] if row.phone else []  # E.164
    telecom += [{"system": "email", "value": row.email}] if row.email else []
    return Patient(
        id=rid("Patient", row.id),
        identifier=[{"use": "usual", "system": links.patient_ids, "value": row.external_id}],
        name=[{"text": row.name}],
        telecom=telecom or None,
        gender=GENDERS.get(row.sex),
        birthDate=row.date_of_birth.isoformat() if row.date_of_birth else None,
        address=[{"text": row.address}] if row.address else None,
        communication=[
            {
                "language": {
                    "coding": [
                        {"system": LANGUAGE, "code": language, "display": LANGUAGE_NAMES[language]}
                    ],
                    "text": LANGUAGE_NAMES[language],
                },
                "preferred": True,
            }
        ],
        managingOrganization=reference("Organization", row.clinic_id),
    )


def treatment_note(row) -> str:
    dose = f"{row.cell_dose_million} million cells" if row.cell_dose_million else "not recorded"
    parts = [
        f"Kind: {TREATMENT_KINDS.get(row.kind, row.kind)}",
        f"route: {ROUTES.get(row.route, row.route)}",
        f"dose: {dose}",
    ]
    if row.kl_grade is not None:
        parts.append(f"KL grade: {row.kl_grade}")
    return "; ".join(parts) + "."


def procedure(row, links: FhirLinks) -> Procedure:
    """Build a treatment (or booster, partOf the treatment it boosts) as a Procedure."""
    notes = [{"text": treatment_note(row)}] + ([{"text": row.notes}] if row.notes else [])
    return Procedure(
        id=rid("Procedure", row.id),
        status="completed",
        code={
            "coding": [concept_code(links, row.kind, TREATMENT_KINDS.get(row.kind, row.kind))],
            "text": TREATMENT_KINDS.get(row.kind, row.kind),
        },
        subject=reference("Patient", row.patient_id),
        performedDateTime=row.treated_on.isoformat(),
        bodySite=[{"text": row.site}],
        note=notes,
        partOf=[reference("Procedure", row.booster_of_id)] if row.booster_of_id else None,
    )


def care_plan(row, milestones, links: FhirLinks) -> CarePlan:
    """Build a treatment's follow-up schedule: one activity per milestone reminder."""
    activities = []
    for reminder in milestones:
        status = ACTIVITY_STATUS.get(reminder.status, "unknown")
        label = f"{reminder.milestone_weeks}-week check-in"
        detail = {
            "code": {"coding": [concept_code(links, MILESTONE_CHECKIN, label)], "text": label},
            "status": status,
            "statusReason": {"text": reminder.status},
            "scheduledPeriod": {
                "start": isoformat_z(reminder.due_at),
                "end": isoformat_z(reminder.window_closes_at),
            },
        }
        activities.append({"detail": detail})
    planned = any(activity["detail"]["status"] in STILL_PLANNED for activity in activities)
    return CarePlan(
        id=rid("CarePlan", row.id),
        status="active" if planned else "completed",
        intent="plan",
        title=f"Follow-up after treatment on {row.treated_on.isoformat()}",
        subject=reference("Patient", row.patient_id),
        period={"start": row.treated_on.isoformat()},
        supportingInfo=[reference("Procedure", row.id)],
        activity=activities or None,
    )


# A check-in gives five or six resources, so they are nine in ten of a $everything or $export
# (a patient with 200 check-ins: 1,000 of 1,010). Validating and serialising each through
# fhir.resources costs about 0.3 ms, 300 ms for that patient, the whole budget. Their inputs
# are already checked by our own code and schema (integers 0-10 by constraint, dates, aware
# times, text), so these builders write the resource's JSON directly, and the exports dump it
# with json. The trade-off: nothing re-validates them at run time. The tests hold the line
# instead: every resource of every export test is parsed back by its R4B model, and a
# property test proves, over generated check-ins, that each is exactly what the R4B model
# dumps after validating it (checkin_resources_validated). The other resource types, a few
# per treatment, are still built and validated by the library at run time.


def answer(link_id: str, value_field: str, value) -> dict:
    return {"linkId": link_id, "answer": [{value_field: value}]}


def questionnaire_response(row, links: FhirLinks) -> dict:
    """Write a check-in as the answers to the check-in Questionnaire (R4B JSON)."""
    items = [
        answer("pain", "valueInteger", row.pain),
        answer("stiffness", "valueInteger", row.stiffness),
    ]
    if row.morning_stiffness_minutes is not None:
        items.append(
            answer("morning_stiffness_minutes", "valueInteger", row.morning_stiffness_minutes)
        )
    for measure in ("swelling", "function", "global_assessment"):
        if getattr(row, measure) is not None:
            items.append(answer(measure, "valueInteger", getattr(row, measure)))
    items.append(answer("adverse_event", "valueBoolean", bool(row.adverse_event)))
    # A FHIR string holds some non-whitespace: a blank answer is no answer.
    if (row.adverse_event_details or "").strip():
        items.append(answer("adverse_event_details", "valueString", row.adverse_event_details))
    if (row.notes or "").strip():
        items.append(answer("notes", "valueString", row.notes))
    source = reference("Patient", row.patient_id)
    if row.source in SOURCE_NAMES:
        source["display"] = SOURCE_NAMES[row.source]
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": rid("QuestionnaireResponse", row.id),
        "basedOn": [reference("CarePlan", row.treatment_id)] if row.treatment_id else None,
        "questionnaire": links.questionnaire,
        "status": "completed",
        "subject": reference("Patient", row.patient_id),
        "authored": isoformat_z(row.submitted_at),
        "source": source,
        "item": items,
    }
    return without_empty(response)


def observations(row, links: FhirLinks) -> list[dict]:
    """Write the Observations a check-in's answers give: pain (LOINC), the tracker's measures."""
    shared = {
        "resourceType": "Observation",
        "status": "final",
        "category": SURVEY,
        "subject": reference("Patient", row.patient_id),
        "effectiveDateTime": row.recorded_on.isoformat(),
        "issued": isoformat_z(row.submitted_at),
    }
    derived_from = [reference("QuestionnaireResponse", row.id)]

    def observation(suffix: str, code: dict, value: dict) -> dict:
        return (
            {"id": rid("Observation", row.id, suffix)}
            | shared
            | {"code": code}
            | value
            | {"derivedFrom": derived_from}
        )

    found = [
        observation("pain", {"coding": [PAIN_LOINC], "text": "Pain"}, {"valueInteger": row.pain})
    ]
    for measure in ("stiffness", "swelling", "function", "global_assessment"):
        value = getattr(row, measure)
        if value is not None:
            code = {"coding": [concept_code(links, measure, MEASURES[measure])]}
            # FHIR ids take letters, digits, "-" and "." only.
            suffix = measure.replace("_", "-")
            found.append(observation(suffix, code, {"valueInteger": value}))
    if row.morning_stiffness_minutes is not None:
        measure = "morning_stiffness_minutes"
        code = {"coding": [concept_code(links, measure, MEASURES[measure])]}
        quantity = {"value": row.morning_stiffness_minutes, "unit": "min"} | {
            "system": UCUM,
            "code": "min",
        }
        found.append(observation("minutes", code, {"valueQuantity": quantity}))
    return found


def checkin_resources(row, links: FhirLinks) -> list[dict]:
    """A check-in's QuestionnaireResponse and its Observations, as R4B JSON."""
    return [questionnaire_response(row, links), *observations(row, links)]


def checkin_resources_validated(row, links: FhirLinks) -> list:
    """The same resources built and validated by the R4B models (for the tests)."""
    return [
        get_fhir_model_class(content["resourceType"]).model_validate(content)
        for content in checkin_resources(row, links)
    ]


def without_empty(content: dict) -> dict:
    """Drop the absent elements, as the models' JSON leaves them out."""
    return {key: value for key, value in content.items() if value is not None}


def resource_json(resource) -> str:
    """One resource as compact UTF-8 JSON text, whether a model or already R4B JSON."""
    if isinstance(resource, dict):
        return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    return resource.model_dump_json()


def resource_content(resource) -> dict:
    """One resource as R4B JSON (a dict), whether a model or already JSON."""
    return resource if isinstance(resource, dict) else resource.model_dump(mode="json")


def flag(row, links: FhirLinks) -> Flag:
    """Build a worklist flag: active until it is resolved; a side effect's names its record."""
    detail = (
        [{"url": FLAG_DETAIL, "valueReference": reference("AdverseEvent", row.adverse_event_id)}]
        if row.adverse_event_id is not None
        else None
    )
    return Flag(
        id=rid("Flag", row.id),
        extension=detail,
        status="inactive" if row.status == RESOLVED else "active",
        code={
            "coding": [concept_code(links, row.kind, FLAG_NAMES.get(row.kind, row.kind))],
            "text": FLAG_NAMES.get(row.kind, row.kind),
        },
        subject=reference("Patient", row.patient_id),
        period={"start": isoformat_z(row.opened_at), "end": isoformat_z(row.resolved_at)},
    )
