"""The Japanese patients read: one term (経過確認), milestones as 2週間後 … 1年後, every string
translated, and distinct ends for each 0-10 scale."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.helpers import isolated_client
from tests.test_checkin_link import (
    compiled_translations,  # noqa: F401  (an autouse fixture)
    path_of,
    patient_in_follow_up,
)
from tracker.links import checkin_url
from tracker.reminders.emails import milestone_title

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracker" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
# Everything a patient reads: their pages, their emails, their forms and their subjects.
PATIENT_FILES = [
    *sorted((ROOT / "templates" / "checkin").glob("*.html")),
    *sorted((ROOT / "templates" / "portal").glob("*.html")),
    ROOT / "templates" / "patient_base.html",
    ROOT / "templates" / "errors" / "too_many_attempts.html",
    *(
        path
        for path in sorted((ROOT / "templates" / "email").glob("*.*"))
        if path.stem.lstrip("_") not in ("adverse_event_alert", "digest", "layout", "button")
    ),
    ROOT / "tracker" / "checkin" / "forms.py",
    ROOT / "tracker" / "portal" / "forms.py",
    ROOT / "tracker" / "portal" / "routes.py",
    ROOT / "tracker" / "reminders" / "emails.py",
]
WORDS_PATIENTS_DO_NOT_READ = ("チェックイン", "週目")


def patient_msgids() -> set[str]:
    """Every message a patient may read, as `pybabel extract` finds them."""
    found = set()
    for path in PATIENT_FILES:
        method = "python" if path.suffix == ".py" else "jinja2"
        for _line, message, _comments, _context in extract_from_file(method, str(path)):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as po_file:
        return read_po(po_file)


def test_every_patient_message_has_a_japanese_translation(catalogue):
    missing = [
        msgid
        for msgid in sorted(patient_msgids())
        if not (catalogue.get(msgid) and catalogue.get(msgid).string)
        or "fuzzy" in catalogue.get(msgid).flags
    ]
    assert not missing, missing


def test_no_patient_facing_japanese_says_check_in_or_week_n(catalogue):
    wanted = patient_msgids()
    wrong = [
        (message.id, message.string)
        for message in catalogue
        if message.id in wanted
        and any(word in str(message.string) for word in WORDS_PATIENTS_DO_NOT_READ)
    ]
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("weeks", "japanese", "english"),
    [
        (2, "2週間後の経過確認", "2-week check-in"),
        (8, "8週間後の経過確認", "8-week check-in"),
        (12, "3か月後の経過確認", "3-month check-in"),
        (26, "26週間後の経過確認", "26-week check-in"),
        (52, "1年後の経過確認", "1-year check-in"),
        (104, "2年後の経過確認", "2-year check-in"),
        (None, "経過確認", "Follow-up check-in"),
    ],
)
def test_milestones_are_named_as_a_clinic_counts_them(app, weeks, japanese, english):
    with app.test_request_context(), force_locale("ja"):
        assert milestone_title(weeks) == japanese
    with app.test_request_context(), force_locale("en"):
        assert milestone_title(weeks) == english


def test_the_japanese_form_gives_each_scale_its_own_ends(app, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician, language="ja")

    page = isolated_client(app).get(path_of(checkin_url(reminder))).get_data(as_text=True)

    assert "2週間後の経過確認" in page
    assert "0 · 痛みなし" in page and "10 · 想像できる最悪の痛み" in page
    assert "0 · こわばりなし" in page and "10 · 非常に強いこわばり" in page
    assert "チェックイン" not in page and "医療チーム" not in page
