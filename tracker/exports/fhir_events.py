"""FHIR resources of what happened after a treatment: adverse events and outcome events.

Kept beside fhir_resources.py (the follow-up itself), with the same contract: each function
takes the row's values and the clinic's links, and none reads the database.
"""

from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.procedure import Procedure

from tracker.exports.fhir_definitions import (
    CAUSALITY_NAMES,
    OUTCOME_EVENT_NAMES,
    SERIOUSNESS_NAMES,
    concept_code,
)
from tracker.exports.fhir_links import SUPPORTING_INFO, TERMINOLOGY, FhirLinks, reference
from tracker.exports.fhir_links import resource_id as rid
from tracker.timeutil import isoformat_z

SERIOUSNESS_SYSTEM = f"{TERMINOLOGY}/adverse-event-seriousness"
OUTCOME_SYSTEM = f"{TERMINOLOGY}/adverse-event-outcome"
# The tracker's outcome words read as HL7's adverse-event-outcome codes (one to one).
HL7_OUTCOMES = {
    "recovered": ("resolved", "Resolved"),
    "recovering": ("recovering", "Recovering"),
    "not_recovered": ("ongoing", "Ongoing"),
    "recovered_with_sequelae": ("resolvedWithSequelae", "Resolved with Sequelae"),
    "fatal": ("fatal", "Fatal"),
    "unknown": ("unknown", "Unknown"),
}


def seriousness(code: str | None, links: FhirLinks) -> dict | None:
    """HL7's serious / non-serious, then the act's own finer word under the tracker's codes."""
    if code is None:
        return None
    hl7 = ("non-serious", "Non-serious") if code == "non_serious" else ("serious", "Serious")
    name = SERIOUSNESS_NAMES.get(code, code)
    return {
        "coding": [
            {"system": SERIOUSNESS_SYSTEM, "code": hl7[0], "display": hl7[1]},
            concept_code(links, code, name),
        ],
        "text": name,
    }


def event_outcome(code: str | None) -> dict | None:
    if code is None:
        return None
    hl7_code, display = HL7_OUTCOMES[code]
    return {"coding": [{"system": OUTCOME_SYSTEM, "code": hl7_code, "display": display}]}


def suspect_entity(row, assessor: dict | None, links: FhirLinks) -> list[dict] | None:
    """The treatment suspected, with the clinician's causality assessment once there is one."""
    if row.treatment_id is None:
        return None
    suspect = {"instance": reference("Procedure", row.treatment_id)}
    if row.causality is not None:
        name = CAUSALITY_NAMES.get(row.causality, row.causality)
        suspect["causality"] = [
            {
                "assessment": {"coding": [concept_code(links, row.causality, name)], "text": name},
                "author": assessor,
            }
        ]
    return [suspect]


def adverse_event(row, links: FhirLinks) -> AdverseEvent:
    """Build an adverse event (疾病等): its dates, assessment and the treatment suspected.

    No severity: the act asks for seriousness, and clinics record no mild/moderate/severe.
    """
    assessor = links.staff(row.assessed_by_id, row.assessed_by_name)
    if row.source == "checkin":
        recorder = reference("Patient", row.patient_id)  # the patient reported it
    else:
        recorder = links.staff(row.created_by_id, row.created_by_name)
    answers = (
        [
            {
                "url": SUPPORTING_INFO,
                "valueReference": reference("QuestionnaireResponse", row.checkin_id),
            }
        ]
        if row.checkin_id is not None
        else None
    )
    return AdverseEvent(
        id=rid("AdverseEvent", row.id),
        extension=answers,
        actuality="actual",
        event={"text": row.description},
        subject=reference("Patient", row.patient_id),
        date=row.onset_on.isoformat() if row.onset_on else None,
        detected=row.aware_on.isoformat(),
        recordedDate=isoformat_z(row.created_at),
        seriousness=seriousness(row.seriousness, links),
        outcome=event_outcome(row.outcome),
        recorder=recorder,
        contributor=[assessor] if assessor else None,
        suspectEntity=suspect_entity(row, assessor, links),
    )


def outcome_procedure(row, links: FhirLinks) -> Procedure:
    """Build an outcome event (a knee replacement, another injection) as a Procedure.

    It is not part of the treatment, so it points to it as supporting information, not partOf.
    """
    name = OUTCOME_EVENT_NAMES.get(row.kind, row.kind)
    return Procedure(
        id=rid("Procedure", row.id, "outcome"),
        extension=[
            {"url": SUPPORTING_INFO, "valueReference": reference("Procedure", row.treatment_id)}
        ],
        status="completed",
        code={"coding": [concept_code(links, row.kind, name)], "text": name},
        subject=reference("Patient", row.patient_id),
        performedDateTime=row.occurred_on.isoformat(),
        recorder=links.staff(row.recorded_by_id, row.recorded_by_name),
        note=[{"text": row.note}] if row.note else None,
    )
