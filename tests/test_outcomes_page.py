"""The Outcomes page: curves, responder bars, median course, published claims, CSV."""

import csv
import io

import pytest
from sqlalchemy import select

from tests import factories
from tests.html_page import by_id, parse_page
from tests.outcome_cases import LASTING, four_knees, treat
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.extensions import db
from tracker.models import AuditEvent


@pytest.fixture
def knees(clinic, clinician):
    return four_knees(clinic, clinician)


def page_of(client, query=""):
    response = client.get(f"/outcomes{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_nav_links_to_the_outcomes_page(logged_in):
    page = parse_page(logged_in.get("/").get_data(as_text=True))
    assert any(a.attrs.get("href") == "/outcomes" for a in page.find_all("a"))


def test_page_draws_the_kaplan_meier_chart(logged_in, knees):
    html = page_of(logged_in)
    chart = by_id(parse_page(html), "km-all")

    assert chart.find_all("path", class_="km-curve")
    assert chart.find_all("polygon", class_="km-band")
    assert len(chart.find_all("line", class_="km-censor")) == 2  # days 120 and 180
    assert chart.find_all("polyline", class_="km-median")
    at_risk = [t.text() for t in chart.find_all("text", class_="at-risk")]
    assert at_risk[0] == "3"
    assert "half still had the benefit at 5 months" in html


def test_group_by_draws_a_chart_per_group(logged_in, knees):
    page = parse_page(page_of(logged_in, "?group_by=kl_grade"))

    assert by_id(page, "km-2-3") and by_id(page, "km-4")
    assert "Log-rank test across the groups" in page.text()


def test_responder_bars_need_five_answers(logged_in, clinic, clinician, knees):
    html = page_of(logged_in)
    assert not parse_page(html).find_all("rect", class_="pain_halved")
    assert "3/4 · too few answers for a rate" in html

    treat(clinic, clinician, 200, checkins=LASTING)
    page = parse_page(page_of(logged_in))
    bars = page.find_all("rect", class_="pain_halved")
    assert len(bars) == 3  # weeks 2, 8 and 12 have five answers; week 52 none
    assert "4/5" in page.text()
    assert "0 answered · 0 missed · 5 pending" in page.text()


def test_median_course_and_published_claims(logged_in, clinic, clinician):
    for _ in range(5):
        treat(clinic, clinician, 200, checkins=LASTING)
    page = parse_page(page_of(logged_in))

    assert page.find_all("polygon", class_="stiff")
    assert page.find_all("path", class_="stiff")
    text = page.text()
    assert "published claim" in text
    assert "2-8 weeks" in text and "relief for years" in text and "often 6-12 months" in text
    assert "benefits taper after 12-18 months" in text


def test_filters_narrow_the_figures(logged_in, knees):
    html = page_of(logged_in, "?route=iv")
    assert "From 1 treatments" in html


def test_unknown_filter_values_are_said_not_drawn(logged_in, knees):
    html = page_of(logged_in, "?kind=magic&kl_grade=9")
    assert "Must be one of" in html and "Must be between 0 and 4." in html
    assert "km-curve" not in html


def test_page_in_japanese(logged_in, clinician, knees):
    clinician.language = "ja"
    db.session.commit()
    html = page_of(logged_in)
    assert "治療成績" in html
    assert "効果の持続期間" in html
    assert "一般に謳われている効果" in html


def test_another_clinic_sees_none_of_this_clinics_figures(app, knees, other_clinician):
    from tests.conftest import log_in
    from tests.helpers import isolated_client

    browser = isolated_client(app)
    log_in(browser, other_clinician.email)
    html = page_of(browser)
    assert "km-curve" not in html
    assert "From 0 treatments" in html


def test_csv_has_a_bom_a_row_per_treatment_and_is_audited(logged_in, clinic, clinician, knees):
    response = logged_in.get("/outcomes.csv?kl_grade=4")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert {row["treatment_id"] for row in rows} == {
        str(knees["relapsed"].id),
        str(knees["replaced"].id),
    }
    relapsed = next(row for row in rows if row["treatment_id"] == str(knees["relapsed"].id))
    assert (relapsed["exit"], relapsed["exit_day"], relapsed["week_8_status"]) == (
        "event",
        "150",
        "answered",
    )
    audit = factories.db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "outcomes.export")
    )
    assert audit is not None and audit.details["rows"] == 2


def test_csv_defuses_cells_a_spreadsheet_would_run(logged_in, clinic, clinician):
    patient = factories.PatientFactory(clinic=clinic, external_id='=HYPERLINK("x")')
    treat(clinic, clinician, 100, checkins=LASTING[:2], patient=patient)

    body = logged_in.get("/outcomes.csv").get_data(as_text=True)

    [row] = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert row["patient_external_id"] == '\'=HYPERLINK("x")'
