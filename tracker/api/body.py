"""The JSON body of an API call, checked once before any schema reads a field of it."""

from flask import request
from flask_smorest import abort

from tracker.services.validation import InvalidInput

# Our bodies nest two levels deep; anything far deeper is an attack on the parser, not data.
MAX_DEPTH = 32
LONE_SURROGATE = "Must be valid Unicode text: a lone UTF-16 surrogate (such as \\ud800) is not."


def check_json_body() -> None:
    """Answer 400 unless the body is a JSON object of sane depth; 422 for a lone surrogate."""
    if not request.is_json:
        abort(400, message="The request body must be JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        abort(400, message=f"The JSON body is nested too deeply (at most {MAX_DEPTH} levels).")
    if body is None:
        abort(400, message="The request body must be JSON (Content-Type: application/json).")
    if not isinstance(body, dict):
        abort(400, message="The request body must be a JSON object.")
    errors = check_values(body)
    if errors:
        raise InvalidInput(errors)


def check_values(body: dict) -> dict[str, str]:
    """Walk the document without recursion; name each field holding text no database can store.

    JSON may spell half of a UTF-16 pair ("\\ud800"); Python decodes it to a str that cannot be
    encoded, so it would fail deep inside a database driver instead of here.
    """
    errors: dict[str, str] = {}
    pending: list[tuple[str, object, int]] = [("", body, 1)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            abort(400, message=f"The JSON body is nested too deeply (at most {MAX_DEPTH} levels).")
        if isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{printable(key)}" if path else printable(key)
                if not is_encodable(key):
                    errors.setdefault(name, LONE_SURROGATE)
                pending.append((name, item, depth + 1))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str) and not is_encodable(value):
            errors.setdefault(path, LONE_SURROGATE)
    return errors


def is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(name: str) -> str:
    """Spell a field name so it can be named in the answer, surrogates as \\udXXX escapes."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
