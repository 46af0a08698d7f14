"""What a worklist row says: waits, pages and the days behind the evidence."""

from datetime import timedelta

from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tests.test_worklist import add_flag, ago, flagged_patient, row_ids
from tracker.extensions import db
from tracker.services.worklist import PAGE_SIZE
from tracker.timeutil import today_in


def test_missed_milestone_waits_from_its_windows_close(logged_in, clinic):
    flag = flagged_patient(clinic, "missed_milestone", opened_at=ago(0, 1))
    closed_on = today_in(flag.patient.timezone) - timedelta(days=6)
    flag.evidence = {"milestone_weeks": 8, "window_closes_on": closed_on.isoformat()}
    db.session.commit()
    html = logged_in.get("/").get_data(as_text=True)
    row = html.split(f'id="flag-{flag.id}"')[1].split("</tr>")[0]
    # Closed at the start of the next local day: five whole days ago, never "under a day".
    assert "waiting 5 days<" in row and "under a day" not in row
    assert f"8-week window closed {closed_on.day} {closed_on.strftime('%b')}" in row


def test_page_number_only_when_there_are_pages(logged_in, clinic):
    flagged_patient(clinic)
    assert "Page 1" not in logged_in.get("/").get_data(as_text=True)
    for _ in range(PAGE_SIZE):
        add_flag(flagged_patient(clinic).patient, "non_responder", evidence={})
    html = logged_in.get("/").get_data(as_text=True)
    assert "Page 1" in html and len(row_ids(logged_in.get("/"))) == PAGE_SIZE


def test_worklist_dates_are_one_format_and_never_break(logged_in, clinic):
    flag = flagged_patient(clinic)
    html = logged_in.get("/").get_data(as_text=True)
    treated_on = flag.treatment.treated_on
    assert f'<span class="date">{treated_on.day} {treated_on.strftime("%b %Y")}</span>' in html
    assert treated_on.isoformat() not in html.split("<tbody>")[1]


def test_worklist_and_chart_read_in_japanese(logged_in, clinic, clinician):
    flag = flagged_patient(clinic)
    clinician.language = "ja"
    db.session.commit()
    html = logged_in.get("/").get_data(as_text=True)
    treated_on = flag.treatment.treated_on
    assert "確認待ちのフラグ 1件" in html and "追加投与の検討時期" in html
    assert f"{treated_on.year}年{treated_on.month}月{treated_on.day}日" in html
    assert "最良 2（" in html and "1月24日" in html and "担当する" in html
    for english in ("best 2 on", "Take", "flags to review", "What was seen", "waiting "):
        assert english not in html, english
    page = logged_in.get(f"/patients/{flag.patient_id}").get_data(as_text=True)
    assert "こわばりと痛み" in page and "治療前（0日目）" in page
