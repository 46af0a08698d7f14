"""The JSON API (/api/v1), documented by the OpenAPI document generated from its schemas."""

from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields

from tracker.api import (
    compliance_routes,  # noqa: F401  (adds the docs/compliance.md routes to bp)
    exports,  # noqa: F401  (its routes join the blueprint)
)
from tracker.api.routes import bp
from tracker.extensions import csrf


class ApiError(Schema):
    """Every error answer of the API: what went wrong, and per field when a value was refused."""

    error = fields.String(metadata={"example": "Unprocessable Entity"})
    message = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "example": {
                "baseline.pain": "Must be greater than or equal to 0 and less than or equal to 10."
            }
        },
    )


class TrackerApi(Api):
    ERROR_SCHEMA = ApiError

    def _register_error_handlers(self):
        """Leave the app's errors alone: flask-smorest would answer every page's in JSON.

        The API blueprint answers its own errors (tracker.api.routes).
        """


def register_api(app: Flask) -> None:
    """Bind the API, its OpenAPI document and its error answers to the app."""
    api = TrackerApi(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A clinician's API token."},
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    csrf.exempt(bp)  # bearer tokens are not ambient credentials, so CSRF cannot ride on them
    api.register_blueprint(bp)
