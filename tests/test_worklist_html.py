"""The worklist writes what its rows repeat once per page (words, CSRF fields, the decision's
fields) and must still write the very HTML of the plain template that renders each row from
scratch (tests/reference/worklist.html)."""

from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template, render_template_string
from flask_login import login_user
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.test_worklist import add_flag, flagged_patient
from tracker.extensions import db
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.worklist import worklist_page
from tracker.timeutil import now_utc, today_in

REFERENCE = Path(__file__).parent / "reference" / "worklist.html"


def varied_worklist(clinic, clinician) -> None:
    """Rows of every shape the template tells apart."""
    colleague = factories.UserFactory(clinic=clinic, name="Dr O'Neil <b>&")
    flagged_patient(clinic, "booster_window", owner_id=clinician.id)  # no "Take" button
    flagged_patient(clinic, "relapse", status="acknowledged", owner_id=colleague.id)
    flagged_patient(
        clinic,
        "non_responder",
        evidence={
            "baseline": {"pain": 6, "stiffness": None, "source": "treatment"},
            "min_improvement": 2,
            "non_responder_days": 84,
            "days_since_treatment": 90,
        },
    )
    flagged_patient(
        clinic,
        "missed_milestone",
        checkins=0,  # no sparkline
        evidence={"milestone_weeks": 12, "window_closes_on": "2026-02-01", "outcome": "x"},
    )
    broken = flagged_patient(clinic, "booster_window", evidence={"nadir": "?"})
    broken.patient.name = 'Ann "<Smith>" & Co'
    broken.patient.phone = "+81312345678"
    broken.treatment.booster_of_id = factories.TreatmentFactory(patient=broken.patient).id
    add_flag(factories.PatientFactory(clinic=clinic), "adverse_event", evidence={})
    reporter = factories.PatientFactory(clinic=clinic, timezone="Asia/Tokyo")
    factories.TreatmentFactory(
        patient=reporter, treated_on=today_in("Asia/Tokyo") - timedelta(days=20)
    )
    answers = {"pain": 3, "stiffness": 2, "adverse_event": True}
    answers["adverse_event_details"] = "swelling <script>alert('x')</script> & fever"
    record_checkin(reporter, Actor(None, "patient"), answers, "email_link")  # a clock
    db.session.commit()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_worklist_html_is_the_plain_templates(app, clinic, clinician, language):
    varied_worklist(clinic, clinician)
    clinician.language = language
    db.session.commit()
    reference = REFERENCE.read_text()
    for args in ({}, {"owner": "mine"}, {"kind": "adverse_event"}, {"kind": "relapse"}):
        with app.test_request_context("/", query_string=args):
            login_user(clinician)
            page = worklist_page(clinic.id, MultiDict(args), user_id=clinician.id, now=now_utc())
            html = render_template("clinic/worklist.html", page=page)
            assert html == render_template_string(reference, page=page), args
            assert page.rows, args
            if not args:  # every shape made it to the page
                assert all(part in html for part in ('class="clock', 'href="tel:', "&lt;script"))
                assert html.count("/acknowledge") == len(page.rows) - 1  # one is the viewer's
