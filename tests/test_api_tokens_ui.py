"""API tokens in the UI: each person's own, and every token of the clinic for its admins."""

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.account_helpers import submit
from tests.conftest import ApiClient, log_in
from tests.helpers import audit_actions, isolated_client
from tracker.extensions import db
from tracker.models import ApiToken
from tracker.services.api_tokens import issue_token


def test_a_new_token_is_shown_once_and_works(app, logged_in, clinician):
    created = submit(logged_in, "/account/tokens", {"name": "Lab integration"})

    page = created.get_data(as_text=True)
    [token] = re.findall(r'<code id="new-token">(fut_[\w-]+)</code>', page)
    assert created.headers["Cache-Control"] == "no-store"
    assert ApiClient(isolated_client(app), token).get("/api/v1/flags").status_code == 200
    listing = logged_in.get("/account/tokens").get_data(as_text=True)
    assert token not in listing
    assert "Lab integration" in listing
    assert token[:12] in listing
    assert "token.create" in audit_actions()


def test_last_use_is_shown(app, logged_in, clinician):
    token = issue_token(clinician, "Reports")
    db.session.commit()
    assert "Never" in logged_in.get("/account/tokens").get_data(as_text=True)

    ApiClient(isolated_client(app), token).get("/api/v1/flags")

    row = logged_in.get("/account/tokens").get_data(as_text=True)
    row = row[row.index("Reports") :]
    assert "Never" not in row[: row.index("</tr>")]


def test_token_name_is_required_and_one_line(logged_in):
    empty = submit(logged_in, "/account/tokens", {"name": ""})
    broken = submit(logged_in, "/account/tokens", {"name": "a\nb"})

    assert "Name the token" in empty.get_data(as_text=True)
    assert "Must be one line" in broken.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_ones_own_token_stops_it(app, logged_in, clinician):
    token = issue_token(clinician, "Old")
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id))

    response = submit(logged_in, f"/account/tokens/{token_id}/revoke", {}, "/account/tokens")

    assert response.status_code == 303
    assert ApiClient(isolated_client(app), token).get("/api/v1/flags").status_code == 401
    assert "token.revoke" in audit_actions()


def test_nobody_revokes_a_colleagues_token_from_their_own_page(app, logged_in, clinic):
    colleague = factories.UserFactory(clinic=clinic)
    issue_token(colleague, "Theirs")
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id))

    response = submit(logged_in, f"/account/tokens/{token_id}/revoke", {}, "/account/tokens")

    assert response.status_code == 404
    assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_admin_sees_and_revokes_every_token_of_the_clinic(app, admin, clinician, other_clinician):
    token = issue_token(clinician, "Clinician's")
    issue_token(other_clinician, "Elsewhere")
    db.session.commit()
    web = isolated_client(app)
    log_in(web, admin.email)

    page = web.get("/admin/tokens").get_data(as_text=True)
    assert "Clinician&#39;s" in page or "Clinician's" in page
    assert "Elsewhere" not in page
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == clinician.id))
    response = submit(web, f"/admin/tokens/{token_id}/revoke", {}, "/admin/tokens")

    assert response.status_code == 303
    assert ApiClient(isolated_client(app), token).get("/api/v1/flags").status_code == 401


@pytest.mark.parametrize("who", ["clinician", "admin"])
def test_another_clinics_token_answers_404(app, clinic, other_clinician, who):
    issue_token(other_clinician, "Elsewhere")
    db.session.commit()
    me = factories.UserFactory(clinic=clinic, role=who)
    web = isolated_client(app)
    log_in(web, me.email)
    token_id = db.session.scalar(select(ApiToken.id))
    url = "/admin/tokens" if who == "admin" else "/account/tokens"

    response = submit(web, f"{url.replace('/tokens', '')}/tokens/{token_id}/revoke", {}, url)

    assert response.status_code == 404
    assert db.session.scalar(select(ApiToken.revoked_at)) is None
