"""Compliance in the clinician UI: Compliance page, events, drafts, CSV, plans, settings, archive.

The rules tested: docs/compliance.md.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from, log_in, post_form
from tests.helpers import make_flag
from tracker.extensions import db
from tracker.models import AdverseEvent, Clinic, Patient, ProvisionPlan, Treatment
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in


@pytest.fixture
def plan(clinic):
    return factories.PlanFactory(
        clinic=clinic, plan_number="PB3150001", processing_facility="Tokyo CPC"
    )


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(
        clinic=clinic,
        name="Hanako Tanaka",
        external_id="MRN-1",
        date_of_birth=date(1958, 6, 1),
        sex="female",
        diagnosis="Knee osteoarthritis",
    )


@pytest.fixture
def event(patient, clinician, plan):
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=10),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "plan_id": plan.id,
        },
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {
            "pain": 7,
            "stiffness": 6,
            "adverse_event": True,
            "adverse_event_details": "=HYPERLINK(1)",
        },
        "email_link",
    )
    return db.session.scalars(select(AdverseEvent)).one()


@pytest.fixture
def admin_client(app, admin):
    from tests.helpers import isolated_client

    browser = isolated_client(app)
    assert log_in(browser, admin.email).status_code == 302
    return browser


def test_worklist_adverse_event_row_carries_its_clock(logged_in, event):
    due = event.aware_on + timedelta(days=6)

    page = logged_in.get("/").get_data(as_text=True)

    assert f"assess by {due.day} {due.strftime('%b')}: 6 days left" in page


def test_worklist_clock_is_red_when_overdue(logged_in, event):
    event.aware_on -= timedelta(days=9)
    db.session.commit()

    page = logged_in.get("/").get_data(as_text=True)

    assert 'class="clock overdue"' in page
    assert "3 days overdue" in page  # due 6 days after aware_on, now 9 days ago


def test_compliance_page_lists_open_reports_by_due_date_and_plans(logged_in, event, plan):
    response = logged_in.get("/compliance")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hanako Tanaka" in page
    assert "7-day report" in page
    assert "PB3150001" in page
    assert "Plan year 1" in page  # year 0 (2025) is not filed yet: it comes first
    assert 'href="/compliance"' in page  # in the nav


def test_assessment_form_moves_the_event_to_report(logged_in, event):
    token = csrf_token_from(logged_in.get(f"/adverse-events/{event.id}"))

    response = logged_in.post(
        f"/adverse-events/{event.id}/assessment",
        data={"seriousness": "hospitalisation", "causality": "related", "csrf_token": token},
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AdverseEvent, event.id).status == "to_report"


def test_assessment_form_shows_every_error(logged_in, event):
    token = csrf_token_from(logged_in.get(f"/adverse-events/{event.id}"))

    response = logged_in.post(f"/adverse-events/{event.id}/assessment", data={"csrf_token": token})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Must be one of") >= 2


def test_reported_form_closes_the_report(logged_in, event, clinician):
    from tracker.services.adverse_events import assess_adverse_event

    assess_adverse_event(
        event, Actor(clinician, "user"), {"seriousness": "non_serious", "causality": "related"}
    )
    token = csrf_token_from(logged_in.get(f"/adverse-events/{event.id}"))
    today = today_in("Asia/Tokyo").isoformat()

    response = logged_in.post(
        f"/adverse-events/{event.id}/reported",
        data={
            "reported_to_committee_on": today,
            "committee_opinion": "Noted.",
            "csrf_token": token,
        },
    )

    assert response.status_code == 302
    assert "Hanako" not in logged_in.get("/compliance").get_data(as_text=True).split("<h2>")[1]


def test_clinician_records_an_event_from_the_patient_page(logged_in, patient):
    assert "Record an adverse event" in logged_in.get(f"/patients/{patient.id}").get_data(
        as_text=True
    )

    response = post_form(
        logged_in,
        f"/patients/{patient.id}/adverse-events/new",
        {"description": "Fever after the injection, by phone."},
    )

    assert response.status_code == 302
    event = db.session.scalars(select(AdverseEvent)).one()
    assert event.source == "clinician"
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Fever after the injection, by phone." in page


def test_draft_is_in_japanese_with_the_committees_fields(logged_in, event):
    response = logged_in.get(f"/adverse-events/{event.id}/draft")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "疾病等報告書" in page
    assert "H.T." in page and "Hanako" not in page  # initials, never the name
    assert "PB3150001" in page
    assert "女性" in page
    assert "report.css" in page


def test_csv_of_reports_has_a_bom_and_defuses_formulas(logged_in, event):
    response = logged_in.get("/compliance/adverse-events.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["description"] == "'=HYPERLINK(1)"
    assert rows[0]["status"] == "to_assess"
    assert rows[0]["plan_number"] == "PB3150001"


def test_periodic_report_page_counts_and_saves_the_evaluation(logged_in, event, plan):
    page = logged_in.get(f"/plans/{plan.id}/periodic-reports/0")
    assert page.status_code == 200

    response = post_form(
        logged_in,
        f"/plans/{plan.id}/periodic-reports/0",
        {"evaluation": "No safety concern; effect as expected.", "submitted_on": "2026-04-20"},
    )

    assert response.status_code == 302
    shown = logged_in.get(f"/plans/{plan.id}/periodic-reports/0").get_data(as_text=True)
    assert "No safety concern" in shown
    assert "2026-04-20" in shown


def test_periodic_report_of_a_year_not_begun_answers_404(logged_in, plan):
    assert logged_in.get(f"/plans/{plan.id}/periodic-reports/40").status_code == 404


def test_admin_records_edits_and_suspends_a_plan(admin_client):
    response = post_form(
        admin_client,
        "/admin/plans/new",
        {
            "plan_number": "PC3150002",
            "title": "PRP for knee osteoarthritis",
            "risk_class": "3",
            "committee_name": "Committee",
            "committee_number": "NC-2",
            "submitted_on": "2026-01-10",
            "accepted_on": "2026-02-01",
            "processing_facility": "",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    plan = db.session.scalars(select(ProvisionPlan)).one()
    assert "PC3150002" in admin_client.get("/admin/plans").get_data(as_text=True)

    token = csrf_token_from(admin_client.get("/admin/plans"))
    admin_client.post(
        f"/admin/plans/{plan.id}/status", data={"status": "suspended", "csrf_token": token}
    )

    db.session.expire_all()
    assert db.session.get(ProvisionPlan, plan.id).status == "suspended"


def test_plan_form_lists_every_error(admin_client):
    response = post_form(admin_client, "/admin/plans/new", {"risk_class": "2", "status": "active"})

    page = response.get_data(as_text=True)
    assert page.count("This field is required.") >= 4


def test_clinicians_cannot_reach_the_plan_pages(logged_in):
    assert logged_in.get("/admin/plans").status_code == 403


def test_settings_switch_the_regime_and_treatments_then_need_a_plan(
    admin_client, clinic, patient, plan
):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "regulatory_regime" in page
    values = {
        "timezone": "Asia/Tokyo",
        "milestone_weeks": "2, 8, 12, 52",
        "send_hour": "9",
        "window_before_days": "3",
        "window_after_days": "14",
        "nudge_after_days": "3",
        "early_days": "14",
        "min_improvement": "2",
        "rise_points": "2",
        "sustain_days": "7",
        "severe_pain": "7",
        "non_responder_days": "84",
        "regulatory_regime": "jp_asrm",
    }
    assert post_form(admin_client, "/admin/settings", values).status_code == 302
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).regulatory_regime == "jp_asrm"

    treatment = {
        "treated_on": "2026-10-01",
        "kind": "prp",
        "route": "intra_articular",
        "site": "hip",
    }
    refused = post_form(admin_client, f"/patients/{patient.id}/treatments/new", treatment)
    assert refused.status_code == 200
    assert "names its provision plan" in refused.get_data(as_text=True)
    accepted = post_form(
        admin_client, f"/patients/{patient.id}/treatments/new", {**treatment, "plan_id": plan.id}
    )
    assert accepted.status_code == 302
    assert db.session.scalars(select(Treatment.plan_id)).all() == [plan.id]


def test_archive_hides_the_patient_from_the_list(logged_in, patient):
    assert "Hanako Tanaka" in logged_in.get("/patients").get_data(as_text=True)
    token = csrf_token_from(logged_in.get(f"/patients/{patient.id}"))

    response = logged_in.post(f"/patients/{patient.id}/archive", data={"csrf_token": token})

    assert response.status_code == 302
    assert f'href="/patients/{patient.id}"' not in logged_in.get("/patients").get_data(as_text=True)
    assert logged_in.get(f"/patients/{patient.id}").status_code == 200  # kept


def test_delete_button_is_refused_with_the_reason(logged_in, clinic, patient, event):
    clinic.regulatory_regime = "jp_asrm"
    db.session.commit()
    token = csrf_token_from(logged_in.get(f"/patients/{patient.id}"))

    response = logged_in.post(
        f"/patients/{patient.id}/delete", data={"csrf_token": token}, follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "10 years after the last treatment" in page
    db.session.expire_all()
    assert db.session.get(Patient, patient.id) is not None


def test_patient_form_keeps_the_record_fields(logged_in, patient):
    response = post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {
            "external_id": "MRN-1",
            "name": "Hanako Tanaka",
            "timezone": "Asia/Tokyo",
            "language": "ja",
            "frozen_doses": "0",
            "date_of_birth": "1960-02-29",
            "sex": "female",
            "diagnosis": "Osteoarthritis, left knee",
            "address": "",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Patient, patient.id)
    assert (stored.date_of_birth, stored.diagnosis) == (
        date(1960, 2, 29),
        "Osteoarthritis, left knee",
    )


def test_flag_without_a_record_shows_no_clock(logged_in, patient):
    make_flag(patient, kind="adverse_event", evidence={"details": "x"})

    assert 'class="clock' not in logged_in.get("/").get_data(as_text=True)


def test_demo_clinic_runs_under_jp_asrm_with_its_clocks(app):
    from tracker.demo import seed_demo
    from tracker.services.adverse_events import open_reports
    from tracker.services.periodic_reports import next_report

    seed_demo()

    clinic = db.session.scalars(select(Clinic)).one()
    assert clinic.regulatory_regime == "jp_asrm"
    [plan] = db.session.scalars(select(ProvisionPlan)).all()
    assert db.session.scalars(select(Treatment).where(Treatment.plan_id.is_(None))).all() == []
    clocks = open_reports(clinic)
    unassessed = [c for c in clocks if c.event.status == "to_assess" and c.days_left == 1]
    assert unassessed, [(c.event.status, c.days_left) for c in clocks]
    in_progress = [
        c
        for c in clocks
        if c.category == "fifteen_day" and c.event.reported_to_committee_on is not None
    ]
    assert [c.event.status for c in in_progress] == ["to_report"]
    upcoming = next_report(plan)
    assert 25 <= upcoming.days_left <= 35
