"""The clinician UI for patients and treatments, driven through its real forms."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import post_form
from tests.helpers import row_counts
from tracker.extensions import db
from tracker.models import AuditEvent, Patient, Reminder, Treatment

# 12:00 in Tokyo on Saturday 21 November 2026.
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
NEW_PATIENT = {
    "external_id": "MRN-1001",
    "name": "Hanako Tanaka",
    "email": "hanako@example.org",
    "timezone": "Asia/Tokyo",
    "language": "ja",
    "frozen_doses": "2",
}
NEW_TREATMENT = {
    "treated_on": "2026-11-20",
    "kind": "adsc_cultured",
    "route": "intra_articular",
    "site": "left knee",
    "kl_grade": "3",
    "cell_dose_million": "50",
    "baseline_pain": "6",
    "baseline_stiffness": "7",
    "baseline_morning_stiffness_minutes": "45",
    "notes": "",
}
FIELD_BLOCK = re.compile(r'<div class="field[^"]*">(.*?)</div>', re.DOTALL)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(
        clinic=clinic, external_id="MRN-1", name="Hanako Tanaka", frozen_doses=1
    )


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown inside the form field named `name`."""
    for block in FIELD_BLOCK.findall(page):
        if f'name="{name}"' in block:
            return re.findall(r'<small class="error" id="[^"]*">(.*?)</small>', block)
    raise AssertionError(f"no field {name!r} in the page")


def reload(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def record_treatment_through_form(client, patient_id: int, **changes):
    return post_form(client, f"/patients/{patient_id}/treatments/new", {**NEW_TREATMENT, **changes})


def reminders_of(treatment_id: int) -> dict[int, Reminder]:
    db.session.expire_all()
    return {
        reminder.milestone_weeks: reminder
        for reminder in db.session.scalars(
            select(Reminder).where(
                Reminder.treatment_id == treatment_id, Reminder.kind == "milestone"
            )
        )
    }


# New patient


def test_new_patient_form_records_the_patient_and_shows_their_page(logged_in, clinic):
    response = post_form(logged_in, "/patients/new", NEW_PATIENT)

    assert response.status_code == 302
    patient = db.session.scalar(select(Patient))
    assert response.headers["Location"] == f"/patients/{patient.id}/treatments/new"
    assert (patient.clinic_id, patient.external_id, patient.name) == (
        clinic.id,
        "MRN-1001",
        "Hanako Tanaka",
    )
    assert (patient.email, patient.timezone, patient.language, patient.frozen_doses) == (
        "hanako@example.org",
        "Asia/Tokyo",
        "ja",
        2,
    )
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Patient Hanako Tanaka recorded." in page
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Hanako Tanaka" in page
    assert "MRN-1001" in page


def test_new_patient_is_audited(logged_in, clinician):
    post_form(logged_in, "/patients/new", NEW_PATIENT)

    patient = db.session.scalar(select(Patient))
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.create")
    ).all()
    assert (event.object_type, event.object_id) == ("patient", patient.id)
    assert (event.actor_user_id, event.actor_kind) == (clinician.id, "user")
    assert event.ip == "127.0.0.1"


def test_new_patient_form_offers_the_clinics_time_zone(logged_in):
    page = logged_in.get("/patients/new").get_data(as_text=True)

    assert re.search(r'name="timezone"[^>]*value="Asia/Tokyo"', page)


def test_empty_time_zone_means_the_clinics(logged_in):
    post_form(logged_in, "/patients/new", {**NEW_PATIENT, "timezone": ""})

    assert db.session.scalar(select(Patient.timezone)) == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Unknown time zone"),
        ("email", "hanako-at-example.org", "Not a valid email address"),
        ("external_id", "", "This field is required"),
        ("name", "", "This field is required"),
        ("name", "Hanako\x00Tanaka", "NUL"),
    ],
)
def test_new_patient_error_is_shown_next_to_the_field_and_nothing_written(
    logged_in, field, value, message
):
    before = row_counts()

    response = post_form(logged_in, "/patients/new", {**NEW_PATIENT, field: value})

    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), field)
    assert any(message in error for error in errors), errors
    assert row_counts() == before


def test_duplicate_external_id_is_shown_next_to_the_field_and_nothing_written(logged_in, patient):
    before = row_counts()

    response = post_form(logged_in, "/patients/new", {**NEW_PATIENT, "external_id": "MRN-1"})

    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "external_id")
    assert errors == ["A patient with this external ID already exists."]
    assert row_counts() == before


def test_rejected_form_keeps_what_was_typed(logged_in):
    response = post_form(logged_in, "/patients/new", {**NEW_PATIENT, "timezone": "Nowhere"})

    page = response.get_data(as_text=True)
    assert 'value="Hanako Tanaka"' in page
    assert 'value="MRN-1001"' in page


# Edit patient


def test_edit_patient_saves_the_changes(logged_in, patient):
    response = post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {**NEW_PATIENT, "external_id": "MRN-1", "name": "Hanako Suzuki", "language": "en"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{patient.id}"
    saved = reload(Patient, patient.id)
    assert (saved.name, saved.language, saved.email) == (
        "Hanako Suzuki",
        "en",
        NEW_PATIENT["email"],
    )
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.update")
    ).all()
    assert "name" in event.details["fields"]


def test_edit_form_shows_the_current_details(logged_in, patient):
    page = logged_in.get(f"/patients/{patient.id}/edit").get_data(as_text=True)

    assert 'value="Hanako Tanaka"' in page
    assert 'value="MRN-1"' in page


def test_edit_to_another_patients_external_id_is_refused(logged_in, patient, clinic):
    other = factories.PatientFactory(clinic=clinic, external_id="MRN-2")
    before = row_counts()

    response = post_form(
        logged_in, f"/patients/{other.id}/edit", {**NEW_PATIENT, "external_id": "MRN-1"}
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "external_id")
    assert reload(Patient, other.id).external_id == "MRN-2"
    assert reload(Patient, other.id).name != NEW_PATIENT["name"]
    assert row_counts() == before


def test_edit_with_a_bad_time_zone_changes_nothing(logged_in, patient):
    response = post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {**NEW_PATIENT, "external_id": "MRN-1", "name": "Changed", "timezone": "Nowhere/City"},
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "timezone")
    saved = reload(Patient, patient.id)
    assert (saved.name, saved.timezone) == ("Hanako Tanaka", "Asia/Tokyo")


def test_new_time_zone_reschedules_pending_reminders(logged_in, patient):
    record_treatment_through_form(logged_in, patient.id)
    treatment = db.session.scalar(select(Treatment))

    post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {**NEW_PATIENT, "external_id": "MRN-1", "timezone": "America/New_York"},
    )

    # 09:00 in New York (EST) is 14:00 UTC.
    due = reminders_of(treatment.id)[2].due_at
    assert due == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


# Search and pagination


@pytest.fixture
def searchable(clinic, other_clinic):
    for name, external_id in [
        ("Hanako Tanaka", "MRN-1001"),
        ("Kenji Watanabe", "MRN-2002"),
        ("100% Cotton", "KX-1"),
        ("A_B Smith", "KX-2"),
        ("AxB Jones", "KX-3"),
    ]:
        factories.PatientFactory(clinic=clinic, name=name, external_id=external_id)
    factories.PatientFactory(clinic=other_clinic, name="Hanako Other", external_id="MRN-1001")


def listed_names(response) -> list[str]:
    return re.findall(r'<a href="/patients/\d+">([^<]*)</a>', response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tanaka", ["Hanako Tanaka"]),
        ("HANAKO", ["Hanako Tanaka"]),
        ("mrn-2002", ["Kenji Watanabe"]),
        ("MRN-", ["Hanako Tanaka", "Kenji Watanabe"]),
        ("%", ["100% Cotton"]),
        ("_", ["A_B Smith"]),
        ("a_b", ["A_B Smith"]),
        ("kx-", ["100% Cotton", "A_B Smith", "AxB Jones"]),
        ("  tanaka  ", ["Hanako Tanaka"]),
        ("\\", []),
        ("nobody", []),
    ],
)
def test_search_by_name_or_external_id(logged_in, searchable, query, expected):
    response = logged_in.get("/patients", query_string={"q": query})

    assert response.status_code == 200
    assert listed_names(response) == expected


@pytest.mark.parametrize("query", ["Élodie", "élodie", "ÉLODIE", "müller", "MÜLLER"])
def test_search_ignores_the_case_of_accented_letters(logged_in, clinic, query):
    factories.PatientFactory(clinic=clinic, name="Élodie Müller")

    response = logged_in.get("/patients", query_string={"q": query})

    assert listed_names(response) == ["Élodie Müller"]


def test_search_with_a_nul_character_finds_and_breaks_nothing(logged_in, searchable):
    response = logged_in.get("/patients", query_string={"q": "tana\x00ka"})

    assert response.status_code == 200
    assert listed_names(response) == ["Hanako Tanaka"]


def test_search_without_a_match_says_so(logged_in, searchable):
    page = logged_in.get("/patients?q=nobody").get_data(as_text=True)

    assert "No patient matches" in page


def test_patient_list_is_paged_by_fifty(logged_in, clinic):
    for number in range(53):
        factories.PatientFactory(clinic=clinic, name=f"Patient {number:03}")

    first = logged_in.get("/patients")
    second = logged_in.get("/patients?page=2")

    assert listed_names(first) == [f"Patient {n:03}" for n in range(50)]
    assert 'page=2">Next' in first.get_data(as_text=True)
    assert listed_names(second) == ["Patient 050", "Patient 051", "Patient 052"]
    assert 'page=1">Previous' in second.get_data(as_text=True)
    assert "Next</a>" not in second.get_data(as_text=True)


def test_search_results_are_paged_with_the_query_kept(logged_in, clinic):
    for number in range(51):
        factories.PatientFactory(clinic=clinic, name=f"Sato {number:03}")
    factories.PatientFactory(clinic=clinic, name="Tanaka")

    first = logged_in.get("/patients?q=sato")
    second = logged_in.get("/patients?q=sato&page=2")

    assert len(listed_names(first)) == 50
    assert "q=sato&amp;page=2" in first.get_data(as_text=True)
    assert listed_names(second) == ["Sato 050"]


def test_page_past_the_end_is_empty(logged_in, patient):
    response = logged_in.get("/patients?page=99")

    assert response.status_code == 200
    assert listed_names(response) == []


# Treatments


def test_record_treatment_with_baseline_shows_on_the_patient_page(logged_in, patient):
    response = record_treatment_through_form(logged_in, patient.id)

    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/patients/{patient.id}"
    treatment = db.session.scalar(select(Treatment))
    assert (treatment.treated_on, treatment.kind, treatment.site, treatment.kl_grade) == (
        date(2026, 11, 20),
        "adsc_cultured",
        "left knee",
        3,
    )
    assert (
        treatment.baseline_pain,
        treatment.baseline_stiffness,
        treatment.baseline_morning_stiffness_minutes,
    ) == (6, 7, 45)
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "20 Nov 2026" in page
    assert "left knee" in page
    assert "stiffness 7, pain 6, 45 min" in page


def test_record_treatment_plans_the_milestone_reminders(logged_in, patient):
    record_treatment_through_form(logged_in, patient.id)

    treatment = db.session.scalar(select(Treatment))
    reminders = reminders_of(treatment.id)
    assert sorted(reminders) == [2, 8, 12, 52]
    assert {reminder.status for reminder in reminders.values()} == {"scheduled"}
    assert reminders[2].due_at == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    # Named as the patient's emails name them: 12 weeks is the 3-month check-in.
    for title in ("2-week", "8-week", "3-month", "1-year"):
        assert f"{title} check-in" in page


def test_record_treatment_is_audited(logged_in, patient, clinician):
    record_treatment_through_form(logged_in, patient.id)

    treatment = db.session.scalar(select(Treatment))
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "treatment.create")
    ).all()
    assert (event.object_id, event.actor_user_id) == (treatment.id, clinician.id)
    assert treatment.recorded_by_id == clinician.id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("treated_on", "2026-11-22"),
        ("treated_on", ""),
        ("site", ""),
        ("baseline_morning_stiffness_minutes", "1441"),
        ("kl_grade", "5"),
        ("cell_dose_million", "-3"),
    ],
)
def test_treatment_error_is_shown_next_to_the_field_and_nothing_written(
    logged_in, patient, field, value
):
    before = row_counts()

    response = record_treatment_through_form(logged_in, patient.id, **{field: value})

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field)
    assert row_counts() == before


@pytest.fixture
def first_treatment(logged_in, patient):
    """A treatment recorded on 1 September through the form, with its reminders."""
    record_treatment_through_form(logged_in, patient.id, treated_on="2026-09-01")
    return db.session.scalar(select(Treatment))


def test_booster_cancels_the_pending_reminders_of_the_boosted_treatment(
    logged_in, patient, first_treatment
):
    pending_before = {
        weeks
        for weeks, reminder in reminders_of(first_treatment.id).items()
        if reminder.status == "scheduled"
    }
    assert pending_before  # the 12- and 52-week check-ins are still to come

    response = record_treatment_through_form(
        logged_in,
        patient.id,
        booster_of=str(first_treatment.id),
        used_frozen_dose="y",
        site="left knee",
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    boosted = reminders_of(first_treatment.id)
    for weeks in pending_before:
        assert boosted[weeks].status == "cancelled"
    booster = db.session.scalar(select(Treatment).where(Treatment.id != first_treatment.id))
    assert booster.booster_of_id == first_treatment.id
    assert {r.status for r in reminders_of(booster.id).values()} == {"scheduled"}


def test_booster_uses_a_frozen_dose_from_the_cell_bank(logged_in, patient, first_treatment):
    assert reload(Patient, patient.id).frozen_doses == 1

    record_treatment_through_form(
        logged_in, patient.id, booster_of=str(first_treatment.id), used_frozen_dose="y"
    )

    assert reload(Patient, patient.id).frozen_doses == 0
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "booster of 1 Sep 2026" in page
    assert "0 frozen doses left" in page


def test_booster_with_an_empty_cell_bank_is_refused_and_nothing_written(
    logged_in, patient, first_treatment
):
    patient = reload(Patient, patient.id)
    patient.frozen_doses = 0
    db.session.commit()
    before = row_counts()
    statuses = {w: r.status for w, r in reminders_of(first_treatment.id).items()}

    response = record_treatment_through_form(
        logged_in, patient.id, booster_of=str(first_treatment.id), used_frozen_dose="y"
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "used_frozen_dose")
    assert row_counts() == before
    assert {w: r.status for w, r in reminders_of(first_treatment.id).items()} == statuses
    assert reload(Patient, patient.id).frozen_doses == 0


def test_booster_of_a_later_treatment_is_refused(logged_in, patient, first_treatment):
    before = row_counts()

    response = record_treatment_through_form(
        logged_in, patient.id, treated_on="2026-08-01", booster_of=str(first_treatment.id)
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "booster_of")
    assert row_counts() == before


def test_booster_of_another_patients_treatment_is_refused(logged_in, patient, clinic):
    other = factories.PatientFactory(clinic=clinic)
    others_treatment = factories.TreatmentFactory(patient=other, treated_on=date(2026, 3, 1))
    before = row_counts()

    response = record_treatment_through_form(
        logged_in, patient.id, booster_of=str(others_treatment.id)
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "booster_of")
    assert row_counts() == before


def test_new_date_reschedules_the_pending_reminders(logged_in, patient, first_treatment):
    before = reminders_of(first_treatment.id)
    assert before[12].status == "scheduled"

    response = post_form(
        logged_in,
        f"/treatments/{first_treatment.id}/edit",
        {**NEW_TREATMENT, "treated_on": "2026-09-08"},
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    after = reminders_of(first_treatment.id)
    # One week later: 12 weeks after 8 September is 1 December, 09:00 in Tokyo.
    assert after[12].due_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert after[52].due_at == datetime(2027, 9, 7, 0, 0, tzinfo=UTC)
    assert after[12].status == "scheduled"
    assert reload(Treatment, first_treatment.id).treated_on == date(2026, 9, 8)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "treatment.update"))


def test_edit_treatment_form_shows_the_current_values(logged_in, patient, first_treatment):
    page = logged_in.get(f"/treatments/{first_treatment.id}/edit").get_data(as_text=True)

    assert 'value="2026-09-01"' in page
    assert 'value="left knee"' in page


def test_edit_treatment_into_the_future_is_refused(logged_in, patient, first_treatment):
    response = post_form(
        logged_in,
        f"/treatments/{first_treatment.id}/edit",
        {**NEW_TREATMENT, "treated_on": "2027-01-01"},
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "treated_on")
    assert reload(Treatment, first_treatment.id).treated_on == date(2026, 9, 1)


# Viewing and escaping


def test_viewing_a_patient_writes_a_view_audit_event(logged_in, patient, clinician):
    logged_in.get(f"/patients/{patient.id}")
    logged_in.get(f"/patients/{patient.id}")

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.view")).all()
    assert len(events) == 2
    assert {(e.object_id, e.actor_user_id, e.clinic_id) for e in events} == {
        (patient.id, clinician.id, patient.clinic_id)
    }


SCRIPT = "<script>alert('x')</script>"


def test_user_text_is_escaped_in_the_pages(logged_in, clinic):
    post_form(
        logged_in,
        "/patients/new",
        {**NEW_PATIENT, "name": f"Evil {SCRIPT}", "external_id": f"X{SCRIPT}"[:64]},
    )
    patient = db.session.scalar(select(Patient))
    record_treatment_through_form(logged_in, patient.id, site=SCRIPT, notes=SCRIPT)

    pages = {
        "patient": logged_in.get(f"/patients/{patient.id}"),
        "list": logged_in.get("/patients"),
        "search": logged_in.get("/patients", query_string={"q": SCRIPT}),
        "edit": logged_in.get(f"/patients/{patient.id}/edit"),
        "treatment": logged_in.get(f"/treatments/{db.session.scalar(select(Treatment.id))}/edit"),
    }

    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert "<script>alert" not in page, name
        assert "&lt;script&gt;" in page, name
