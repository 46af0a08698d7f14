"""The tracker's own FHIR definitions: the follow-up CodeSystem and the check-in Questionnaire."""

from collections.abc import Callable
from dataclasses import dataclass

from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire

from tracker.exports.fhir_links import LOINC, MAX_VALUE, MIN_VALUE, TRANSLATION, FhirLinks
from tracker.models.outcome_event import KINDS as OUTCOME_EVENT_KINDS
from tracker.models.treatment import KINDS as TREATMENT_KINDS

PAIN_LOINC = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
MEASURES = {
    "stiffness": "Morning stiffness severity (0-10)",
    "morning_stiffness_minutes": "Duration of morning stiffness (minutes)",
    "swelling": "Joint swelling (0-10)",
    "function": "Daily activities limited by the joint (0-10)",
    "global_assessment": "Patient's global assessment of the joint (0 very well - 10 very poorly)",
}
FLAG_NAMES = {
    "adverse_event": "Adverse event reported",
    "relapse": "Relapse: stiffness or pain back at the pre-treatment level",
    "booster_window": "Booster window: morning stiffness coming back",
    "non_responder": "No improvement after treatment",
    "missed_milestone": "Missed follow-up check-in",
}
MILESTONE_CHECKIN = "milestone_checkin"
# The act's seriousness words (docs/compliance.md, Assessment), finer than HL7's
# serious / non-serious.
SERIOUSNESS_NAMES = {
    "death": "Death",
    "life_threatening": "Life-threatening",
    "hospitalisation": "Hospitalisation or a longer stay for treatment",
    "disability": "Disability",
    "possible_disability": "Possible disability",
    "serious_other": "Other serious event",
    "congenital_anomaly": "Congenital anomaly in a later generation",
    "non_serious": "Not serious",
}
CAUSALITY_NAMES = {
    "related": "Related to the treatment",
    "possibly_related": "Possibly related to the treatment",
    "unlikely": "Unlikely to be related to the treatment",
    "unrelated": "Not related to the treatment",
}
# Later procedures that end a treatment's story, the outcome-event kinds
# (docs/outcomes-and-reporting.md, What patients are asked, and outcome events).
OUTCOME_EVENT_NAMES = OUTCOME_EVENT_KINDS  # their English names are the displays


@dataclass(frozen=True)
class Question:
    """One item of the check-in: its linkId, FHIR type, English text and answer range."""

    link_id: str
    item_type: str
    text: str  # a msgid of the translation catalogue
    required: bool = False
    low: int | None = None
    high: int | None = None
    shown_when_yes: str | None = None  # the boolean item that must be answered yes


# The texts are the check-in form's own questions, so both read the same in each language.
QUESTIONS = (
    Question("pain", "integer", "How much pain do you have today?", True, 0, 10),
    Question(
        "stiffness",
        "integer",
        "How stiff was your joint when you got up this morning?",
        True,
        0,
        10,
    ),
    Question(
        "morning_stiffness_minutes",
        "integer",
        "How many minutes did the morning stiffness last?",
        False,
        0,
        1440,
    ),
    Question("swelling", "integer", "How swollen is your joint today?", False, 0, 10),
    Question(
        "function",
        "integer",
        "How much does your knee limit your daily activities: walking, stairs, getting up?",
        False,
        0,
        10,
    ),
    Question(
        "global_assessment",
        "integer",
        "Considering everything, how is your knee doing?",
        False,
        0,
        10,
    ),
    Question(
        "adverse_event",
        "boolean",
        "Since your treatment or your last check-in, have you had a side effect or a new "
        "symptom that worries you?",
        True,
    ),
    Question(
        "adverse_event_details",
        "text",
        "What happened, and when?",
        shown_when_yes="adverse_event",
    ),
    Question("notes", "text", "Anything else you would like your care team to know?"),
)
QUESTIONNAIRE_TITLE = "Follow-up check-in"


def concept_code(links: FhirLinks, code: str, display: str) -> dict:
    return {"system": links.code_system, "code": code, "display": display}


def question_code(links: FhirLinks, link_id: str) -> list[dict] | None:
    if link_id == "pain":
        return [PAIN_LOINC]
    if link_id in MEASURES:
        return [concept_code(links, link_id, MEASURES[link_id])]
    return None


def follow_up_code_system(links: FhirLinks) -> CodeSystem:
    """Build the CodeSystem of the tracker's measures, flags, treatments and activities."""

    def group(code: str, display: str, members: dict[str, str]) -> dict:
        children = [{"code": key, "display": name} for key, name in members.items()]
        return {"code": code, "display": display, "concept": children}

    return CodeSystem(
        id="followup",
        url=links.code_system,
        name="FollowUpTracker",
        title="Follow-up tracker codes",
        status="active",
        content="complete",
        hierarchyMeaning="grouped-by",
        caseSensitive=True,
        concept=[
            group("measures", "Check-in measures", MEASURES),
            group("flags", "Worklist flags", FLAG_NAMES),
            group("treatments", "Treatment kinds", TREATMENT_KINDS),
            group("activities", "Follow-up activities", {MILESTONE_CHECKIN: "Milestone check-in"}),
            group("seriousness", "Adverse event seriousness", SERIOUSNESS_NAMES),
            group("causality", "Adverse event causality", CAUSALITY_NAMES),
            group("outcome_events", "Later procedures (outcome events)", OUTCOME_EVENT_NAMES),
        ],
    )


def translated(japanese: str) -> dict:
    """The primitive extension that carries a text's Japanese translation."""
    parts = [{"url": "lang", "valueCode": "ja"}, {"url": "content", "valueString": japanese}]
    return {"extension": [{"url": TRANSLATION, "extension": parts}]}


def checkin_questionnaire(links: FhirLinks, japanese: Callable[[str], str]) -> Questionnaire:
    """Build the check-in Questionnaire; japanese(msgid) gives each text's Japanese."""
    items = []
    for question in QUESTIONS:
        item = {
            "linkId": question.link_id,
            "text": question.text,
            "_text": translated(japanese(question.text)),
            "type": question.item_type,
            "required": question.required,
            "code": question_code(links, question.link_id),
        }
        if question.low is not None:
            item["extension"] = [
                {"url": MIN_VALUE, "valueInteger": question.low},
                {"url": MAX_VALUE, "valueInteger": question.high},
            ]
        if question.shown_when_yes:
            item["enableWhen"] = [
                {"question": question.shown_when_yes, "operator": "=", "answerBoolean": True}
            ]
        items.append(item)
    return Questionnaire(
        id="checkin",
        url=links.questionnaire,
        name="FollowUpCheckIn",
        title=QUESTIONNAIRE_TITLE,
        _title=translated(japanese(QUESTIONNAIRE_TITLE)),
        status="active",
        subjectType=["Patient"],
        language="en",
        item=items,
    )
