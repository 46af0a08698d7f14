"""The JSON API (/api/v1), documented by the OpenAPI document generated from its schemas."""

from flask import Flask, jsonify
from flask_smorest import Api

from tracker.errors import handle_http_error
from tracker.extensions import csrf
from tracker.services.validation import Conflict, InvalidInput


def register_api(app: Flask) -> None:
    """Bind the API, its OpenAPI document and its error answers to the app."""
    from tracker.api.routes import bp

    api = Api(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A clinician's API token."},
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    csrf.exempt(bp)  # bearer tokens are not ambient credentials, so CSRF cannot ride on them
    api.register_blueprint(bp)
    # flask-smorest answers every HTTP error in JSON; only the API should.
    from werkzeug.exceptions import HTTPException

    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InvalidInput, invalid_input)
    app.register_error_handler(Conflict, conflict)


def invalid_input(error: InvalidInput):
    return jsonify({"errors": error.errors}), 422


def conflict(error: Conflict):
    return jsonify({"errors": error.errors}), 409
