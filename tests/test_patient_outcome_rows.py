"""The patient page shows each treatment's milestone answers, responder status and durability."""

from datetime import timedelta

import pytest

from tests.html_page import by_id, parse_page
from tests.outcome_cases import LASTING, RELAPSING, UNCHANGED, treat
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.extensions import db
from tracker.templating import long_date


def outcome_text(client, treatment) -> str:
    page = client.get(f"/patients/{treatment.patient_id}").get_data(as_text=True)
    return by_id(parse_page(page), f"outcome-{treatment.id}").text()


def test_lasting_response_says_how_long_so_far(logged_in, clinic, clinician):
    treatment = treat(clinic, clinician, 200, checkins=LASTING)

    text = outcome_text(logged_in, treatment)

    assert "Effect lasting so far: 180 days" in text
    assert "2 wk: answered" in text and "8 wk: answered" in text and "12 wk: answered" in text
    assert "1 yr: pending" in text
    assert "Responder at 12 weeks" in text


def test_returning_stiffness_says_since_when(logged_in, clinic, clinician):
    treatment = treat(clinic, clinician, 200, checkins=RELAPSING)

    text = outcome_text(logged_in, treatment)

    since = long_date(treatment.treated_on + timedelta(days=150))
    assert f"Stiffness returning since {since}" in text


def test_missed_milestone_and_non_responder(logged_in, clinic, clinician):
    treatment = treat(clinic, clinician, 200, checkins=[UNCHANGED[0], UNCHANGED[2]])

    text = outcome_text(logged_in, treatment)

    assert "8 wk: missed" in text
    assert "No improvement so far" in text
    assert "Not a responder at 12 weeks" in text


def test_without_baseline_says_so(logged_in, clinic, clinician):
    treatment = treat(clinic, clinician, 30, baseline=None, checkins=[(14, 3, 3)])

    text = outcome_text(logged_in, treatment)

    assert "No baseline" in text


@pytest.mark.parametrize("language", ["ja"])
def test_rows_in_japanese(logged_in, clinic, clinician, language):
    treatment = treat(clinic, clinician, 200, checkins=LASTING)
    clinician.language = language
    db.session.commit()

    text = outcome_text(logged_in, treatment)

    assert "効果の持続（これまで）: 180日" in text
    assert "1年後: 回答待ち" in text
