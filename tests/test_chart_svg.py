"""Both charts write the very markup they wrote before their geometry was shared.

The clinician's chart (clinic/_chart.html) and the patient's (checkin/_progress.html) are
rendered for a few fixed inputs and compared, byte for byte, with tests/reference/charts/*.html.
Those files were written by the code as it stood before the two charts shared one geometry
module (Scale, Plot, Tick, the line helpers, SCORE_MAX); run this module as a script to
rewrite them after a change meant to alter the charts.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template, render_template_string

from tracker.checkin.progress import Progress, ProgressRow, build_chart
from tracker.clinic.charts import (
    ChartEvent,
    ChartFlag,
    ChartTreatment,
    Reading,
    patient_chart,
    record_chart,
)

REFERENCE = Path(__file__).parent / "reference" / "charts"
TREATED_ON = date(2026, 1, 10)


def on(day: int) -> date:
    return TREATED_ON + timedelta(days=day)


def readings(*triples) -> list[Reading]:
    return [Reading(on(day), stiffness, pain) for day, stiffness, pain in triples]


def clinician_charts():
    """Charts of every shape the clinician's template tells apart."""
    full = patient_chart(
        zero=TREATED_ON,
        today=on(60),
        readings=readings((14, 2, 3), (30, 3, 3), (40, 5, 4), (47, 5, 5)),
        treatments=[ChartTreatment(TREATED_ON, False)],
        milestone_weeks=[2, 8, 12, 52],
        nadir=Reading(on(14), 2, 3),
        rise_points=2,
        flags=[ChartFlag(on(47), "booster_window", "open")],
        baseline=(7, 6),
        outcome_events=[ChartEvent(on(55), "tka", "Knee replacement")],
    )
    booster = patient_chart(
        zero=on(100),
        today=on(400),
        readings=readings((90, 6, 6), (103, 4, 5), (130, 9, 8), (300, 1, 1)),
        treatments=[ChartTreatment(on(100), True)],
        milestone_weeks=[2, 8],
        nadir=Reading(on(103), 9, 5),
        rise_points=3,
        ends_on=on(250),
    )
    empty = patient_chart(
        zero=TREATED_ON,
        today=on(3),
        readings=[],
        treatments=[ChartTreatment(TREATED_ON, False)],
        milestone_weeks=[12],
        nadir=None,
        rise_points=2,
    )
    return {"full": full, "booster": booster, "empty": empty, "record": recorded_chart()}


def recorded_chart():
    """A chart laid out from rows, as the patient page lays it out, with the clinic's settings."""
    clinic = SimpleNamespace(
        early_days=14,
        min_improvement=2,
        rise_points=2,
        sustain_days=7,
        severe_pain=7,
        non_responder_days=84,
        milestone_weeks=[2, 8, 12],
    )
    patient = SimpleNamespace(clinic=clinic, timezone="Asia/Tokyo")
    treatment = SimpleNamespace(
        id=1, treated_on=TREATED_ON, baseline_pain=6, baseline_stiffness=7, is_booster=False
    )
    checkins = [
        SimpleNamespace(id=n, recorded_on=on(day), pain=pain, stiffness=stiffness)
        for n, (day, stiffness, pain) in enumerate([(-3, 8, 7), (5, 9, 8), (20, 3, 2), (41, 6, 3)])
    ]
    flag = SimpleNamespace(
        opened_at=datetime(2026, 2, 20, 16, tzinfo=UTC),
        status="acknowledged",
        kind="relapse",
        treatment_id=1,
    )
    return record_chart(patient, [treatment], checkins, [flag], on(45))


def patient_progress_views():
    """Progress of every shape the patient's template tells apart."""
    baseline = ProgressRow(TREATED_ON, 0, 7, 6, 30, None, is_baseline=True)
    rows = [
        baseline,
        ProgressRow(on(14), 14, 4, 3, 10, 2),
        ProgressRow(on(31), 31, 3, 3, None, None),
        ProgressRow(on(77), 77, 5, 4, 5, 1),
    ]
    before = [
        ProgressRow(on(-20), -20, 8, 8, None, None),
        ProgressRow(on(-2), -2, 9, 7, None, None),
        ProgressRow(on(150), 150, 2, 1, None, None),
    ]
    lone = [ProgressRow(on(3), 3, 6, 5, None, None)]
    return {
        "treated": progress(rows, [(0, False), (60, True)]),
        "before_treatment": progress(before, [(0, False), (100, True), (400, True)]),
        "one_checkin": progress(lone, [(0, False)]),
    }


def progress(rows: list[ProgressRow], treatment_days: list[tuple[int, bool]]) -> Progress:
    return Progress(list(reversed(rows)), build_chart(rows, treatment_days), [TREATED_ON])


def rendered() -> dict[str, str]:
    """Render every chart: the clinician's through its include, the patient's through its macro."""
    pages = {}
    for name, chart in clinician_charts().items():
        record = SimpleNamespace(treatments=[])
        patient = SimpleNamespace(id=1)
        pages[f"clinician_{name}"] = render_template(
            "clinic/_chart.html", chart=chart, record=record, patient=patient
        )
    for name, view in patient_progress_views().items():
        pages[f"patient_{name}"] = render_template_string(
            '{% from "checkin/_progress.html" import progress_view %}{{ progress_view(p) }}',
            p=view,
        )
    return pages


@pytest.fixture
def pages(app):
    with app.test_request_context("/"):
        return rendered()


def test_both_charts_write_the_markup_of_the_reference(pages):
    assert sorted(pages) == sorted(path.stem for path in REFERENCE.glob("*.html"))
    for name, page in pages.items():
        assert "<svg" in page, name
        assert page == (REFERENCE / f"{name}.html").read_text(encoding="utf-8"), name


if __name__ == "__main__":  # rewrite the references from the code as it stands
    from config import TestConfig
    from tracker import create_app

    app = create_app(TestConfig)
    with app.app_context(), app.test_request_context("/"):
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for name, page in rendered().items():
            (REFERENCE / f"{name}.html").write_text(page, encoding="utf-8")
