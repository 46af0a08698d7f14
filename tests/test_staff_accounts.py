"""Staff management by a clinic's admins: invitations by email, roles, deactivation."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.account_helpers import emailed_link, password_step, submit
from tests.conftest import log_in
from tests.helpers import audit_actions, isolated_client
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.extensions import db
from tracker.models import ApiToken, Reminder, StaffInvitation, User
from tracker.services.api_tokens import issue_token

NEW_PASSWORD = "tulips in the harbour at dawn"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_web(app, admin):
    web = isolated_client(app)
    assert log_in(web, admin.email).status_code == 302
    return web


def invite(web, email="kenji@example.org", role="clinician", language="en"):
    return submit(web, "/admin/staff/invite", {"email": email, "role": role, "language": language})


def test_invitation_email_lets_the_colleague_choose_a_password_and_sign_in(
    app, admin_web, admin, smtp_server
):
    response = invite(admin_web, role="admin")
    assert response.status_code == 303
    response.close()  # the web process sends once the answer is out

    link = emailed_link(smtp_server, "kenji@example.org", "/invitation/")
    invitee = isolated_client(app)
    page = invitee.get(link)
    assert page.status_code == 200
    assert "kenji@example.org" in page.get_data(as_text=True)
    response = submit(
        invitee, link, {"name": "Dr Kenji Mori", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 303

    user = db.session.scalar(select(User).where(User.email == "kenji@example.org"))
    assert (user.name, user.role, user.clinic_id, user.language) == (
        "Dr Kenji Mori",
        "admin",
        admin.clinic_id,
        "en",
    )
    assert password_step(invitee, "kenji@example.org", NEW_PASSWORD).status_code == 302
    assert invitee.get("/").status_code == 200
    assert {"staff.invite", "staff.invitation_accepted", "auth.sign_in"} <= set(audit_actions())


def test_invitation_is_in_the_language_the_admin_chose(app, admin_web, smtp_server):
    invite(admin_web, email="yui@example.jp", language="ja").close()

    [message] = smtp_server.to("yui@example.jp")
    assert "招待" in message["Subject"]
    link = emailed_link(smtp_server, "yui@example.jp", "/invitation/")
    assert "パスワード" in isolated_client(app).get(link).get_data(as_text=True)


def test_invitation_link_works_once(app, admin_web, smtp_server):
    invite(admin_web).close()
    link = emailed_link(smtp_server, "kenji@example.org", "/invitation/")
    form = {"name": "Kenji", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(isolated_client(app), link, form).status_code == 303

    assert isolated_client(app).get(link).status_code == 410


def test_invitation_link_expires_after_72_hours(app, admin, smtp_server):
    with time_machine.travel(NOW, tick=False):
        web = isolated_client(app)
        log_in(web, admin.email)
        invite(web).close()
    link = emailed_link(smtp_server, "kenji@example.org", "/invitation/")

    with time_machine.travel(NOW + timedelta(hours=71, minutes=59), tick=False):
        assert isolated_client(app).get(link).status_code == 200
    with time_machine.travel(NOW + timedelta(hours=72), tick=False):
        assert isolated_client(app).get(link).status_code == 410


def test_a_new_invitation_replaces_the_earlier_link(app, admin_web, smtp_server):
    invite(admin_web).close()
    first = emailed_link(smtp_server, "kenji@example.org", "/invitation/")
    invite(admin_web, role="admin").close()
    second = emailed_link(smtp_server, "kenji@example.org", "/invitation/")

    assert first != second
    assert isolated_client(app).get(first).status_code == 410
    assert isolated_client(app).get(second).status_code == 200


def test_invitation_refuses_an_address_with_an_account_and_bad_input(admin_web, clinician):
    taken = invite(admin_web, email=clinician.email)
    bad = invite(admin_web, email="not an address", role="owner")

    assert "already has an account" in taken.get_data(as_text=True)
    assert bad.status_code == 200
    assert db.session.scalar(select(StaffInvitation)) is None
    assert db.session.scalar(select(Reminder)) is None


def test_invitee_name_must_be_one_line_and_password_follow_the_policy(app, admin_web, smtp_server):
    invite(admin_web).close()
    link = emailed_link(smtp_server, "kenji@example.org", "/invitation/")
    web = isolated_client(app)

    broken = submit(
        web, link, {"name": "Ken\r\nBcc: x", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    common = submit(
        web, link, {"name": "Ken", "password": "qwertyuiop123", "confirm": "qwertyuiop123"}
    )
    short = submit(web, link, {"name": "Ken", "password": "short pass", "confirm": "short pass"})

    assert "Must be one line" in broken.get_data(as_text=True)
    assert "most common" in common.get_data(as_text=True)
    assert "at least 12 characters" in short.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "kenji@example.org")) is None
    assert web.get(link).status_code == 200  # the link is still good


def test_staff_list_shows_role_language_last_sign_in_and_two_factor(admin_web, admin, clinic):
    factories.UserFactory(
        clinic=clinic,
        name="Dr Yamada",
        language="ja",
        totp_secret="A" * 32,
        totp_enabled_at=NOW,
    )
    factories.UserFactory(clinic=factories.ClinicFactory(), name="Dr Elsewhere")

    page = admin_web.get("/admin/staff").get_data(as_text=True)

    assert "Dr Yamada" in page and "日本語" in page
    assert "Dr Elsewhere" not in page
    row = page[page.index("Dr Yamada") :]
    row = row[: row.index("</tr>")]
    assert "Never" in row and ">On<" in row


def test_clinicians_cannot_reach_staff_pages(logged_in):
    assert logged_in.get("/admin/staff").status_code == 403
    assert logged_in.get("/admin/tokens").status_code == 403


def test_admin_changes_a_role(admin_web, clinician):
    response = submit(
        admin_web, f"/admin/staff/{clinician.id}/role", {"role": "admin"}, "/admin/staff"
    )

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, clinician.id).role == "admin"
    assert "staff.role" in audit_actions()


def test_deactivation_ends_sessions_and_tokens_at_once(app, admin_web, clinician):
    colleague = isolated_client(app)
    assert log_in(colleague, clinician.email).status_code == 302
    token = issue_token(clinician)
    db.session.commit()
    api = isolated_client(app)
    assert api.get("/api/v1/flags", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    response = submit(admin_web, f"/admin/staff/{clinician.id}/deactivate", {}, "/admin/staff")

    assert response.status_code == 303
    assert colleague.get("/").status_code == 302
    assert api.get("/api/v1/flags", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    assert log_in(isolated_client(app), clinician.email).status_code == 200  # refused

    submit(admin_web, f"/admin/staff/{clinician.id}/reactivate", {}, "/admin/staff")
    assert log_in(isolated_client(app), clinician.email).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None  # tokens stay revoked
    assert {"staff.deactivate", "staff.reactivate"} <= set(audit_actions())


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, admin_web, admin, clinic):
    second = factories.UserFactory(clinic=clinic, role="admin", email="second@example.org")
    demoted = submit(
        admin_web, f"/admin/staff/{second.id}/role", {"role": "clinician"}, "/admin/staff"
    )
    assert demoted.status_code == 303

    own = submit(admin_web, f"/admin/staff/{admin.id}/role", {"role": "clinician"}, "/admin/staff")
    page = admin_web.get("/admin/staff").get_data(as_text=True)
    assert own.status_code == 303
    assert "last active admin" in page
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"

    # Another admin, then the first leaves: the one left cannot be deactivated by anyone.
    submit(admin_web, f"/admin/staff/{second.id}/role", {"role": "admin"}, "/admin/staff")
    second_web = isolated_client(app)
    log_in(second_web, second.email)
    submit(second_web, f"/admin/staff/{admin.id}/deactivate", {}, "/admin/staff")
    db.session.expire_all()
    assert not db.session.get(User, admin.id).active
    # An inactive admin does not count as one.
    factories.UserFactory(clinic=clinic, role="admin", active=False, email="third@example.org")
    refused = submit(
        second_web, f"/admin/staff/{second.id}/role", {"role": "clinician"}, "/admin/staff"
    )
    assert refused.status_code == 303
    assert "is the clinic's last active admin." in unescape(second_web.get("/admin/staff").text)
    db.session.expire_all()
    assert db.session.get(User, second.id).role == "admin"


def test_an_admin_cannot_deactivate_themselves(admin_web, admin, clinic):
    factories.UserFactory(clinic=clinic, role="admin")
    refused = submit(admin_web, f"/admin/staff/{admin.id}/deactivate", {}, "/admin/staff")

    assert refused.status_code == 303
    assert "You cannot deactivate your own account." in unescape(admin_web.get("/admin/staff").text)
    db.session.expire_all()
    assert db.session.get(User, admin.id).active


def test_create_user_takes_a_language(runner, clinic):
    result = runner.invoke(
        args=[
            "create-user",
            "ja@example.jp",
            "--clinic",
            clinic.name,
            "--language",
            "ja",
            "--password-stdin",
        ],
        input="maple leaves over the river\n",
    )

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.language).where(User.email == "ja@example.jp")) == "ja"


def test_create_user_refuses_a_common_password(runner, clinic):
    result = runner.invoke(
        args=["create-user", "x@example.jp", "--clinic", clinic.name, "--password-stdin"],
        input="qwertyuiop123\n",
    )

    assert result.exit_code == 1
    assert "most common" in result.output
