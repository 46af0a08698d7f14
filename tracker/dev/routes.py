"""The development mailbox: what the local SMTP sink received (development only)."""

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import abort, current_app, render_template

from tracker.dev import bp

URL_PATTERN = re.compile(r"https?://[^\s<>\"]+")


def mailbox_folder() -> Path:
    return Path(current_app.config["DEV_MAILBOX_PATH"])


def read_message(path: Path) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text_part = message.get_body(preferencelist=("plain",))
    text = text_part.get_content() if text_part else ""
    return {
        "name": path.name,
        "subject": message["Subject"],
        "to": message["To"],
        "date": message["Date"],
        "message_id": message["Message-ID"],
        "list_unsubscribe": message["List-Unsubscribe"],
        "text": text,
        "links": URL_PATTERN.findall(text),
    }


@bp.before_request
def development_only():
    if (
        not current_app.config.get("DEV_MAILBOX_ENABLED")
        or current_app.config["ENV_NAME"] != "development"
    ):
        abort(404)


@bp.route("/mailbox")
def mailbox():
    folder = mailbox_folder()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    return render_template("dev/mailbox.html", messages=[read_message(p) for p in paths])


@bp.route("/mailbox/<name>")
def message(name: str):
    path = mailbox_folder() / name
    if not re.fullmatch(r"[0-9.]+-[0-9a-f]{8}\.eml", name) or not path.exists():
        abort(404)
    return render_template("dev/message.html", message=read_message(path))
