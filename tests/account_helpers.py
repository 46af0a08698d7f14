"""Helpers of the account tests: links out of real emails, signing in in two steps."""

import re

import pyotp

from tests.conftest import DEFAULT_PASSWORD, csrf_token_from


def emailed_link(smtp_server, address: str, path: str) -> str:
    """The path of the one link under `path` in the last plain-text email to the address."""
    messages = smtp_server.to(address)
    assert messages, f"no email to {address}"
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"http://tracker\.test(" + re.escape(path) + r"[\w.-]+)", text)
    return link


def submit(client, url: str, data: dict, page: str | None = None):
    """GET a page for its CSRF token (url itself, or page), then POST the form to url."""
    token = csrf_token_from(client.get(page or url))
    return client.post(url, data={**data, "csrf_token": token})


def password_step(client, email: str, password: str = DEFAULT_PASSWORD, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return submit(client, "/login", data)


def code_for(secret: str, moment) -> str:
    return pyotp.TOTP(secret).at(moment)
