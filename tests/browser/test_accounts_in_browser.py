"""An admin invites a colleague, who joins from the emailed link and turns on two-factor sign-in."""

import re

import pyotp
import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import UserFactory
from tracker.timeutil import now_utc

pytestmark = pytest.mark.browser
PASSWORD = "paper cranes over the bay"


def test_invitation_and_two_factor_enrolment(app, page, live_server, smtp_server, clinic, backend):
    admin = UserFactory(clinic=clinic, email="admin@example.org", name="Admin Abe", role="admin")
    app.config["PUBLIC_BASE_URL"] = live_server
    try:
        sign_in(page, live_server, admin.email)
        page.click("text=Staff")
        page.click("text=Invite a colleague")
        page.fill("#email", "kenji@example.org")
        page.select_option("#role", "clinician")
        page.select_option("#language", "en")
        screenshot(page, f"accounts-invite-form-{backend}")
        page.click("main button.primary")
        page.wait_for_url(f"{live_server}/admin/staff")
        assert "Invitation sent to kenji@example.org" in page.locator("body").inner_text()
        screenshot(page, f"accounts-staff-list-{backend}")
        for _ in range(50):
            if smtp_server.to("kenji@example.org"):
                break
            page.wait_for_timeout(100)
        [message] = smtp_server.to("kenji@example.org")
        text = message.get_body(preferencelist=("plain",)).get_content()
        [link] = re.findall(re.escape(live_server) + r"/invitation/[\w.-]+", text)
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://tracker.test"

    invitee = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    colleague = invitee.new_page()
    colleague.set_default_timeout(10_000)
    try:
        colleague.goto(link)
        colleague.fill("#name", "Dr Kenji Mori")
        colleague.fill("#password", PASSWORD)
        colleague.fill("#confirm", PASSWORD)
        screenshot(colleague, f"accounts-accept-invitation-{backend}")
        colleague.click("main button.primary")
        colleague.wait_for_url(f"{live_server}/login")
        sign_in(colleague, live_server, "kenji@example.org", PASSWORD)

        colleague.click("text=Dr Kenji Mori")
        colleague.click("text=Set up two-factor sign-in")
        assert colleague.locator(".qr-code svg").count() == 1
        screenshot(colleague, f"accounts-two-factor-qr-{backend}")
        secret = colleague.locator("#totp-secret").inner_text().strip()
        colleague.fill("#code", pyotp.TOTP(secret).at(now_utc()))
        colleague.click("main button.primary")
        codes = colleague.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        screenshot(colleague, f"accounts-recovery-codes-{backend}")
        colleague.click("text=I have kept them: continue")
        assert "On since" in colleague.locator("#two-factor").inner_text()
    finally:
        invitee.close()
