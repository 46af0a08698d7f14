"""Who may see what: sign-in for pages, tokens for the API, and never another clinic's data."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import ApiClient, csrf_token_from, log_in
from tests.helpers import isolated_client, make_flag, row_counts
from tracker.cli import issue_token
from tracker.extensions import db
from tracker.models import ApiToken, Flag, Patient
from tracker.services.patients import Actor
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc

PAGES = [
    ("GET", "/"),
    ("GET", "/patients"),
    ("GET", "/patients/new"),
    ("GET", "/patients/{patient}"),
    ("GET", "/patients/{patient}/edit"),
    ("GET", "/patients/{patient}/treatments/new"),
    ("GET", "/treatments/{treatment}/edit"),
    ("GET", "/outcomes"),
    ("GET", "/outcomes.csv"),
]
OBJECT_PAGES = [(method, url) for method, url in PAGES if "{" in url]
FORM_POSTS = [
    ("POST", "/patients/new"),
    ("POST", "/patients/{patient}/outcome-events"),
    ("POST", "/patients/{patient}/edit"),
    ("POST", "/patients/{patient}/treatments/new"),
    ("POST", "/treatments/{treatment}/edit"),
]
OBJECT_FORM_POSTS = [(method, url) for method, url in FORM_POSTS if "{" in url]

PATIENT_FORM = {
    "external_id": "MRN-9000",
    "name": "Changed Name",
    "email": "changed@example.org",
    "timezone": "Asia/Tokyo",
    "language": "en",
    "frozen_doses": "0",
}
TREATMENT_FORM = {
    "treated_on": "2026-10-01",
    "kind": "prp",
    "route": "intra_articular",
    "site": "right knee",
}
FORM_DATA = {
    "/patients/new": PATIENT_FORM,
    # The form names the patient's only treatment in the records fixture (id 1).
    "/patients/{patient}/outcome-events": {
        "treatment_id": "1",
        "kind": "knee_replacement",
        "occurred_on": "2026-10-01",
    },
    "/patients/{patient}/edit": PATIENT_FORM,
    "/patients/{patient}/treatments/new": TREATMENT_FORM,
    "/treatments/{treatment}/edit": TREATMENT_FORM,
}

# Every endpoint of tracker/api/routes.py, with a body that succeeds for the right clinician.
API_ENDPOINTS = [
    ("POST", "/api/v1/patients", {"external_id": "MRN-NEW", "name": "New Patient"}, 201),
    ("GET", "/api/v1/patients/{patient}", None, 200),
    (
        "POST",
        "/api/v1/patients/{patient}/treatments",
        {"treated_on": "2026-10-01", "kind": "prp", "route": "intra_articular", "site": "hip"},
        201,
    ),
    ("GET", "/api/v1/patients/{patient}/reminders", None, 200),
    ("POST", "/api/v1/patients/{patient}/checkins", {"pain": 3, "stiffness": 2}, 201),
    ("GET", "/api/v1/flags", None, 200),
    ("POST", "/api/v1/flags/{flag}/acknowledge", None, 200),
    ("POST", "/api/v1/flags/{flag}/resolve", {"resolution": "monitor", "note": "Stable."}, 200),
    (
        "POST",
        "/api/v1/treatments/{treatment}/outcome-events",
        {"kind": "knee_replacement", "occurred_on": "2026-10-01"},
        201,
    ),
    ("GET", "/api/v1/outcomes?group_by=kl_grade", None, 200),
]
OBJECT_API_ENDPOINTS = [endpoint for endpoint in API_ENDPOINTS if "{" in endpoint[1]]


def ids(endpoints) -> list[str]:
    return [f"{endpoint[0]} {endpoint[1]}" for endpoint in endpoints]


@pytest.fixture
def records(clinic, clinician):
    """This clinic's patient, treatment (with its reminders) and open flag; their ids."""
    patient = factories.PatientFactory(clinic=clinic, name="Hanako Tanaka", external_id="MRN-1")
    treatment = record_treatment(
        patient,
        Actor(clinician, "user"),
        {"treated_on": factories.date(2026, 9, 1), "kind": "ucmsc", "route": "iv", "site": "IV"},
    )
    flag = make_flag(patient, treatment)
    return {"patient": patient.id, "treatment": treatment.id, "flag": flag.id}


@pytest.fixture
def other_client(app, other_clinician):
    """A browser signed in as a clinician of the other clinic."""
    browser = isolated_client(app)
    response = log_in(browser, other_clinician.email)
    assert response.status_code == 302
    return browser


@pytest.fixture
def other_api(app, other_clinician):
    """The API called with a token of the other clinic's clinician."""
    token = issue_token(other_clinician)
    db.session.commit()
    return ApiClient(isolated_client(app), token)


def call(api_or_client, method: str, url: str, body=None):
    if method == "GET":
        return api_or_client.get(url)
    if body is None:
        return api_or_client.post(url)
    return api_or_client.post(url, json=body)


def flag_state(flag_id: int) -> tuple:
    db.session.expire_all()
    flag = db.session.get(Flag, flag_id)
    return (flag.status, flag.owner_id, flag.resolution, flag.acknowledged_at)


# The matrix is complete


def test_every_api_route_is_in_the_matrix(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    tested = {
        (
            method,
            url.partition("?")[0]
            .replace("{patient}", "<int:patient_id>")
            .replace("{flag}", "<int:flag_id>")
            .replace("{treatment}", "<int:treatment_id>"),
        )
        for method, url, _, _ in API_ENDPOINTS
    }

    assert routes == tested


# Without sign-in or token


@pytest.mark.parametrize(("method", "url"), PAGES, ids=ids(PAGES))
def test_page_without_sign_in_redirects_to_login(client, records, method, url):
    response = call(client, method, url.format(**records))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("method", "url"), FORM_POSTS, ids=ids(FORM_POSTS))
def test_form_post_without_sign_in_redirects_to_login_and_writes_nothing(
    client, records, method, url
):
    token = csrf_token_from(client.get("/login"))
    before = row_counts()

    response = client.post(url.format(**records), data={**FORM_DATA[url], "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert row_counts() == before


@pytest.mark.parametrize(("method", "url", "body", "status"), API_ENDPOINTS, ids=ids(API_ENDPOINTS))
def test_api_without_token_answers_401_json_and_writes_nothing(
    client, records, method, url, body, status
):
    before = row_counts()

    response = call(client, method, url.format(**records), body)

    assert response.status_code == 401
    assert response.is_json
    assert "message" in response.get_json()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts() == before


@pytest.mark.parametrize(
    "authorization",
    ["Bearer fut_not-a-real-token", "Bearer ", "Basic ZG9jdG9yOnB3", "fut_no-scheme"],
)
def test_api_with_an_unknown_token_answers_401(client, records, authorization):
    response = client.get(
        f"/api/v1/patients/{records['patient']}", headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    assert response.is_json


def test_api_checks_the_token_before_the_body(client, records):
    response = client.post(f"/api/v1/patients/{records['patient']}/checkins", json={"pain": 99})

    assert response.status_code == 401
    assert "errors" not in response.get_json()


def test_revoked_token_answers_401(client, records, api_token):
    api = ApiClient(client, api_token)
    assert api.get(f"/api/v1/patients/{records['patient']}").status_code == 200
    stored = db.session.scalar(select(ApiToken))
    stored.revoked_at = now_utc()
    db.session.commit()

    response = api.get(f"/api/v1/patients/{records['patient']}")

    assert response.status_code == 401


def test_token_of_an_inactive_user_answers_401(client, records, clinician, api_token):
    api = ApiClient(client, api_token)
    assert api.get("/api/v1/flags").status_code == 200
    clinician.active = False
    db.session.commit()

    response = api.get("/api/v1/flags")

    assert response.status_code == 401


def test_token_use_is_recorded_even_by_a_read_only_call(client, records, api_token):
    api = ApiClient(client, api_token)

    assert api.get("/api/v1/flags").status_code == 200

    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_token_use_is_recorded_even_by_a_refused_call(client, records, api_token):
    api = ApiClient(client, api_token)

    assert api.post("/api/v1/patients", json={"name": ""}).status_code == 422

    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) is not None


# A clinician of another clinic


@pytest.mark.parametrize(("method", "url"), OBJECT_PAGES, ids=ids(OBJECT_PAGES))
def test_another_clinics_page_answers_404_and_writes_nothing(other_client, records, method, url):
    before = row_counts()

    response = call(other_client, method, url.format(**records))

    assert response.status_code == 404
    assert "Hanako" not in response.get_data(as_text=True)
    assert row_counts() == before


@pytest.mark.parametrize(("method", "url"), OBJECT_FORM_POSTS, ids=ids(OBJECT_FORM_POSTS))
def test_another_clinics_form_post_answers_404_and_writes_nothing(
    other_client, records, method, url
):
    token = csrf_token_from(other_client.get("/patients/new"))
    before = row_counts()

    response = other_client.post(
        url.format(**records), data={**FORM_DATA[url], "csrf_token": token}
    )

    assert response.status_code == 404
    assert row_counts() == before
    db.session.expire_all()
    assert db.session.get(Patient, records["patient"]).name == "Hanako Tanaka"


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    OBJECT_API_ENDPOINTS,
    ids=ids(OBJECT_API_ENDPOINTS),
)
def test_another_clinics_api_object_answers_404_and_writes_nothing(
    other_api, records, method, url, body, status
):
    before = row_counts()
    flag_before = flag_state(records["flag"])

    response = call(other_api, method, url.format(**records), body)

    assert response.status_code == 404
    assert response.is_json
    assert "Hanako" not in response.get_data(as_text=True)
    assert row_counts() == before
    assert flag_state(records["flag"]) == flag_before


def test_another_clinics_flag_list_leaves_out_this_clinics_flags(other_api, records):
    for status in ("open", "all"):
        response = other_api.get(f"/api/v1/flags?status={status}")

        assert response.status_code == 200
        assert response.get_json() == {"flags": []}


def test_patient_created_through_the_api_belongs_to_the_tokens_clinic(
    other_api, records, other_clinic
):
    response = other_api.post("/api/v1/patients", json={"external_id": "MRN-1", "name": "Ken"})

    assert response.status_code == 201
    created = db.session.get(Patient, response.get_json()["id"])
    assert created.clinic_id == other_clinic.id


def test_another_clinics_worklist_and_search_show_nothing_of_this_clinic(other_client, records):
    worklist = other_client.get("/")
    search = other_client.get("/patients?q=Hanako")
    listing = other_client.get("/patients")

    for response in (worklist, search, listing):
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Hanako Tanaka" not in page
        assert f"/patients/{records['patient']}" not in page
    assert "No patient matches" in search.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/patients/999999",
        "/patients/999999/edit",
        "/patients/999999/treatments/new",
        "/treatments/999999/edit",
    ],
)
def test_page_of_something_that_does_not_exist_answers_404(logged_in, records, url):
    assert logged_in.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/patients/2147483648", "/patients/99999999999999999999/edit"])
def test_page_of_an_id_beyond_the_databases_integer_range_answers_404(logged_in, url):
    # SQLite's integers reach 2**63 - 1, PostgreSQL's integer column 2**31 - 1.
    assert logged_in.get(url).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/patients/999999"),
        ("GET", "/api/v1/patients/999999/reminders"),
        ("POST", "/api/v1/flags/999999/acknowledge"),
    ],
)
def test_api_object_that_does_not_exist_answers_404_json(api, records, method, url):
    response = call(api, method, url)

    assert response.status_code == 404
    assert response.is_json


# The right clinician


@pytest.mark.parametrize(("method", "url"), PAGES, ids=ids(PAGES))
def test_own_clinics_page_answers_200(logged_in, records, method, url):
    response = call(logged_in, method, url.format(**records))

    assert response.status_code == 200


@pytest.mark.parametrize(("method", "url"), FORM_POSTS, ids=ids(FORM_POSTS))
def test_own_clinics_form_post_is_accepted(logged_in, records, method, url):
    page = url.format(**records)
    token = csrf_token_from(logged_in.get(page))

    response = logged_in.post(page, data={**FORM_DATA[url], "csrf_token": token})

    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/patients/")


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    API_ENDPOINTS,
    ids=ids(API_ENDPOINTS),
)
def test_own_clinics_api_endpoint_answers(api, records, method, url, body, status):
    response = call(api, method, url.format(**records), body)

    assert response.status_code == status, response.get_json()
    assert response.is_json
