"""Second factors in Chromium: an authenticator app set up from the enrolment page, recovery
codes used once, a passkey registered and used with Chromium's virtual authenticator, and
the second step with JavaScript turned off."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import CDPSession, ConsoleMessage, Page, expect

from tests.factories import PASSWORD, Newsroom, make_staff, second_factor_code
from tests.helpers import admin_login

pytestmark = pytest.mark.browser

#: Chromium's virtual authenticator: a platform passkey that verifies the user and says yes
#: by itself, as a fingerprint reader would.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def _password_step(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/{{verify,enrol}}/**")


def _log_out(page: Page, base_url: str) -> None:
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{base_url}/admin/logout/")


def _code_from_the_secret(page: Page, user: Any) -> str:
    """What an authenticator app fed the typed-in secret shows now."""
    typed = page.locator("code.totp-secret").inner_text()
    secret = typed.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert key == device.bin_key, "the secret shown is the device's"
    number = totp(key, device.step, device.t0, device.digits, device.drift)
    return f"{number:0{device.digits}d}"


def test_a_newcomer_sets_up_an_app_and_a_recovery_code_works_once(
    live_server: Any,
    committed_newsroom: Newsroom,
    page: Page,
    new_page: Callable[[], Page],
    screenshot: Callable[[Page, str], None],
) -> None:
    base = live_server.url
    newcomer = make_staff("newcomer")
    StaticDevice.objects.filter(user=newcomer).delete()

    _password_step(page, base, "newcomer")
    assert page.url.startswith(f"{base}/admin/enrol/")
    expect(page.locator("img.totp-qr")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    screenshot(page, "admin-enrol")
    page.get_by_label("Type the six digits the app shows now:").fill(
        _code_from_the_secret(page, newcomer)
    )
    page.get_by_role("button", name="Confirm the app").click()

    codes = page.locator("ol.codes li code").all_inner_texts()
    assert len(codes) == 10
    assert all(len(code.replace(" ", "")) == 12 for code in codes), codes
    page.get_by_role("link", name="I have kept them: go on").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.locator("#user-tools")).to_contain_text("newcomer")
    assert TOTPDevice.objects.filter(user=newcomer, confirmed=True).count() == 1

    _log_out(page, base)
    _password_step(page, base, "newcomer")
    screenshot(page, "admin-verify")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Go on").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.get_by_text("You used a recovery code; 9 left.")).to_be_visible()

    # The same code in another browser: refused, and that browser stays at the second step.
    other = new_page()
    _password_step(other, base, "newcomer")
    other.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    other.get_by_role("button", name="Go on").click()
    expect(other.get_by_role("alert")).to_contain_text("That code is not right.")
    assert other.url.startswith(f"{base}/admin/verify/")
    other.goto(f"{base}/admin/")
    assert other.url.startswith(f"{base}/admin/verify/")


@dataclass
class Authenticator:
    cdp: CDPSession
    id: str

    def credentials(self) -> list[dict[str, Any]]:
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        return list(answer["credentials"])


@pytest.fixture
def authenticator(page: Page) -> Iterator[Authenticator]:
    """Chromium's virtual authenticator, attached to ``page``."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    yield Authenticator(cdp=cdp, id=added["authenticatorId"])
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": added["authenticatorId"]})
    cdp.send("WebAuthn.disable")


def _watch(page: Page) -> list[str]:
    """The browser's console and the answers of the WebAuthn endpoints, to say what failed."""
    seen: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # The admin pages name no icon, so Chromium asks for /favicon.ico and logs its 404.
        if not message.location.get("url", "").endswith("/favicon.ico"):
            seen.append(f"console {message.type}: {message.text} at {message.location}")

    page.on("console", console)
    page.on(
        "response",
        lambda response: (
            seen.append(f"{response.status} {response.url}: {response.text()[:300]}")
            if "/admin/webauthn/" in response.url and "jsi18n" not in response.url
            else None
        ),
    )
    return seen


def test_a_passkey_is_registered_and_then_proves_the_second_step(
    live_server: Any, committed_newsroom: Newsroom, page: Page, authenticator: Authenticator
) -> None:
    base = live_server.url
    assert base.startswith("http://localhost:"), "WebAuthn needs a secure context"
    seen = _watch(page)
    coordinator = User.objects.get(username="latam_coord")

    admin_login(page, base, "latam_coord")
    page.goto(f"{base}/admin/account/")
    page.get_by_role("button", name="Add a passkey or security key").click()
    status = page.locator("#passkey-register-status-message")
    try:
        expect(status).to_have_text("Registration successful!")
    except AssertionError as exc:
        raise AssertionError(f"registration failed: {status.inner_text()!r}; {seen}") from exc
    credential = WebAuthnCredential.objects.get(user=coordinator)
    assert credential.confirmed
    assert len(authenticator.credentials()) == 1, "the key lives in the authenticator"
    page.reload()
    expect(page.locator("table").get_by_text("Passkey or security key")).to_be_visible()

    _log_out(page, base)
    _password_step(page, base, "latam_coord")
    page.get_by_role("button", name="Use my passkey or security key").click()
    try:
        page.wait_for_url(f"{base}/admin/")
    except AssertionError as exc:
        raise AssertionError(f"the passkey did not verify: {seen}") from exc
    expect(page.locator("#user-tools")).to_contain_text("latam_coord")
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    # The session is verified: a page behind the second step opens.
    page.goto(f"{base}/admin/intake/tip/")
    assert page.url == f"{base}/admin/intake/tip/"
    assert [line for line in seen if line.startswith("console error")] == []


def test_a_newcomer_can_make_a_passkey_the_first_factor_and_still_gets_recovery_codes(
    live_server: Any, committed_newsroom: Newsroom, page: Page, authenticator: Authenticator
) -> None:
    base = live_server.url
    seen = _watch(page)
    keyholder = make_staff("keyholder")
    StaticDevice.objects.filter(user=keyholder).delete()

    _password_step(page, base, "keyholder")
    assert page.url.startswith(f"{base}/admin/enrol/")
    page.get_by_role("button", name="Register a passkey or security key").click()
    status = page.locator("#passkey-register-status-message")
    try:
        expect(status).to_have_text("Registration successful!")
    except AssertionError as exc:
        raise AssertionError(f"registration failed: {status.inner_text()!r}; {seen}") from exc
    page.get_by_role("button", name="Make my recovery codes and go on").click()

    expect(page.locator("ol.codes li code")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: go on").click()
    page.wait_for_url(f"{base}/admin/")
    assert WebAuthnCredential.objects.filter(user=keyholder, confirmed=True).count() == 1
    assert StaticDevice.objects.get(user=keyholder).token_set.count() == 10
    assert not TOTPDevice.objects.filter(user=keyholder, confirmed=True).exists()
    assert [line for line in seen if line.startswith("console error")] == []


def test_without_javascript_the_second_step_takes_a_code(
    live_server: Any, committed_newsroom: Newsroom, page_no_js: Page
) -> None:
    base = live_server.url
    journalist = User.objects.get(username="latam_journalist")
    # A passkey on file: with JavaScript off the page must say why it cannot be used.
    WebAuthnCredential.objects.create(
        user=journalist,
        name="Security key",
        confirmed=True,
        credential_id=b"\x01" * 32,
        public_key=b"\x02" * 77,
        sign_count=0,
    )

    _password_step(page_no_js, base, "latam_journalist")

    expect(page_no_js.get_by_role("button", name="Use my passkey or security key")).to_have_count(0)
    expect(page_no_js.locator("#passkey-verification-placeholder")).to_be_empty()
    # (Chromium with scripting switched off by the test driver does not render <noscript>;
    # a browser with JavaScript off does.)
    assert re.search(
        r"<noscript>.*A passkey needs JavaScript; without it, use a code", page_no_js.content()
    )
    page_no_js.get_by_label("A recovery code").fill(second_factor_code(journalist))
    page_no_js.get_by_role("button", name="Go on").click()
    page_no_js.wait_for_url(f"{base}/admin/")
    expect(page_no_js.locator("#user-tools")).to_contain_text("latam_journalist")
