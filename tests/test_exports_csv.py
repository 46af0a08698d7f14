"""CSV exports: what a clinic opens in Excel, from the API and the admin page; each audited."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from tests import factories
from tests.conftest import log_in
from tests.export_records import add_checkins, follow_up_records, other_clinic_records
from tests.helpers import isolated_client
from tracker.exports.csv import BOM
from tracker.extensions import db
from tracker.models import AuditEvent

NAMES = ["patients", "treatments", "checkins", "flags", "adverse_events"]


@pytest.fixture
def records(clinic, clinician, other_clinic, other_clinician):
    mine = follow_up_records(clinic, clinician)
    other_clinic_records(other_clinic, other_clinician)
    return mine


@pytest.fixture
def as_admin(app, admin):
    browser = isolated_client(app)
    assert log_in(browser, admin.email).status_code == 302
    return browser


def table(response) -> list[dict]:
    """Read a CSV answer as Excel would: a BOM, then a header row; check every row's width."""
    body = response.get_data()
    assert body.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix(BOM), newline="")))
    header, records = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in rows), "a row's width differs from the header"
    return [dict(zip(header, row, strict=True)) for row in records]


def export_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%"))))


@pytest.mark.parametrize("name", NAMES)
def test_each_export_is_a_csv_with_a_bom_and_a_header(api, records, name):
    response = api.get(f"/api/v1/exports/{name}.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    assert table(response)


def test_patients_export_keeps_japanese_names_and_ids_to_join(api, records):
    patients = table(api.get("/api/v1/exports/patients.csv"))
    checkins = table(api.get("/api/v1/exports/checkins.csv"))

    assert patients == [
        {
            "id": str(records["patient"].id),
            "external_id": "MRN-0042",
            "name": "山田 花子",
            "email": "hanako@example.jp",
            "phone": "'+819012345678",
            "date_of_birth": "1958-04-03",
            "sex": "female",
            "timezone": "Asia/Tokyo",
            "language": "ja",
            "frozen_doses": "0",
            "opted_out_at": "",
            "archived_at": "",
            "created_at": patients[0]["created_at"],
            "updated_at": patients[0]["updated_at"],
        }
    ]
    assert patients[0]["created_at"].endswith("Z")
    assert {row["patient_id"] for row in checkins} == {str(records["patient"].id)}


def test_checkins_export_has_iso_dates_utc_times_and_no_formula(api, records):
    rows = table(api.get("/api/v1/exports/checkins.csv"))

    assert [row["id"] for row in rows] == [str(checkin.id) for checkin in records["checkins"]]
    second = rows[1]
    assert second["recorded_on"] == "2025-03-07"
    assert second["submitted_at"].endswith("Z") and "T" in second["submitted_at"]
    assert second["notes"] == "'=1+1 膝は楽です"
    assert second["morning_stiffness_minutes"] == "10"
    assert rows[0]["swelling"] == ""
    assert second["adverse_event"] == "false"


def test_treatments_export_links_the_booster_to_the_treatment_it_boosts(api, records):
    rows = {row["id"]: row for row in table(api.get("/api/v1/exports/treatments.csv"))}

    booster = rows[str(records["booster"].id)]
    assert booster["booster_of_id"] == str(records["treatment"].id)
    assert rows[str(records["treatment"].id)]["treated_on"] == "2025-01-10"
    assert rows[str(records["treatment"].id)]["cell_dose_million"] == "50.00"


def test_adverse_events_export_has_the_assessment_and_ids_to_join(api, records, clinician):
    [row] = table(api.get("/api/v1/exports/adverse_events.csv"))
    event = records["adverse_event"]

    assert row["id"] == str(event.id)
    assert row["patient_id"] == str(records["patient"].id)
    assert row["treatment_id"] == str(records["booster"].id)
    assert row["checkin_id"] == str(records["checkins"][-1].id)
    assert (row["source"], row["status"]) == ("checkin", "to_report")
    assert row["aware_on"] == event.aware_on.isoformat()
    assert row["onset_on"] == "2025-09-19"
    assert row["description"] == "膝が熱を持って腫れています"
    assert (row["seriousness"], row["causality"], row["outcome"]) == (
        "hospitalisation",
        "possibly_related",
        "recovering",
    )
    assert row["assessed_by_id"] == str(clinician.id)
    assert row["assessed_at"].endswith("Z")
    assert row["reported_to_committee_on"] == ""


def test_an_archived_patient_is_exported_with_the_time_of_archiving(api, records):
    records["patient"].archived_at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    db.session.commit()

    [row] = table(api.get("/api/v1/exports/patients.csv"))

    assert row["archived_at"] == "2026-03-01T02:30:00Z"


@pytest.mark.parametrize("name", NAMES)
def test_another_clinics_rows_never_appear(api, records, name):
    body = api.get(f"/api/v1/exports/{name}.csv").get_data(as_text=True)

    for text in ("MRN-OTHER", "Other Person", "OTHER-SITE", "relapse"):
        assert text not in body
    assert (
        len(table(api.get(f"/api/v1/exports/{name}.csv")))
        == {
            "patients": 1,
            "treatments": 2,
            "checkins": 3,
            "flags": 2,
            "adverse_events": 1,
        }[name]
    )


@pytest.mark.parametrize("name", ["adverse-events", "users", "nothing", "checkins.csv"])
def test_an_unknown_export_answers_404_and_audits_nothing(api, records, name):
    response = api.get(f"/api/v1/exports/{name}.csv")

    assert response.status_code == 404
    assert response.is_json
    assert export_events() == []


def test_an_api_export_is_audited_with_who_what_and_how_many_rows(api, records, clinician):
    api.get("/api/v1/exports/checkins.csv").get_data()

    [audit] = export_events()
    assert audit.action == "export.csv"
    assert audit.clinic_id == clinician.clinic_id
    assert audit.actor_user_id == clinician.id
    assert audit.actor_kind == "api"
    assert audit.details == {"export": "checkins", "unit": "rows", "count": 3, "complete": True}


def test_an_export_left_half_read_is_audited_as_incomplete(app, api, clinic, clinician):
    patient = factories.PatientFactory(clinic=clinic)
    add_checkins(patient, 1200)
    app.config["EXPORT_BATCH_SIZE"] = 100
    try:
        response = api.get("/api/v1/exports/checkins.csv", buffered=False)
        chunks = iter(response.response)
        next(chunks)  # the header
        next(chunks)  # the first 500 rows
        response.close()  # the client hangs up
    finally:
        app.config.pop("EXPORT_BATCH_SIZE")

    [audit] = export_events()
    assert audit.details["complete"] is False
    assert 500 <= audit.details["count"] < 1200


def test_a_large_export_is_streamed_in_batches_before_all_rows_are_read(app, api, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    add_checkins(patient, 3000)
    queries = []

    def count_checkin_reads(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM checkin" in statement:
            queries.append(statement)

    app.config["EXPORT_BATCH_SIZE"] = 500
    event.listen(db.engine, "before_cursor_execute", count_checkin_reads)
    try:
        response = api.get("/api/v1/exports/checkins.csv", buffered=False)
        assert not isinstance(response.response, list | bytes)
        chunks = iter(response.response)
        header = next(chunks)
        assert header.startswith(BOM.encode("utf-8") + b"id,patient_id")
        assert queries == []  # the header left before any row was read
        first_rows = next(chunks)
        assert len(queries) == 1  # one batch of 500, not the 3,000 rows
        body = header + first_rows + b"".join(chunks)
        response.close()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_checkin_reads)
        app.config.pop("EXPORT_BATCH_SIZE")

    assert len(queries) == 3000 // 500 + 1  # the last, empty page ends the keyset walk
    assert body.count(b"\r\n") == 1 + 3000
    [audit] = export_events()
    assert audit.details == {"export": "checkins", "unit": "rows", "count": 3000, "complete": True}


def test_formula_cells_in_an_export_start_with_a_quote(api, clinic):
    patient = factories.PatientFactory(clinic=clinic, name="@evil", external_id="+81-MRN")
    add_checkins(patient, 8)

    patients = table(api.get("/api/v1/exports/patients.csv"))
    checkins = table(api.get("/api/v1/exports/checkins.csv"))

    assert patients[0]["name"] == "'@evil"
    assert patients[0]["external_id"] == "'+81-MRN"
    assert checkins[0]["notes"] == "'=cmd|' /C calc'!A0"
    assert checkins[7]["notes"] == "'=cmd|' /C calc'!A7"


# The admin page


def test_the_exports_page_lists_every_export_for_an_admin(as_admin, records):
    page = as_admin.get("/admin/exports")

    assert page.status_code == 200
    for name in NAMES:
        assert f"/admin/exports/{name}.csv" in page.get_data(as_text=True)


def test_the_exports_page_speaks_japanese(app, admin, records):
    admin.language = "ja"
    db.session.commit()
    browser = isolated_client(app)
    browser.get("/login", headers={"Accept-Language": "ja"})
    assert log_in(browser, admin.email).status_code == 302

    page = browser.get("/admin/exports", headers={"Accept-Language": "ja"})

    assert "データの書き出し" in page.get_data(as_text=True)


def test_an_admin_download_is_audited_as_the_admin(as_admin, records, admin):
    response = as_admin.get("/admin/exports/patients.csv")

    assert table(response)[0]["name"] == "山田 花子"
    [audit] = export_events()
    assert (audit.actor_user_id, audit.actor_kind) == (admin.id, "user")
    assert audit.details["count"] == 1


def test_a_clinician_may_not_use_the_exports_page(logged_in, records):
    assert logged_in.get("/admin/exports").status_code == 403
    assert logged_in.get("/admin/exports/patients.csv").status_code == 403
    assert export_events() == []


def test_an_unknown_admin_export_answers_404(as_admin, records):
    assert as_admin.get("/admin/exports/secrets.csv").status_code == 404
