"""A check-in's resources, written as JSON for speed, are exactly what the R4B models make."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from tracker.exports.fhir_links import FhirLinks
from tracker.exports.fhir_resources import checkin_resources, checkin_resources_validated

LINKS = FhirLinks("https://tracker.example", 3)
SCORE = st.integers(0, 10)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)

checkins = st.builds(
    SimpleNamespace,
    id=st.integers(1, 2**31 - 1),
    patient_id=st.integers(1, 2**31 - 1),
    treatment_id=st.none() | st.integers(1, 2**31 - 1),
    recorded_on=st.dates(date(2000, 1, 1), date(2100, 1, 1)),
    submitted_at=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    source=st.sampled_from(["email_link", "portal", "clinician", "api", "import"]),
    pain=SCORE,
    stiffness=SCORE,
    morning_stiffness_minutes=st.none() | st.integers(0, 1440),
    swelling=st.none() | SCORE,
    function=st.none() | SCORE,
    global_assessment=st.none() | SCORE,
    adverse_event=st.booleans(),
    adverse_event_details=TEXT,
    notes=TEXT,
)


@given(checkins)
def test_a_checkins_json_is_what_the_models_dump_after_validating_it(row):
    written = checkin_resources(row, LINKS)
    validated = checkin_resources_validated(row, LINKS)

    assert [model.model_dump(mode="json") for model in validated] == written


def test_a_checkin_with_every_answer_gives_a_response_and_four_observations():
    row = SimpleNamespace(
        id=9,
        patient_id=2,
        treatment_id=4,
        recorded_on=date(2025, 3, 7),
        submitted_at=datetime(2025, 3, 7, 0, 30, tzinfo=UTC) + timedelta(milliseconds=250),
        source="portal",
        pain=2,
        stiffness=1,
        morning_stiffness_minutes=10,
        swelling=0,
        function=None,
        global_assessment=None,
        adverse_event=True,
        adverse_event_details="膝が熱い",
        notes="=1+1",
    )

    resources = checkin_resources_validated(row, LINKS)

    assert [model.get_resource_type() for model in resources] == [
        "QuestionnaireResponse",
        "Observation",
        "Observation",
        "Observation",
        "Observation",
    ]
    assert [model.id for model in resources[1:]] == [
        "observation-9-pain",
        "observation-9-stiffness",
        "observation-9-swelling",
        "observation-9-minutes",
    ]
