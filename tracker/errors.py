"""Error pages for people and JSON errors for the API."""

import math
import time

from flask import jsonify, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from tracker.extensions import limiter

# The check-in, unsubscribe and portal links a patient follows from an email.
PATIENT_PATHS = ("/c/", "/u/", "/p/", "/portal")
API_PATHS = "/api/"


def handle_http_error(error: HTTPException):
    """Answer an HTTP error no blueprint answered: a page, or JSON for an unrouted API URL.

    The API blueprint answers its own errors (api_error). A URL that matches no route (a 404,
    or a 405 on an API route) fails before any blueprint is chosen, so it lands here.
    """
    if request.url_rule is None and request.path.startswith(API_PATHS):
        return api_error(error)
    return error_page(error)


def carried_headers(error: HTTPException) -> list[tuple[str, str]]:
    """Headers the error carries (Allow on a 405) belong to any answer; the body is ours."""
    return [(name, value) for name, value in error.get_headers() if name != "Content-Type"]


def api_error(error: HTTPException):
    """Answer an HTTP error of the API in JSON."""
    data = getattr(error, "data", None) or {}
    # flask_smorest.abort(code, message=...) keeps the message in data, not description.
    body = {"error": error.name, "message": data.get("message") or error.description}
    errors = flatten_validation_errors(data.get("messages"))
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = error.code or 500
    response.headers.extend(carried_headers(error))
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def error_page(error: HTTPException):
    """Answer an HTTP error with a page for the person who met it."""
    if error.code == 429:
        return too_many_attempts()
    page = render_template("errors/error.html", error=error, patient_side=patient_side())
    return page, error.code, carried_headers(error)


def patient_side() -> bool:
    """Tell whether a patient, not a clinician, asked: they must never meet the staff sign-in."""
    return request.path.startswith(PATIENT_PATHS)


def too_many_attempts():
    """Tell someone locked out by a limit, in their language, how long to wait."""
    seconds = seconds_until_limit_lifts()
    page = render_template(
        "errors/too_many_attempts.html",
        minutes=math.ceil(seconds / 60),
        html_lang=get_locale().language,
    )
    return page, 429, {"Retry-After": str(seconds)}


def seconds_until_limit_lifts() -> int:
    """Return the whole seconds until the limit this request broke lets it through again."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    if not breached:
        return 60
    reset_at = max(limit.window[0] for limit in breached)
    # Round, not ceil: the window's end is a float and a hair over a whole second is noise.
    return max(1, round(reset_at - time.time()))


def flatten_validation_errors(messages) -> dict[str, str]:
    """Turn webargs' {"json": {"baseline": {"pain": ["..."]}}} into {"baseline.pain": "..."}."""
    flat: dict[str, str] = {}
    for location_errors in (messages or {}).values():
        collect_messages(location_errors or {}, "", flat)
    return flat


def collect_messages(field_errors, prefix: str, flat: dict[str, str]) -> None:
    """Walk marshmallow's nested error structure, keeping the first message of each field."""
    if isinstance(field_errors, dict):
        for key, value in field_errors.items():
            name = str(key) if key != "_schema" else (prefix or "body")
            collect_messages(
                value, f"{prefix}.{name}" if prefix and key != "_schema" else name, flat
            )
    elif isinstance(field_errors, list) and field_errors:
        flat.setdefault(prefix or "body", str(field_errors[0]))
