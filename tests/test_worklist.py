"""The clinician's worklist, decisions on flags, and check-ins taken by phone."""

import re
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import csrf_token_from, post_form
from tracker.extensions import db
from tracker.models import AuditEvent, CheckIn, Clinic, Flag
from tracker.services.worklist import PAGE_SIZE, flag_age, worklist_page
from tracker.timeutil import now_utc, today_in

RISE_EVIDENCE = {
    "baseline": {"pain": 6, "stiffness": 8, "source": "treatment"},
    "nadir": {"stiffness": 2, "recorded_on": "2026-01-24"},
    "run_started_on": "2026-02-19",
    "first": {"stiffness": 5, "pain": 3, "recorded_on": "2026-02-19"},
    "latest": {"stiffness": 5, "pain": 3, "recorded_on": "2026-02-26"},
    "rise": 3,
    "days_since_treatment": 47,
}


def add_flag(patient, kind="booster_window", *, treatment=None, status="open", **values) -> Flag:
    """Put a flag straight into the database (the rules are tested in test_flag_service)."""
    flag = Flag(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        treatment_id=treatment.id if treatment is not None else None,
        kind=kind,
        status=status,
        evidence=values.pop("evidence", RISE_EVIDENCE),
        opened_at=values.pop("opened_at", now_utc()),
        **values,
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def flagged_patient(clinic, kind="booster_window", days_ago=50, checkins=4, **values) -> Flag:
    """A patient with a treatment days_ago, a few check-ins and one flag on it."""
    treated_on = today_in(clinic.timezone) - timedelta(days=days_ago)
    treatment = factories.TreatmentFactory(patient__clinic=clinic, treated_on=treated_on)
    for number in range(checkins):
        db.session.add(
            CheckIn(
                clinic_id=clinic.id,
                patient_id=treatment.patient_id,
                treatment_id=treatment.id,
                recorded_on=treated_on + timedelta(days=14 + 7 * number),
                source="clinician",
                pain=3,
                stiffness=2 + number,
            )
        )
    return add_flag(treatment.patient, kind, treatment=treatment, **values)


def row_ids(response) -> list[int]:
    return [
        int(found) for found in re.findall(r'<tr id="flag-(\d+)"', response.get_data(as_text=True))
    ]


def ago(days: int, hours: int = 0):
    return now_utc() - timedelta(days=days, hours=hours)


# --- what the worklist shows --------------------------------------------------------------------


def test_worklist_orders_by_kind_then_oldest_first(logged_in, clinic, other_clinic):
    newer_window = flagged_patient(clinic, "booster_window", opened_at=ago(1))
    older_window = flagged_patient(clinic, "booster_window", opened_at=ago(5))
    missed = flagged_patient(clinic, "missed_milestone", opened_at=ago(9))
    non_responder = flagged_patient(clinic, "non_responder", opened_at=ago(8))
    relapse = flagged_patient(clinic, "relapse", status="acknowledged", opened_at=ago(2))
    adverse = flagged_patient(clinic, "adverse_event", opened_at=ago(0, 1))
    flagged_patient(clinic, "adverse_event", status="resolved", resolution="monitor")
    flagged_patient(other_clinic, "adverse_event")

    expected = [adverse, relapse, older_window, newer_window, non_responder, missed]
    assert row_ids(logged_in.get("/")) == [flag.id for flag in expected]
    page = worklist_page(clinic.id, MultiDict())
    assert [flag.id for flag in page.flags] == [flag.id for flag in expected]
    assert page.counts == {
        "adverse_event": 1,
        "relapse": 1,
        "booster_window": 2,
        "non_responder": 1,
        "missed_milestone": 1,
    }


def test_each_row_shows_what_the_clinician_needs(logged_in, clinic, clinician):
    flag = flagged_patient(clinic, days_ago=50, opened_at=ago(3, 2), owner_id=clinician.id)
    flag.patient.frozen_doses = 2
    flag.treatment.site = "right knee"
    db.session.commit()

    html = logged_in.get("/").get_data(as_text=True)

    assert f'href="/patients/{flag.patient_id}"' in html and flag.patient.name in html
    assert "Cultured adipose-derived stem cells · right knee" in html
    assert "day 50" in html
    # Which day is which: the best on its own day, the latest on its own.
    nadir_day = (date(2026, 1, 24) - flag.treatment.treated_on).days
    latest_day = (date(2026, 2, 26) - flag.treatment.treated_on).days
    assert f"best 2 on day {nadir_day} (24 Jan); now 5 on day {latest_day} (26 Feb)" in html
    assert '<svg class="sparkline"' in html and 'class="line stiff"' in html
    assert "2 frozen doses" in html
    assert "3 days" in html and clinician.name in html
    assert " style=" not in html and "<script" not in html


def test_booster_treatment_is_marked(logged_in, clinic):
    flag = flagged_patient(clinic)
    flag.treatment.booster_of_id = factories.TreatmentFactory(
        patient=flag.patient, treated_on=date(2025, 1, 1)
    ).id
    db.session.commit()
    assert '<span class="badge">booster</span>' in logged_in.get("/").get_data(as_text=True)


def test_sparkline_series_stops_at_the_next_treatment(app, clinic):
    flag = flagged_patient(clinic, days_ago=60, checkins=4)
    factories.TreatmentFactory(
        patient=flag.patient, treated_on=flag.treatment.treated_on + timedelta(days=30)
    )
    [row] = worklist_page(clinic.id, MultiDict()).rows
    assert [reading.recorded_on for reading in row.readings] == [
        flag.treatment.treated_on + timedelta(days=day) for day in (14, 21, 28)
    ]


def test_user_text_is_escaped(logged_in, clinic):
    flag = flagged_patient(
        clinic,
        "adverse_event",
        evidence={"recorded_on": "2026-01-12", "details": '<img src=x onerror="alert(1)">'},
    )
    flag.patient.name = "<script>alert(1)</script>"
    db.session.commit()
    html = logged_in.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html


@pytest.mark.parametrize(
    ("opened", "words"),
    [
        (timedelta(hours=5), "under a day"),
        (timedelta(days=1, hours=2), "1 day"),
        (timedelta(days=3), "3 days"),
    ],
)
def test_flag_age_in_days(opened, words):
    now = now_utc()
    assert flag_age(now - opened, now) == words


def test_empty_worklist_says_all_is_on_track(logged_in):
    assert "Every patient's follow-up is on track" in logged_in.get("/").get_data(as_text=True)


# --- filters and pages --------------------------------------------------------------------------


def test_filter_by_kind(logged_in, clinic):
    window = flagged_patient(clinic, "booster_window")
    flagged_patient(clinic, "relapse")
    assert row_ids(logged_in.get("/?kind=booster_window")) == [window.id]
    assert len(row_ids(logged_in.get("/?kind=nonsense"))) == 2


def test_filter_by_owner(logged_in, clinic, clinician):
    colleague = factories.UserFactory(clinic=clinic)
    mine = flagged_patient(clinic, owner_id=clinician.id, status="acknowledged")
    theirs = flagged_patient(clinic, owner_id=colleague.id, status="acknowledged")
    nobodys = flagged_patient(clinic)

    assert row_ids(logged_in.get("/?owner=mine")) == [mine.id]
    assert row_ids(logged_in.get("/?owner=unowned")) == [nobodys.id]
    assert sorted(row_ids(logged_in.get("/"))) == sorted([mine.id, theirs.id, nobodys.id])
    page = worklist_page(clinic.id, MultiDict({"owner": "mine"}), user_id=None)
    assert page.flags == []  # nobody signed in owns nothing, not the unowned flags


def test_pages_of_25(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    flags = [add_flag(patient, opened_at=ago(40 - number)) for number in range(PAGE_SIZE + 5)]

    first = logged_in.get("/")
    assert row_ids(first) == [flag.id for flag in flags[:PAGE_SIZE]]
    assert 'href="/?page=2"' in first.get_data(as_text=True)
    second = logged_in.get("/?page=2")
    assert row_ids(second) == [flag.id for flag in flags[PAGE_SIZE:]]
    html = second.get_data(as_text=True)
    assert 'href="/?page=1"' in html and "?page=3" not in html


def test_filters_survive_paging(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    for _ in range(PAGE_SIZE + 1):
        add_flag(patient, "relapse")
    html = logged_in.get("/?kind=relapse&owner=unowned").get_data(as_text=True)
    assert 'href="/?kind=relapse&amp;owner=unowned&amp;page=2"' in html


def count_statements(client, url: str) -> list[str]:
    statements: list[str] = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    # Start as a real request does: no session, no signed-in user cached on the app context.
    db.session.remove()
    g.pop("_login_user", None)
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    return statements


def test_worklist_page_runs_a_constant_number_of_queries(logged_in, clinic):
    clinic_id = clinic.id
    owner = factories.UserFactory(clinic=clinic)
    for _ in range(3):
        flagged_patient(clinic, owner_id=owner.id)
    few = count_statements(logged_in, "/")

    clinic = db.session.get(Clinic, clinic_id)
    for _ in range(PAGE_SIZE + 2):
        flagged_patient(clinic, owner_id=factories.UserFactory(clinic=clinic).id)
    many = count_statements(logged_in, "/")

    assert len(row_ids(logged_in.get("/"))) == PAGE_SIZE
    assert len(many) == len(few), "\n".join(many)
    # The worklist's own: the counts, the page of flags with their people, all sparklines.
    assert len([sql for sql in many if re.search(r"FROM (flag|checkin)\b", sql)]) == 3
    # Plus the signed-in user, their clinic, and whatever the page frame checks (banners).
    assert len(many) <= 10, "\n".join(many)


# --- acknowledge and resolve --------------------------------------------------------------------


def test_acknowledge_takes_ownership_and_is_audited(logged_in, clinic, clinician):
    flag = flagged_patient(clinic)
    token = csrf_token_from(logged_in.get("/"))

    response = logged_in.post(
        f"/flags/{flag.id}/acknowledge",
        data={"csrf_token": token, "next_url": "/?kind=booster_window"},
    )

    assert response.status_code == 302 and response.location == "/?kind=booster_window"
    db.session.refresh(flag)
    assert (flag.status, flag.owner_id, flag.acknowledged_by_id) == (
        "acknowledged",
        clinician.id,
        clinician.id,
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.acknowledge"))
    assert (audit.object_id, audit.actor_user_id) == (flag.id, clinician.id)
    assert flag.id in row_ids(logged_in.get("/?owner=mine"))


def test_acknowledge_needs_csrf(logged_in, clinic):
    flag = flagged_patient(clinic)
    assert logged_in.post(f"/flags/{flag.id}/acknowledge").status_code == 400
    db.session.refresh(flag)
    assert flag.status == "open" and flag.owner_id is None


def test_next_url_cannot_leave_the_site(logged_in, clinic):
    flag = flagged_patient(clinic)
    token = csrf_token_from(logged_in.get("/"))
    response = logged_in.post(
        f"/flags/{flag.id}/acknowledge", data={"csrf_token": token, "next_url": "//evil.example/"}
    )
    assert response.location == "/"


def test_resolve_with_a_reason_and_note_takes_the_flag_off_the_worklist(
    logged_in, clinic, clinician
):
    flag = flagged_patient(clinic)
    token = csrf_token_from(logged_in.get("/"))

    response = logged_in.post(
        f"/flags/{flag.id}/resolve",
        data={
            "csrf_token": token,
            "resolution": "booster_scheduled",
            "note": "Booster on 1 Dec.",
            "next_url": "/",
        },
        follow_redirects=True,
    )

    assert "is resolved: Booster scheduled." in response.get_data(as_text=True)
    db.session.refresh(flag)
    assert (flag.status, flag.resolution, flag.note) == (
        "resolved",
        "booster_scheduled",
        "Booster on 1 Dec.",
    )
    assert flag.resolved_by_id == clinician.id
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.resolve"))
    assert audit.object_id == flag.id
    assert row_ids(logged_in.get("/")) == []


def test_resolve_page_shows_the_evidence(logged_in, clinic):
    flag = flagged_patient(clinic)
    html = logged_in.get(f"/flags/{flag.id}/resolve?next=/patients/{flag.patient_id}").get_data(
        as_text=True
    )
    assert re.search(r"best 2 on day -?\d+ \(24 Jan\); now 5 on day -?\d+ \(26 Feb\)", html)
    assert f'value="/patients/{flag.patient_id}"' in html


@pytest.mark.parametrize("resolution", ["checked_in", "forgotten"])
def test_resolve_refuses_reasons_a_clinician_cannot_give(logged_in, clinic, resolution):
    flag = flagged_patient(clinic)
    response = post_form(logged_in, f"/flags/{flag.id}/resolve", {"resolution": resolution})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.refresh(flag)
    assert flag.status == "open"


def test_a_resolved_flag_stays_as_decided(logged_in, clinic):
    flag = flagged_patient(clinic, status="resolved", resolution="dismissed", note="Old news.")
    token = csrf_token_from(logged_in.get("/"))
    response = logged_in.post(
        f"/flags/{flag.id}/resolve",
        data={"csrf_token": token, "resolution": "monitor"},
        follow_redirects=True,
    )
    assert "resolved already" in response.get_data(as_text=True)
    logged_in.post(f"/flags/{flag.id}/acknowledge", data={"csrf_token": token})
    db.session.refresh(flag)
    assert (flag.status, flag.resolution, flag.note, flag.owner_id) == (
        "resolved",
        "dismissed",
        "Old news.",
        None,
    )


def test_another_clinics_flag_does_not_exist(logged_in, other_clinic):
    flag = flagged_patient(other_clinic)
    token = csrf_token_from(logged_in.get("/"))
    assert logged_in.get(f"/flags/{flag.id}/resolve").status_code == 404
    data = {"csrf_token": token, "resolution": "dismissed"}
    assert logged_in.post(f"/flags/{flag.id}/resolve", data=data).status_code == 404
    assert logged_in.post(f"/flags/{flag.id}/acknowledge", data=data).status_code == 404
    db.session.refresh(flag)
    assert flag.status == "open"


def test_patient_page_offers_decisions_on_open_flags(logged_in, clinic):
    flag = flagged_patient(clinic)
    html = logged_in.get(f"/patients/{flag.patient_id}").get_data(as_text=True)
    assert f'action="/flags/{flag.id}/acknowledge"' in html
    assert f"/flags/{flag.id}/resolve?next=" in html
    assert f'href="/patients/{flag.patient_id}/checkins/new"' in html


# --- check-ins taken by phone -------------------------------------------------------------------


def test_checkin_form_defaults_to_today_in_the_patients_zone(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic, timezone="Pacific/Kiritimati")
    html = logged_in.get(f"/patients/{patient.id}/checkins/new").get_data(as_text=True)
    assert f'value="{today_in("Pacific/Kiritimati").isoformat()}"' in html


def test_phone_checkin_is_recorded_and_names_the_flag_it_opened(logged_in, clinic, clinician):
    flag = flagged_patient(clinic, "adverse_event", days_ago=20, checkins=0)
    patient_id, treatment_id = flag.patient_id, flag.treatment_id
    db.session.delete(flag)
    db.session.commit()
    url = f"/patients/{patient_id}/checkins/new"
    yesterday = today_in(clinic.timezone) - timedelta(days=1)
    values = {
        "recorded_on": yesterday.isoformat(),
        "stiffness": "4",
        "pain": "6",
        "morning_stiffness_minutes": "30",
        "swelling": "5",
        "adverse_event": "yes",
        "adverse_event_details": "Knee hot & swollen <b>",
        "notes": "Phoned the patient.",
    }

    response = post_form(logged_in, url, values)

    assert response.status_code == 302 and response.location == f"/patients/{patient_id}"
    page = logged_in.get(response.location).get_data(as_text=True)
    assert "Check-in of" in page and "Flag opened: adverse event." in page
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.patient_id == patient_id))
    assert (checkin.recorded_on, checkin.stiffness, checkin.pain, checkin.swelling) == (
        yesterday,
        4,
        6,
        5,
    )
    assert (checkin.source, checkin.recorded_by_id, checkin.treatment_id) == (
        "clinician",
        clinician.id,
        treatment_id,
    )
    assert checkin.adverse_event and checkin.adverse_event_details == "Knee hot & swollen <b>"


def test_phone_checkin_errors_appear_next_to_fields_and_nothing_is_written(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    future = today_in(clinic.timezone) + timedelta(days=2)
    values = {
        "recorded_on": future.isoformat(),
        "stiffness": "11",
        "morning_stiffness_minutes": "2000",
        "adverse_event": "yes",
    }

    response = post_form(logged_in, f"/patients/{patient.id}/checkins/new", values)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cannot be in the future" in html
    assert "Must be between 0 and 10." in html  # stiffness
    assert "Must be between 0 and 1440." in html
    assert "This field is required." in html  # pain
    assert "Please describe what happened." in html
    assert html.count('class="error"') == 5
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_phone_checkin_for_another_clinics_patient_does_not_exist(logged_in, other_clinic):
    patient = factories.PatientFactory(clinic=other_clinic)
    url = f"/patients/{patient.id}/checkins/new"
    assert logged_in.get(url).status_code == 404
    token = csrf_token_from(logged_in.get("/"))
    data = {"csrf_token": token, "stiffness": "3", "pain": "3"}
    assert logged_in.post(url, data=data).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_phone_checkin_needs_csrf(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    response = logged_in.post(
        f"/patients/{patient.id}/checkins/new", data={"stiffness": "3", "pain": "3"}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_signed_out_visitor_is_sent_to_sign_in(client, clinic):
    flag = flagged_patient(clinic)
    token = csrf_token_from(client.get("/login"))
    for response in (
        client.post(f"/flags/{flag.id}/acknowledge", data={"csrf_token": token}),
        client.get(f"/flags/{flag.id}/resolve"),
        client.get(f"/patients/{flag.patient_id}/checkins/new"),
    ):
        assert response.status_code == 302 and response.location.startswith("/login")
    db.session.refresh(flag)
    assert flag.status == "open"
