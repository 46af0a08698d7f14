"""The API answers its errors in JSON; pages never do, even when a view lets one through."""

from config import TestConfig
from tracker import create_app
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
