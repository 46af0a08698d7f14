"""The API answers its errors in JSON; pages never do, even when a view lets one through."""

from flask import abort
from werkzeug.exceptions import TooManyRequests

from config import TestConfig
from tests import factories
from tracker import create_app
from tracker.extensions import db
from tracker.services.validation import Conflict, InvalidInput


def test_a_page_that_lets_a_refusal_through_shows_the_error_page_not_json(database_url):
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": False}
    app = create_app(type("PageConfig", (TestConfig,), settings))

    @app.get("/forgot-its-try")
    def forgot_its_try():
        raise InvalidInput({"name": "Must be one line."})

    @app.get("/forgot-its-conflict")
    def forgot_its_conflict():
        raise Conflict({"external_id": "Taken."})

    client = app.test_client()
    for url in ("/forgot-its-try", "/forgot-its-conflict"):
        response = client.get(url)
        assert response.status_code == 500
        assert response.mimetype == "text/html"
        assert not response.is_json


def test_the_api_still_answers_a_refusal_in_json(api, clinic):
    response = api.post("/api/v1/patients", json={"external_id": "MRN-1", "name": "a\nb"})

    assert response.status_code == 422
    assert response.is_json
    assert "name" in response.get_json()["errors"]


# Which answer an error gets is the API blueprint's business for API views, and the app's for
# everything else: a URL under /api/ that matches no route has no blueprint yet, so the app's
# fallback answers it in JSON too.


def test_a_clinician_page_that_raises_answers_an_html_page(logged_in):
    response = logged_in.get("/patients/999999")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_page_url_that_matches_nothing_answers_an_html_page(client):
    response = client.get("/nothing-here")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_wrong_method_on_a_page_answers_an_html_page_with_allow(logged_in):
    response = logged_in.put("/patients/1/history")

    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]


def test_an_api_view_that_raises_answers_json(api, clinic):
    response = api.get("/api/v1/patients/999999")

    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_an_api_call_without_a_token_answers_json_with_the_bearer_challenge(client):
    response = client.get("/api/v1/patients/1")

    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_api_url_that_matches_no_route_answers_json(api, clinic):
    for url in ("/api/v1/nothing", "/api/nothing"):
        response = api.get(url)

        assert response.status_code == 404
        assert response.get_json()["error"] == "Not Found"


def test_a_wrong_method_on_an_api_route_answers_json_with_allow(api, clinic):
    response = api.client.put("/api/v1/flags", headers=api.headers)

    assert response.status_code == 405
    assert response.get_json()["error"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_a_body_over_the_limit_on_the_api_answers_json(api, clinic):
    response = api.post(
        "/api/v1/patients", data=b" " * (1024 * 1024 + 1), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"


def test_too_many_requests_on_the_api_answers_json_with_retry_after(api, clinic, monkeypatch):
    patient = factories.PatientFactory(clinic=clinic)
    db.session.commit()

    def refuse(*args, **kwargs):
        raise TooManyRequests(retry_after=30)

    monkeypatch.setattr("tracker.api.routes.follow_up_reminders", refuse)
    response = api.get(f"/api/v1/patients/{patient.id}/reminders")

    assert response.status_code == 429
    assert response.get_json()["error"] == "Too Many Requests"
    assert response.headers["Retry-After"] == "30"


def test_an_api_view_that_fails_answers_json(api, clinic, app, monkeypatch):
    patient = factories.PatientFactory(clinic=clinic)
    db.session.commit()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr("tracker.api.routes.follow_up_reminders", fail)
    response = api.get(f"/api/v1/patients/{patient.id}/reminders")

    assert response.status_code == 500
    assert response.get_json()["error"] == "Internal Server Error"


def test_json_is_the_api_blueprints_answer_not_the_paths(database_url):
    """A view outside the API answers a page, even at a URL that starts like the API's."""
    app = create_app(type("PageConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))

    @app.get("/api/not-the-api")
    def not_the_api():
        abort(403)

    response = app.test_client().get("/api/not-the-api")

    assert response.status_code == 403
    assert response.mimetype == "text/html"
