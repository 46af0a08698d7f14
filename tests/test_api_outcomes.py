"""GET /api/v1/outcomes: the outcome figures of the token's clinic, as JSON.

The figures: docs/outcomes-and-reporting.md, Over many treatments and Where the figures show.
"""

import pytest

from tests.conftest import ApiClient
from tests.helpers import isolated_client
from tests.outcome_cases import four_knees
from tracker.extensions import db
from tracker.services.api_tokens import issue_token
from tracker.services.outcomes import OutcomeQuery, outcome_figures

FIGURE_FIELDS = {"milestones", "durability", "onset_days", "nadir_days"}
MILESTONE_FIELDS = {"weeks", "answered", "missed", "pending", "responders", "denominators", "rates"}
DURABILITY_FIELDS = {
    "cohort",
    "excluded",
    "events",
    "competing_events",
    "censored",
    "median_days",
    "median_ci95",
    "survival_at",
    "curve",
}
CURVE_FIELDS = {"day", "at_risk", "events", "censored", "survival", "ci95"}


@pytest.fixture
def knees(clinic, clinician):
    return four_knees(clinic, clinician)


def test_answer_has_every_field_the_outcomes_page_documents(api, knees):
    response = api.get("/api/v1/outcomes")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == FIGURE_FIELDS | {"groups", "logrank_p"}
    assert body["groups"] == [] and body["logrank_p"] is None
    assert [row["weeks"] for row in body["milestones"]] == [2, 8, 12, 52]
    for row in body["milestones"]:
        assert set(row) == MILESTONE_FIELDS
        for part in ("responders", "denominators", "rates"):
            assert set(row[part]) == {"pain_halved", "omeract_oarsi"}
    assert set(body["durability"]) == DURABILITY_FIELDS
    assert set(body["durability"]["excluded"]) == {"no_baseline", "never_responded"}
    assert set(body["durability"]["survival_at"]) == {"182", "365", "730"}
    assert all(set(row) == CURVE_FIELDS for row in body["durability"]["curve"])
    assert set(body["onset_days"]) == set(body["nadir_days"]) == {"median", "q1", "q3"}


def test_answer_is_the_services_figures_exactly(api, clinic, knees):
    body = api.get("/api/v1/outcomes?group_by=kl_grade").get_json()

    assert body == outcome_figures(clinic, OutcomeQuery(group_by="kl_grade"))


def test_durability_counts_and_curve(api, knees):
    durability = api.get("/api/v1/outcomes").get_json()["durability"]

    assert durability["cohort"] == 3
    assert (durability["events"], durability["competing_events"], durability["censored"]) == (
        1,
        1,
        1,
    )
    assert durability["excluded"] == {"no_baseline": 0, "never_responded": 1}
    assert [(row["day"], row["events"], row["censored"]) for row in durability["curve"]] == [
        (120, 0, 1),
        (150, 1, 0),
        (180, 0, 1),
    ]
    assert durability["curve"][1]["survival"] == pytest.approx(0.5)
    assert durability["median_days"] == 150
    assert durability["survival_at"]["182"] is None  # past the last exit (day 180)


def test_rates_are_null_under_five_answered(api, knees):
    eight = api.get("/api/v1/outcomes").get_json()["milestones"][1]

    assert eight["denominators"]["pain_halved"] == 4
    assert eight["rates"] == {"pain_halved": None, "omeract_oarsi": None}


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("kind", ["adsc_cultured", "prp"]),
        ("kl_grade", ["2-3", "4"]),
        ("route", ["intra_articular", "iv"]),
    ],
)
def test_group_by_gives_each_group_its_figures(api, knees, group_by, keys):
    body = api.get(f"/api/v1/outcomes?group_by={group_by}").get_json()

    assert [group["key"] for group in body["groups"]] == keys
    for group in body["groups"]:
        assert set(group) == FIGURE_FIELDS | {"key"}
    assert sum(group["durability"]["cohort"] for group in body["groups"]) == 3


def test_log_rank_across_two_groups_with_cohort(api, knees):
    body = api.get("/api/v1/outcomes?group_by=kl_grade").get_json()
    assert 0 <= body["logrank_p"] <= 1


@pytest.mark.parametrize(
    ("query", "cohort", "never_responded"),
    [
        ("kind=prp", 0, 1),
        ("route=iv", 1, 0),
        ("kl_grade=4", 2, 0),
        ("kl_grade=4&route=iv", 0, 0),
        ("treated_from=2000-01-01&treated_to=2000-12-31", 0, 0),
    ],
)
def test_filters_narrow_the_treatments(api, knees, query, cohort, never_responded):
    durability = api.get(f"/api/v1/outcomes?{query}").get_json()["durability"]

    assert durability["cohort"] == cohort
    assert durability["excluded"]["never_responded"] == never_responded


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=site", "group_by"),
        ("kind=stem_cells", "kind"),
        ("kl_grade=5", "kl_grade"),
        ("kl_grade=2-3", "kl_grade"),
        ("route=oral", "route"),
        ("treated_from=yesterday", "treated_from"),
        ("treated_from=2026-05-01&treated_to=2026-04-01", "treated_to"),
        ("colour=red", "colour"),
    ],
)
def test_unknown_values_answer_422_per_field(api, knees, query, field):
    response = api.get(f"/api/v1/outcomes?{query}")

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}


def test_without_a_token_answers_401(client, knees):
    response = client.get("/api/v1/outcomes")
    assert response.status_code == 401
    assert response.is_json


def test_another_clinic_sees_nothing_of_this_clinic(app, knees, other_clinician):
    token = issue_token(other_clinician)
    db.session.commit()
    other = ApiClient(isolated_client(app), token)

    body = other.get("/api/v1/outcomes?group_by=kind").get_json()

    assert body["durability"]["cohort"] == 0
    assert body["durability"]["excluded"] == {"no_baseline": 0, "never_responded": 0}
    assert body["milestones"] == [] and body["groups"] == []


def test_outcomes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    operation = spec["paths"]["/api/v1/outcomes"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"group_by", "kind", "kl_grade", "route", "treated_from", "treated_to"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/OutcomesOut"}
    properties = spec["components"]["schemas"]["OutcomesOut"]["properties"]
    assert set(properties) == FIGURE_FIELDS | {"groups", "logrank_p"}
    assert "/api/v1/treatments/{treatment_id}/outcome-events" in spec["paths"]
