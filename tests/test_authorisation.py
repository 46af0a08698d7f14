"""Who may see what: sign-in for pages, tokens for the API, and never another clinic's data."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import ApiClient, csrf_token_from, log_in
from tests.helpers import isolated_client, make_flag, row_counts
from tracker.extensions import db
from tracker.models import AdverseEvent, ApiToken, Flag, Patient, ProvisionPlan, User
from tracker.services.actors import Actor
from tracker.services.api_tokens import issue_token
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc, today_in

PAGES = [
    ("GET", "/"),
    ("GET", "/patients"),
    ("GET", "/patients/new"),
    ("GET", "/patients/{patient}"),
    ("GET", "/patients/{patient}/edit"),
    ("GET", "/patients/{patient}/history"),
    ("GET", "/patients/{patient}/treatments/new"),
    ("GET", "/treatments/{treatment}/edit"),
    ("GET", "/compliance"),
    ("GET", "/compliance/adverse-events.csv"),
    ("GET", "/patients/{patient}/adverse-events/new"),
    ("GET", "/adverse-events/{event}"),
    ("GET", "/adverse-events/{event}/draft"),
    ("GET", "/plans/{plan}/periodic-reports/0"),
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
    ("GET", "/api/v1/exports/checkins.csv", None, 200),
    ("GET", "/api/v1/fhir/Questionnaire/checkin", None, 200),
    ("GET", "/api/v1/fhir/CodeSystem/followup", None, 200),
    ("GET", "/api/v1/fhir/Patient/{patient}/$everything", None, 200),
    ("GET", "/api/v1/fhir/$export", None, 200),
    ("GET", "/api/v1/plans", None, 200),
    (
        "POST",
        "/api/v1/plans",
        {
            "plan_number": "PB-NEW",
            "title": "PRP for knee osteoarthritis",
            "risk_class": 3,
            "committee_name": "Committee",
            "committee_number": "NC-1",
        },
        201,
    ),
    ("GET", "/api/v1/plans/{plan}/periodic-reports", None, 200),
    ("GET", "/api/v1/adverse-events", None, 200),
    ("POST", "/api/v1/adverse-events", {"patient_id": "{patient}", "description": "Fever."}, 201),
    (
        "POST",
        "/api/v1/adverse-events/{event}/assessment",
        {"seriousness": "non_serious", "causality": "related"},
        200,
    ),
    (
        "POST",
        "/api/v1/adverse-events/{event}/reported",
        {"reported_to_committee_on": "{today}"},
        200,
    ),
    ("DELETE", "/api/v1/patients/{patient}", None, 409),
    ("POST", "/api/v1/patients/{patient}/archive", None, 200),
    (
        "POST",
        "/api/v1/treatments/{treatment}/outcome-events",
        {"kind": "knee_replacement", "occurred_on": "2026-10-01"},
        201,
    ),
    ("GET", "/api/v1/outcomes?group_by=kl_grade", None, 200),
]
# Exports answer in their own formats; every other endpoint answers JSON.
EXPORT_MIMETYPES = {
    "/api/v1/exports/checkins.csv": "text/csv",
    "/api/v1/fhir/$export": "application/fhir+ndjson",
}
# Endpoints naming one of the clinic's records, in the path or in the body.
OBJECT_API_ENDPOINTS = [
    endpoint
    for endpoint in API_ENDPOINTS
    if "{" in endpoint[1]
    or any(value in ("{patient}", "{event}") for value in (endpoint[2] or {}).values())
]


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
    plan = ProvisionPlan(
        clinic_id=clinic.id,
        plan_number="PB-1",
        title="Cultured MSCs",
        risk_class=2,
        committee_name="Committee",
        committee_number="NB-1",
        submitted_on=factories.date(2025, 1, 10),
        accepted_on=factories.date(2025, 2, 1),
    )
    db.session.add(plan)
    db.session.flush()
    event = AdverseEvent(
        clinic_id=clinic.id,
        patient_id=patient.id,
        treatment_id=treatment.id,
        plan_id=plan.id,
        source="clinician",
        aware_on=factories.date(2026, 9, 10),
        description="Fever.",
        seriousness="non_serious",
        causality="related",
        status="to_report",
    )
    db.session.add(event)
    db.session.commit()
    return {
        "patient": patient.id,
        "treatment": treatment.id,
        "flag": flag.id,
        "plan": plan.id,
        "event": event.id,
    }


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


def call(api_or_client, method: str, url: str, body=None, records=None):
    if method == "GET":
        return api_or_client.get(url)
    if method == "DELETE":
        if isinstance(api_or_client, ApiClient):
            return api_or_client.client.delete(url, headers=api_or_client.headers)
        return api_or_client.delete(url)
    if body is None:
        return api_or_client.post(url)
    return api_or_client.post(url, json=filled(body, records or {}))


def filled(body: dict, records: dict) -> dict:
    """Put the records' ids (and today) into a body's "{patient}"-style placeholders."""
    values = {**records, "today": today_in("Asia/Tokyo").isoformat()}
    return {
        name: (
            (int(values[value[1:-1]]) if value[1:-1] != "today" else values["today"])
            if isinstance(value, str) and value.startswith("{") and value.endswith("}")
            else value
        )
        for name, value in body.items()
    }


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
            .replace("{treatment}", "<int:treatment_id>")
            .replace("/checkins.csv", "/<name>.csv")
            .replace("{plan}", "<int:plan_id>")
            .replace("{event}", "<int:event_id>"),
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

    response = call(client, method, url.format(**records), body, records)

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

    response = call(other_api, method, url.format(**records), body, records)

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
    response = call(api, method, url.format(**records), body, records)

    assert response.status_code == status, response.get_json()
    if url in EXPORT_MIMETYPES:
        assert response.mimetype == EXPORT_MIMETYPES[url]
    else:
        assert response.is_json


# Account pages: who may reach each, and never another clinic's staff or tokens

ACCOUNT_ROUTES = {
    ("GET", "/account/"): "signed_in",
    ("POST", "/account/language"): "signed_in",
    ("GET", "/account/password"): "signed_in",
    ("POST", "/account/password"): "signed_in",
    ("GET", "/account/two-factor"): "signed_in",
    ("POST", "/account/two-factor"): "signed_in",
    ("GET", "/account/two-factor/recovery-codes"): "signed_in",
    ("POST", "/account/two-factor/recovery-codes"): "signed_in",
    ("GET", "/account/two-factor/off"): "signed_in",
    ("POST", "/account/two-factor/off"): "signed_in",
    ("GET", "/account/tokens"): "signed_in",
    ("POST", "/account/tokens"): "signed_in",
    ("POST", "/account/tokens/<int:token_id>/revoke"): "signed_in",
    ("GET", "/admin/outbox"): "admin",
    ("POST", "/admin/outbox/<int:reminder_id>/retry"): "admin",
    ("GET", "/admin/settings"): "admin",
    ("POST", "/admin/settings"): "admin",
    ("GET", "/admin/staff"): "admin",
    ("GET", "/admin/staff/invite"): "admin",
    ("POST", "/admin/staff/invite"): "admin",
    ("POST", "/admin/staff/<int:user_id>/role"): "admin",
    ("POST", "/admin/staff/<int:user_id>/deactivate"): "admin",
    ("POST", "/admin/staff/<int:user_id>/reactivate"): "admin",
    ("POST", "/admin/staff/two-factor"): "admin",
    ("GET", "/admin/tokens"): "admin",
    ("POST", "/admin/tokens/<int:token_id>/revoke"): "admin",
    ("GET", "/admin/exports"): "admin",
    ("GET", "/admin/exports/<name>.csv"): "admin",
    ("GET", "/admin/plans"): "admin",
    ("GET", "/admin/plans/new"): "admin",
    ("POST", "/admin/plans/new"): "admin",
    ("GET", "/admin/plans/<int:plan_id>/edit"): "admin",
    ("POST", "/admin/plans/<int:plan_id>/edit"): "admin",
    ("POST", "/admin/plans/<int:plan_id>/status"): "admin",
    # Public: a pending sign-in, a signed link or a portal session decides.
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "signed_in",
    ("GET", "/login/two-factor"): "public",
    ("POST", "/login/two-factor"): "public",
    ("GET", "/login/enrol"): "public",
    ("POST", "/login/enrol"): "public",
    ("GET", "/password/forgot"): "public",
    ("POST", "/password/forgot"): "public",
    ("GET", "/password/sent"): "public",
    ("GET", "/password/reset/<token>"): "public",
    ("POST", "/password/reset/<token>"): "public",
    ("GET", "/invitation/<token>"): "public",
    ("POST", "/invitation/<token>"): "public",
    ("GET", "/portal/details"): "public",
    ("POST", "/portal/details"): "public",
    ("GET", "/portal/email/<token>"): "public",
    ("POST", "/portal/email/<token>"): "public",
}
ACCOUNT_BLUEPRINTS = ("account.", "admin.", "auth.")
SIGNED_IN = [route for route, access in ACCOUNT_ROUTES.items() if access != "public"]
ADMIN_ONLY = [route for route, access in ACCOUNT_ROUTES.items() if access == "admin"]
# The account routes that name a row of a clinic, with the form each one accepts.
STAFF_OBJECT_POSTS = [
    ("/admin/staff/{user}/role", {"role": "clinician"}),
    ("/admin/staff/{user}/deactivate", {}),
    ("/admin/staff/{user}/reactivate", {}),
    ("/admin/tokens/{token}/revoke", {}),
    ("/account/tokens/{token}/revoke", {}),
]


def concrete(url: str) -> str:
    for placeholder in ("<int:token_id>", "<int:user_id>", "<int:reminder_id>", "<int:plan_id>"):
        url = url.replace(placeholder, "1")
    return url.replace("<token>", "x").replace("<name>", "patients")


def test_every_account_route_is_in_the_matrix(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(ACCOUNT_BLUEPRINTS)
        or rule.endpoint in ("portal.details", "portal.confirm_email")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }

    assert routes == set(ACCOUNT_ROUTES)


@pytest.mark.parametrize(("method", "url"), SIGNED_IN, ids=ids(SIGNED_IN))
def test_account_route_without_sign_in_redirects_to_login(client, method, url):
    token = csrf_token_from(client.get("/login"))
    before = row_counts()

    if method == "GET":
        response = client.get(concrete(url))
    else:
        response = client.post(concrete(url), data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert row_counts() == before


@pytest.mark.parametrize(("method", "url"), ADMIN_ONLY, ids=ids(ADMIN_ONLY))
def test_admin_route_refuses_a_clinician(logged_in, method, url):
    token = csrf_token_from(logged_in.get("/"))
    before = row_counts()

    if method == "GET":
        response = logged_in.get(concrete(url))
    else:
        response = logged_in.post(concrete(url), data={"csrf_token": token, "role": "admin"})

    assert response.status_code == 403
    assert row_counts() == before


@pytest.fixture
def this_clinics_staff(clinic, clinician):
    """This clinic's admin, and a clinician's token: the ids another clinic tries."""
    factories.UserFactory(clinic=clinic, role="admin", email="boss@example.org")
    issue_token(clinician, "Lab")
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == clinician.id))
    return {"user": clinician.id, "token": token_id}


@pytest.mark.parametrize(
    ("url", "form"), STAFF_OBJECT_POSTS, ids=[u for u, _ in STAFF_OBJECT_POSTS]
)
def test_another_clinics_staff_and_tokens_answer_404(
    app, other_clinic, this_clinics_staff, url, form
):
    other_admin = factories.UserFactory(
        clinic=other_clinic, role="admin", email="theirs@example.org"
    )
    browser = isolated_client(app)
    assert log_in(browser, other_admin.email).status_code == 302
    token = csrf_token_from(browser.get("/admin/staff"))
    before = row_counts()
    db.session.expire_all()
    states = [(u.role, u.active) for u in db.session.scalars(select(User).order_by(User.id))]

    response = browser.post(url.format(**this_clinics_staff), data={**form, "csrf_token": token})

    assert response.status_code == 404
    assert row_counts() == before
    db.session.expire_all()
    assert [
        (u.role, u.active) for u in db.session.scalars(select(User).order_by(User.id))
    ] == states
    assert db.session.scalar(select(ApiToken.revoked_at)) is None
