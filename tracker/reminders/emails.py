"""Email messages from templates: one named function per message over make_message."""

import base64
import re
import secrets
from datetime import date
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mail import Message

from tracker.clinic_words import evidence_text
from tracker.compliance_text import CATEGORY_LABELS, days_left_text, label
from tracker.extensions import db
from tracker.followup.reporting import days_left
from tracker.links import checkin_url, portal_url, public_url, unsubscribe_url
from tracker.models import (
    AdverseEvent,
    Clinic,
    Flag,
    Patient,
    PortalLink,
    ProvisionPlan,
    Reminder,
    User,
)
from tracker.regions import patient_locale
from tracker.services.adverse_events import clinic_today, event_clock
from tracker.services.digest import digest_flags
from tracker.vocabulary import CONFIRMATION, MILESTONE, NUDGE


class OutboxMessage(Message):
    """Flask-Mail's message as one multipart/alternative of two base64 UTF-8 parts.

    The stdlib generator takes longer than the SMTP exchange itself when thousands of reminders
    are due, and our messages always have this one fixed shape, so they are laid out directly;
    headers are still encoded by the email package (RFC 2047, RFC 5322 addresses).
    """

    _wire: bytes | None = None
    nudge: dict | None = None  # the row the dispatcher plans once a milestone is sent

    def __init__(
        self, subject: str, to: str, body: str, html: str, headers: dict[str, str] | None = None
    ) -> None:
        # Not Flask-Mail's: it looks up this host's name for a Message-ID we replace anyway.
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.subject = subject
        self.sender = f"{sender[0]} <{sender[1]}>" if isinstance(sender, tuple) else sender
        self.recipients = [to]
        self.body = body
        self.alts = {"html": html}
        self.extra_headers = headers or {}
        self.msgId = ""
        self.date = None  # set when sent
        self.reply_to = self.charset = None
        self.cc, self.bcc, self.attachments = [], [], []
        self.mail_options, self.rcpt_options = [], []

    def as_bytes(self) -> bytes:
        if self._wire is None:
            self._wire = self.layout()
        return self._wire

    def as_string(self) -> str:
        return self.as_bytes().decode("ascii")

    def layout(self) -> bytes:
        boundary = f"=_{secrets.token_hex(16)}"
        headers = [
            ("Subject", encode_header(self.subject)),
            ("From", encode_address(self.sender)),
            ("To", ", ".join(encode_address(address) for address in self.recipients)),
            ("Date", formatdate(self.date, usegmt=True)),
            ("Message-ID", self.msgId),
            *((name, encode_header(value)) for name, value in (self.extra_headers or {}).items()),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ]
        lines = [f"{name}: {value}" for name, value in headers]
        for subtype, text in (("plain", self.body or ""), ("html", self.html)):
            if text is None:
                continue
            lines += [
                "",
                f"--{boundary}",
                f'Content-Type: text/{subtype}; charset="utf-8"',
                "MIME-Version: 1.0",
                "Content-Transfer-Encoding: base64",
                "",
                base64_lines(text),
            ]
        lines += ["", f"--{boundary}--", ""]
        return "\r\n".join(lines).encode("ascii")


def encode_header(value: str) -> str:
    """A header value as RFC 2047 encoded words when it is not plain ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def base64_lines(text: str) -> str:
    """UTF-8 text as base64 in lines of 76 characters (RFC 2045)."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "\r\n".join(encoded[start : start + 76] for start in range(0, len(encoded), 76))


# An address with nothing to parse nor encode: formataddr(parseaddr(address)) is the address.
PLAIN_ADDRESS = re.compile(r"[\w+-]+(?:\.[\w+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z", re.ASCII)


def is_plain_address(address) -> bool:
    """Tell a bare ASCII address (as patients' and staff's are) from one to parse."""
    return isinstance(address, str) and PLAIN_ADDRESS.match(address) is not None


@lru_cache(maxsize=64)  # the sender's, in every message of a batch
def encode_address(address) -> str:
    """An address as a header writes it (RFC 2047 for a name that is not ASCII)."""
    if is_plain_address(address):
        return address
    name, email = address if isinstance(address, tuple) else parseaddr(address)
    return formataddr((name, email), charset="utf-8")


def message_id_for(reminder: Reminder) -> str:
    """A Message-ID that stays the same across retries, so a repeat can be recognised."""
    domain = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"<reminder-{reminder.id}.{reminder.clinic_id}@{domain}>"


def make_message(
    name: str,
    to: str,
    context: dict,
    language: str = "en",
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Render templates/email/<name>.subject.txt, .txt and .html into one multipart message.

    The caller renders a patient's message inside force_locale(language).
    """
    subject, body, html = render_email(name, context, language)
    return OutboxMessage(subject, to, body, html, headers)


def render_email(name: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render an email's subject, text and HTML from templates/email/<name>.*."""
    context = {**context, "language": language}
    return (
        render_template(f"email/{name}.subject.txt", **context),
        render_template(f"email/{name}.txt", **context),
        render_template(f"email/{name}.html", **context),
    )


def patient_headers(unsubscribe_url: str) -> dict[str, str]:
    """One-click unsubscribe headers (RFC 8058) for every email to a patient."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def milestone_title(weeks: int | None) -> str:
    """Name a milestone as a patient counts the time since treatment, in the current language.

    Short spans in weeks, longer ones in months and years ("3-month check-in" for 12 weeks,
    "1-year check-in" for 52), as clinics speak of them: 3か月後, 1年後.
    """
    if not weeks:
        return gettext("Follow-up check-in")
    if weeks % 52 == 0:
        return gettext("%(years)d-year check-in", years=weeks // 52)
    if weeks >= 12 and weeks % 4 == 0:
        return gettext("%(months)d-month check-in", months=weeks // 4)
    return gettext("%(weeks)d-week check-in", weeks=weeks)


def milestone_label(reminder: Reminder) -> str:
    """The check-in asked for, in the current language: "8-week check-in"."""
    return milestone_title(reminder.milestone_weeks)


# The templates of each follow-up kind.
FOLLOW_UP_TEMPLATES = {MILESTONE: "reminder", NUDGE: "nudge", CONFIRMATION: "confirmation"}


def follow_up_message(reminder: Reminder, patient: Patient, clinic: Clinic) -> OutboxMessage:
    """A milestone reminder, a nudge or a confirmation request, in the patient's language."""
    unsubscribe = unsubscribe_url(patient)
    with force_locale(patient_locale(patient.language, patient.timezone)):
        context = follow_up_context(reminder, patient, clinic, checkin_url(reminder), unsubscribe)
        return make_message(
            FOLLOW_UP_TEMPLATES[reminder.kind],
            patient.email,
            context,
            patient.language,
            patient_headers(unsubscribe),
        )


def follow_up_context(
    reminder: Reminder, patient: Patient, clinic: Clinic, checkin: str, unsubscribe: str
) -> dict:
    """What a follow-up email's templates are given (in the patient's locale)."""
    return {
        "patient": patient,
        "clinic": clinic,
        "label": milestone_label(reminder),
        "checkin_url": checkin,
        "unsubscribe_url": unsubscribe,
    }


def portal_link_message(reminder: Reminder, patient: Patient, clinic: Clinic) -> OutboxMessage:
    """The magic link into the patient portal."""

    link = db.session.get(PortalLink, (reminder.payload or {}).get("portal_link_id"))
    unsubscribe = unsubscribe_url(patient)
    context = {
        "patient": patient,
        "clinic": clinic,
        "portal_url": portal_url(link),
        "minutes": current_app.config["PORTAL_LINK_MINUTES"],
        "unsubscribe_url": unsubscribe,
    }
    with force_locale(patient_locale(patient.language, patient.timezone)):
        return make_message(
            "portal_link",
            patient.email,
            context,
            patient.language,
            patient_headers(unsubscribe),
        )


def adverse_event_message(reminder: Reminder, user: User, clinic: Clinic) -> OutboxMessage:
    """Tell a clinician at once that a patient reported an adverse event."""

    flag = db.session.get(Flag, (reminder.payload or {}).get("flag_id"))
    with force_locale(user.language):
        context = {
            "user": user,
            "clinic": clinic,
            "flag": flag,
            "patient": flag.patient,
            "evidence": evidence_text(flag.kind, flag.evidence or {}),
            "patient_url": public_url(f"/patients/{flag.patient_id}"),
        }
        return make_message("adverse_event_alert", user.email, context, user.language)


def digest_message(reminder: Reminder, user: User, clinic: Clinic) -> OutboxMessage:
    """The daily digest of new flags and of open flags nobody has taken."""

    with force_locale(user.language):
        new_flags, unattended = digest_flags(reminder)
        context = {
            "user": user,
            "clinic": clinic,
            "new_flags": new_flags,
            "unattended": unattended,
            "worklist_url": public_url("/"),
        }
        return make_message("digest", user.email, context, user.language)


def report_reminder_message(reminder: Reminder, user: User, clinic: Clinic) -> OutboxMessage:
    """Remind a clinic admin of a report due in two days, or overdue, in the admin's language."""

    payload = reminder.payload or {}
    language = user.language
    today = clinic_today(clinic, reminder.due_at)
    with force_locale(language):
        if payload.get("adverse_event_id"):
            event = db.session.get(AdverseEvent, payload["adverse_event_id"])
            clock = event_clock(event, today)
            due_on = clock.due_on or date.fromisoformat(payload["due_on"])
            what = gettext(
                "%(report)s on an adverse event of %(patient)s (%(mrn)s)",
                report=label(CATEGORY_LABELS, clock.category),
                patient=event.patient.name,
                mrn=event.patient.external_id,
            )
            if event.status == "to_assess":
                what = gettext(
                    "Assessment of an adverse event of %(patient)s (%(mrn)s)",
                    patient=event.patient.name,
                    mrn=event.patient.external_id,
                )
            url = public_url(f"/adverse-events/{event.id}")
        else:
            plan = db.session.get(ProvisionPlan, payload["plan_id"])
            due_on = date.fromisoformat(payload["due_on"])
            what = gettext(
                "Periodic report of plan %(number)s (%(title)s), plan year %(year)d",
                number=plan.plan_number,
                title=plan.title,
                year=payload["plan_year"] + 1,
            )
            url = public_url(f"/plans/{plan.id}/periodic-reports/{payload['plan_year']}")
        left = days_left(due_on, today)
        when = days_left_text(left)
        context = {
            "user": user,
            "clinic": clinic,
            "what": what,
            "due_on": due_on,
            "when": when,
            "overdue": left < 0,
            "url": url,
        }
        return make_message("report_reminder", user.email, context, language)
