"""Follow-up emails rendered once per dispatch pass, then filled in for each patient.

A pass sends many patients the same email: same clinic, kind, milestone, language and time
zone. Rendering its templates for each of them cost more than sending it. A FormLetters renders
each such email once, with a blank where each patient's own values go (their name, their
check-in and unsubscribe links), and fills in one copy per patient: escaped, in the HTML part,
exactly as Jinja's autoescaping escapes them (markupsafe). tests/test_form_letters.py proves
every copy equal to a full render of the templates.
"""

import re
from typing import NamedTuple

from flask_babel import force_locale
from markupsafe import escape

from tracker.links import checkin_url, unsubscribe_url
from tracker.models import Clinic, Patient, Reminder
from tracker.regions import patient_locale
from tracker.reminders.emails import (
    FOLLOW_UP_TEMPLATES,
    OutboxMessage,
    follow_up_context,
    patient_headers,
    render_email,
)

# Private-use characters around a blank's name: no template or translation writes them, and
# escaping leaves them as they are.
BLANK = "\ue000{}\ue001"
BLANKS = re.compile("\ue000(\\w+)\ue001")


class BlankPatient(NamedTuple):
    """The patient a form letter is rendered for: the name is a blank, the rest is the key's."""

    name: str
    language: str
    timezone: str


class FormLetter(NamedTuple):
    """An email's subject, text and HTML, each split as text, blank, text, blank, ... text."""

    subject: list[str]
    body: list[str]
    html: list[str]


def filled_in(parts: list[str], values: dict[str, str]) -> str:
    """Join a form letter's text with each blank filled in with its value."""
    copy = parts.copy()
    copy[1::2] = [values[name] for name in parts[1::2]]
    return "".join(copy)


class FormLetters:
    """The follow-up letters of one dispatch pass, each rendered once."""

    def __init__(self) -> None:
        self.letters: dict[tuple, FormLetter] = {}

    def message(self, reminder: Reminder, patient: Patient, clinic: Clinic) -> OutboxMessage:
        """The patient's copy of the reminder's email (equal to follow_up_message's)."""
        letter = self.letter(reminder, patient, clinic)
        unsubscribe = unsubscribe_url(patient)
        values = {
            "name": patient.name,
            "checkin_url": checkin_url(reminder),
            "unsubscribe_url": unsubscribe,
        }
        escaped = {name: str(escape(value)) for name, value in values.items()}
        return OutboxMessage(
            filled_in(letter.subject, values),
            patient.email,
            filled_in(letter.body, values),
            filled_in(letter.html, escaped),
            patient_headers(unsubscribe),
        )

    def letter(self, reminder: Reminder, patient: Patient, clinic: Clinic) -> FormLetter:
        """The email every patient of this clinic, language and zone gets for this reminder."""
        key = (
            reminder.kind,
            reminder.milestone_weeks,
            clinic.id,
            patient.language,
            patient.timezone,
        )
        if key not in self.letters:
            blank = BlankPatient(BLANK.format("name"), patient.language, patient.timezone)
            with force_locale(patient_locale(patient.language, patient.timezone)):
                context = follow_up_context(
                    reminder,
                    blank,
                    clinic,
                    BLANK.format("checkin_url"),
                    BLANK.format("unsubscribe_url"),
                )
                texts = render_email(FOLLOW_UP_TEMPLATES[reminder.kind], context, patient.language)
            self.letters[key] = FormLetter(*(BLANKS.split(text) for text in texts))
        return self.letters[key]
