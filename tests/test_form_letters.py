"""A follow-up email filled in from its form letter equals the full render of its templates."""

from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.models import Clinic, Patient, Reminder
from tracker.reminders.emails import follow_up_message
from tracker.reminders.form_letters import FormLetters

NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
# Fixed clinics, so that letters rendered for one example are filled in for the next ones.
CLINICS = [
    Clinic(id=1, name="Tokyo Knee Clinic", phone="+81312345678", contact_email="knee@example.jp"),
    Clinic(id=2, name='Smith & "Sons" <Knees>', phone=None, contact_email="a&b@example.org"),
    Clinic(id=3, name="大阪ひざクリニック", phone="+442079460018", contact_email=None),
]
TRICKY_NAMES = ["Tom & Jerry", "<b>O'Brien</b>", 'Anna "Nan"', "山田 太郎", "\ue000name\ue001", ""]
MILESTONES = [None, 2, 6, 8, 12, 26, 52, 104]


@st.composite
def follow_ups(draw):
    kind = draw(st.sampled_from(["milestone", "nudge", "confirmation"]))
    patient = Patient(
        id=draw(st.integers(1, 10**7)),
        name=draw(st.sampled_from(TRICKY_NAMES) | st.text(max_size=30)),
        email="patient@example.org",
        language=draw(st.sampled_from(["en", "ja"])),
        timezone=draw(st.sampled_from(["Asia/Tokyo", "America/New_York", "Europe/London", "UTC"])),
    )
    clinic = draw(st.sampled_from(CLINICS))
    reminder = Reminder(
        id=draw(st.integers(1, 10**7)),
        clinic_id=clinic.id,
        kind=kind,
        milestone_weeks=None if kind == "confirmation" else draw(st.sampled_from(MILESTONES)),
    )
    return reminder, patient, clinic


@pytest.fixture(scope="module")
def letters():
    return FormLetters()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(follow_up=follow_ups())
def test_a_filled_in_letter_is_the_full_render(app, letters, follow_up):
    reminder, patient, clinic = follow_up
    # One clock second for both: a signed link carries its time.
    with time_machine.travel(NOW, tick=False):
        rendered = follow_up_message(reminder, patient, clinic)
        filled_in = letters.message(reminder, patient, clinic)

    assert filled_in.subject == rendered.subject
    assert filled_in.body == rendered.body
    assert filled_in.html == rendered.html
    assert filled_in.recipients == rendered.recipients
    assert filled_in.extra_headers == rendered.extra_headers
    assert filled_in.sender == rendered.sender


def test_the_letters_are_rendered_once_per_clinic_kind_milestone_language_and_zone(app):
    letters = FormLetters()
    clinic = CLINICS[0]
    for number in range(1, 6):
        patient = Patient(id=number, name=f"P{number}", language="ja", timezone="Asia/Tokyo")
        reminder = Reminder(id=number, clinic_id=1, kind="milestone", milestone_weeks=8)
        letters.message(reminder, patient, clinic)
    assert len(letters.letters) == 1
