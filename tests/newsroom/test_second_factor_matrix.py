"""Role by URL matrix of the login's second step.

A staff member who gave the right password but has not proved a second factor
must see nothing: every staff page sends them to the second step (or, with no
factor at all, to enrolment), the answer carries no tip text, reference,
fingerprint or key material, and no POST changes anything. The same URLs opened
after the second step are the positive control: they work, so a redirect is
never an artefact of a broken page. Then the second step itself: recovery codes
work once and are audited, a wrong code is refused plainly, wrong app codes make
the next try wait, and nobody who is not logged in learns anything from it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from intake.models import Desk, DeskKey, Message, Tip
from intake.selectors import desk_key_active
from newsroom.models import (
    AuditEvent,
    DeskKeyGrant,
    DeskMembership,
    FollowUp,
    FollowUpComment,
    Note,
    Notification,
    PersonalKey,
    StaffSession,
)
from newsroom.services.desks import desk_member_add
from newsroom.unsealing import desk_private_key_from_recovery
from tests.factories import (
    PASSWORD,
    TEST_CODES,
    Newsroom,
    logged_in_client,
    make_staff,
    password_only_client,
    second_factor_code,
)
from tests.helpers import (
    QUEUE,
    accepted_tip,
    assign,
    message_to_reader,
    unlocked_key_of,
)

#: Three desk roles and an administrator on no desk.
ROLES = ["editor", "latam_coord", "latam_journalist", "boss"]
VERIFY = "/admin/verify/"
ENROL = "/admin/enrol/"


@dataclass
class Scene:
    newsroom: Newsroom
    tip: Tip
    fresh_tip: Tip
    followup: FollowUp
    pending: Any
    #: Text no unverified session may ever see: tip content, references, fingerprints,
    #: private keys (raw forms as a page could leak them), recovery codes.
    secrets: list[str] = field(default_factory=list)

    @property
    def latam(self) -> Desk:
        return self.newsroom.latam

    def user(self, name: str) -> Any:
        return User.objects.get(username=name)


def _key_forms(key: bytes) -> list[str]:
    return [
        key.hex(),
        base64.b64encode(key).decode()[:24],
        base64.urlsafe_b64encode(key).decode()[:24],
    ]


@pytest.fixture
def scene(newsroom: Newsroom) -> Scene:
    newsroom.users["boss"] = make_staff("boss", is_superuser=True)
    tip = accepted_tip(newsroom, "TIPBODY-HARBOUR-CASH", desk=newsroom.latam)
    fresh = newsroom.submit("NEWTIP-BRIDGE-TENDER", desk=newsroom.latam).tip
    followup = assign(newsroom, tip, brief="BRIEF-CALL-THE-PORT")
    message_to_reader(newsroom, tip, "MESSAGE-TO-THE-READER")
    pending = make_staff("newcomer")
    desk_member_add(desk=newsroom.latam, user=pending, role="journalist", actor=None)
    desk_key = desk_private_key_from_recovery(
        desk_key=desk_key_active(newsroom.latam),
        recovery_private_key=newsroom.recovery.private_key,
    )
    secrets = [
        "TIPBODY-HARBOUR-CASH",
        "NEWTIP-BRIDGE-TENDER",
        "BRIEF-CALL-THE-PORT",
        "MESSAGE-TO-THE-READER",
        tip.reference,
        fresh.reference,
        *(personal.fingerprint for personal in PersonalKey.objects.all()),
        *_key_forms(desk_key),
        *_key_forms(newsroom.recovery.private_key),
        *(form for user in newsroom.users.values() for form in _key_forms(unlocked_key_of(user))),
    ]
    return Scene(
        newsroom=newsroom,
        tip=tip,
        fresh_tip=fresh,
        followup=followup,
        pending=pending,
        secrets=secrets,
    )


def _leaks(response: Any, scene: Scene) -> list[str]:
    """The secrets found in a response's body or its redirect address."""
    text = response.content.decode() + response.get("Location", "")
    codes = StaticToken.objects.values_list("token", flat=True)
    return [secret for secret in [*scene.secrets, *codes] if secret and secret in text]


def _without_factors(username: str) -> None:
    StaticDevice.objects.filter(user__username=username).delete()
    TOTPDevice.objects.filter(user__username=username).delete()


# --- the pages -------------------------------------------------------------------------------

UrlCase = Callable[[Scene], str]
#: name -> (address, status after the second step for editor, latam_coord, latam_journalist,
#: boss). The statuses pin what each role may open, so the positive control means something.
GET_URLS: dict[str, tuple[UrlCase, tuple[int, int, int, int]]] = {
    "admin index": (lambda s: "/admin/", (200, 200, 200, 200)),
    "tip queue": (lambda s: QUEUE, (200, 200, 200, 200)),
    "tip queue, filtered": (lambda s: f"{QUEUE}?status=all&desk={s.latam.pk}", (200,) * 4),
    # The administrator on no desk reads no tips: Django's "no such object" redirect.
    "tip page": (lambda s: f"{QUEUE}{s.tip.pk}/change/", (200, 200, 200, 302)),
    "tip conversation": (lambda s: f"{QUEUE}{s.tip.pk}/conversation/", (200, 200, 200, 404)),
    "desk list": (lambda s: "/admin/intake/desk/", (200, 200, 200, 200)),
    # The editors' desk is not Latin America: they are sent back to the index.
    "desk page": (lambda s: f"/admin/intake/desk/{s.latam.pk}/change/", (302, 200, 200, 200)),
    "follow-up list": (
        lambda s: "/admin/newsroom/followup/?assigned=all&state=any",
        (200, 200, 200, 403),
    ),
    "follow-up page": (
        lambda s: f"/admin/newsroom/followup/{s.followup.pk}/change/",
        (404, 200, 200, 404),
    ),
    "desk inbox": (lambda s: "/admin/newsroom/followup/inbox/", (403, 200, 403, 403)),
    "overview": (lambda s: "/admin/newsroom/followup/overview/", (403, 200, 403, 403)),
    "audit trail": (lambda s: "/admin/newsroom/auditevent/", (200, 200, 403, 200)),
    "users": (lambda s: "/admin/auth/user/", (403, 403, 403, 200)),
    "account page": (lambda s: "/admin/account/", (200, 200, 200, 200)),
    "password change": (lambda s: "/admin/password_change/", (200, 200, 200, 200)),
    "grant page": (
        lambda s: f"/admin/intake/desk/{s.latam.pk}/members/{s.pending.pk}/grant/",
        (404, 200, 403, 200),
    ),
    "autocomplete": (
        lambda s: "/admin/autocomplete/?app_label=intake&model_name=tip&field_name=desk&term=",
        (200, 200, 200, 200),
    ),
}

#: What the positive control must show, to prove the page really opened for its readers.
SHOWN_WHEN_VERIFIED: dict[str, Callable[[Scene], str]] = {
    "tip page": lambda s: "TIPBODY-HARBOUR-CASH",
    "tip conversation": lambda s: "MESSAGE-TO-THE-READER",
    "follow-up page": lambda s: "BRIEF-CALL-THE-PORT",
    "account page": lambda s: PersonalKey.objects.get(user=s.user("latam_coord")).fingerprint,
    "grant page": lambda s: PersonalKey.objects.get(user=s.pending).fingerprint,
}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(GET_URLS))
def test_every_staff_page_sends_an_unverified_session_to_the_second_step(
    scene: Scene, username: str, case: str
) -> None:
    client = password_only_client(username)
    url = GET_URLS[case][0](scene)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?{urlencode({'next': url})}"
    assert _leaks(response, scene) == []
    # The second step's own page shows nothing of what lies behind it either.
    step = client.get(response["Location"])
    assert step.status_code == 200
    assert _leaks(step, scene) == []
    assert 'name="next" value="' + url.replace("&", "&amp;") + '"' in step.content.decode()


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(GET_URLS))
def test_a_member_without_any_factor_sees_only_the_enrolment(
    scene: Scene, username: str, case: str
) -> None:
    _without_factors(username)
    client = password_only_client(username)
    url = GET_URLS[case][0](scene)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?{urlencode({'next': url})}"
    assert _leaks(response, scene) == []
    # Not the second step either: there is nothing to prove yet.
    assert client.get(VERIFY)["Location"].startswith(ENROL)
    enrolment = client.get(response["Location"])
    assert enrolment.status_code == 200
    assert "totp-secret" in enrolment.content.decode()
    assert _leaks(enrolment, scene) == []


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(GET_URLS))
def test_the_same_pages_open_after_the_second_step(scene: Scene, username: str, case: str) -> None:
    build, statuses = GET_URLS[case]
    client = logged_in_client(username)

    response = client.get(build(scene))

    assert response.status_code == statuses[ROLES.index(username)]
    assert not response.get("Location", "").startswith((VERIFY, ENROL))
    shown = SHOWN_WHEN_VERIFIED.get(case)
    if shown is not None and response.status_code == 200 and case != "account page":
        assert shown(scene) in response.content.decode()
    if case == "account page" and username == "latam_coord":
        assert shown is not None
        assert shown(scene) in response.content.decode()


# --- the state-changing requests -------------------------------------------------------------


def _snapshot() -> dict[str, Any]:
    """Everything a staff POST could change."""
    return {
        "tips": sorted(Tip.objects.values_list("pk", "status", "claimed_by_id", "desk_id")),
        "notes": Note.objects.count(),
        "messages": Message.objects.count(),
        "followups": sorted(FollowUp.objects.values_list("pk", "status", "assignee_id")),
        "comments": FollowUpComment.objects.count(),
        "memberships": sorted(DeskMembership.objects.values_list("desk_id", "user_id", "role")),
        "grants": sorted(DeskKeyGrant.objects.values_list("pk", flat=True)),
        "desk keys": DeskKey.objects.count(),
        "personal keys": sorted(PersonalKey.objects.values_list("user_id", "public_key")),
        "passwords": sorted(User.objects.values_list("pk", "password")),
        "codes": sorted(StaticToken.objects.values_list("device_id", "token")),
        "devices": (
            sorted(StaticDevice.objects.values_list("pk", flat=True)),
            sorted(TOTPDevice.objects.filter(confirmed=True).values_list("pk", flat=True)),
            sorted(WebAuthnCredential.objects.values_list("pk", flat=True)),
        ),
        "sessions": sorted(StaffSession.objects.values_list("session_key", flat=True)),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


PostCase = Callable[[Scene, str], tuple[str, dict[str, Any]]]
#: name -> (request, a role that may make it once verified: the positive control).
POSTS: dict[str, tuple[PostCase, str]] = {
    "tip claim": (lambda s, u: (f"{QUEUE}{s.fresh_tip.pk}/claim/", {}), "editor"),
    "tip transition": (
        lambda s, u: (
            f"{QUEUE}{s.fresh_tip.pk}/transition/",
            {"to_status": "spam", "reason": "", "duplicate_of": ""},
        ),
        "editor",
    ),
    "tip note": (lambda s, u: (f"{QUEUE}{s.tip.pk}/note/", {"text": "A sneaky note"}), "editor"),
    "queue bulk action": (
        lambda s, u: (
            f"{QUEUE}?status=all",
            {"action": "mark_spam", "_selected_action": [str(s.fresh_tip.pk)]},
        ),
        "editor",
    ),
    "message to the reader": (
        lambda s, u: (f"{QUEUE}{s.tip.pk}/conversation/", {"body": "Call us"}),
        "editor",
    ),
    "follow-up status": (
        lambda s, u: (f"/admin/newsroom/followup/{s.followup.pk}/status/", {"status": "done"}),
        "latam_journalist",
    ),
    "desk member add": (
        lambda s, u: (
            f"/admin/intake/desk/{s.latam.pk}/members/add/",
            {"user": s.user("europe_journalist").pk, "role": "journalist"},
        ),
        "latam_coord",
    ),
    "grant": (
        lambda s, u: (
            f"/admin/intake/desk/{s.latam.pk}/members/{s.pending.pk}/grant/",
            {
                "compared": "on",
                "digits": PersonalKey.objects.get(user=s.pending).fingerprint.split()[-1],
            },
        ),
        "latam_coord",
    ),
    "recovery codes": (lambda s, u: ("/admin/account/recovery-codes/", {}), "latam_journalist"),
    "factor removal": (
        lambda s, u: (
            "/admin/account/factors/codes/"
            f"{StaticDevice.objects.get(user__username=u, name=TEST_CODES).pk}/remove/",
            {},
        ),
        "latam_journalist",
    ),
    "log out everywhere": (lambda s, u: ("/admin/account/sessions/end/", {}), "editor"),
    "ask for a new desk key": (
        lambda s, u: (f"/admin/account/desks/{s.latam.pk}/ask-rotation/", {}),
        "latam_journalist",
    ),
    "password change": (
        lambda s, u: (
            "/admin/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a whole new passphrase for the test",
                "new_password2": "a whole new passphrase for the test",
            },
        ),
        "latam_journalist",
    ),
    "reset someone's factors": (
        lambda s, u: (
            "/admin/auth/user/",
            {"action": "reset_second_factors", "_selected_action": [str(s.pending.pk)]},
        ),
        "boss",
    ),
}


def _another_session_of(username: str) -> None:
    """A second login of the same person, so that "log out everywhere" has one to end."""
    password_only_client(username)


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(POSTS))
@pytest.mark.parametrize("factor", ["with a factor", "without any factor"])
def test_no_post_changes_anything_before_the_second_step(
    scene: Scene, username: str, case: str, factor: str
) -> None:
    if factor == "without any factor":
        _without_factors(username)
    client = password_only_client(username)
    _another_session_of(username)
    # Without a factor there is nothing of one's own to remove: aim at a colleague's codes.
    owner = username if factor == "with a factor" else "europe_journalist"
    url, data = POSTS[case][0](scene, owner)
    before = _snapshot()

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == (VERIFY if factor == "with a factor" else ENROL)
    assert _leaks(response, scene) == []
    assert _snapshot() == before


@pytest.mark.parametrize("case", list(POSTS))
def test_the_same_posts_work_after_the_second_step(scene: Scene, case: str) -> None:
    build, username = POSTS[case]
    client = logged_in_client(username)
    _another_session_of(username)
    url, data = build(scene, username)
    before = _snapshot()

    response = client.post(url, data)

    assert response.status_code in {200, 302}
    assert not response.get("Location", "").startswith((VERIFY, ENROL))
    assert _snapshot() != before


def test_a_passkey_cannot_be_registered_before_the_second_step(scene: Scene) -> None:
    """django-otp-webauthn's own check: someone with only the password cannot add a key."""
    client = password_only_client("latam_coord")
    before = _snapshot()

    response = client.post("/admin/webauthn/registration/begin/", content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "user_not_verified"
    assert "otp_webauthn_register_state" not in client.session
    assert _snapshot() == before


# --- the second step itself ------------------------------------------------------------------


def _is_verified(client: Client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


def _error(response: Any) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_a_recovery_code_works_once(scene: Scene) -> None:
    user = scene.user("latam_journalist")
    code = second_factor_code(user)
    first = password_only_client("latam_journalist")
    assert first.post(VERIFY, {"code": code})["Location"] == "/admin/"
    assert _is_verified(first)

    second = password_only_client("latam_journalist")
    again = second.post(VERIFY, {"code": code})

    assert again.status_code == 400
    assert _error(again) == (
        "That code is not right. Type the code your app shows now, or a recovery code."
    )
    assert code not in again.content.decode(), "a refused code is not shown again"
    assert not _is_verified(second)
    assert second.get("/admin/")["Location"].startswith(VERIFY)


def test_a_recovery_code_use_is_audited_without_the_code(scene: Scene) -> None:
    user = scene.user("latam_coord")
    code = second_factor_code(user)
    client = password_only_client("latam_coord")

    client.post(VERIFY, {"code": code})

    used = AuditEvent.objects.get(action=AuditEvent.Action.RECOVERY_CODE_USED)
    assert (used.actor, used.subject_user) == (user, user)
    assert code not in used.detail
    assert used.detail == "0 left"


def test_a_recovery_code_is_accepted_as_shown_in_groups_and_any_case(scene: Scene) -> None:
    user = scene.user("editor")
    code = second_factor_code(user)
    client = password_only_client("editor")

    shown = " ".join(code[i : i + 4] for i in range(0, len(code), 4)).upper()
    response = client.post(VERIFY, {"code": shown})

    assert response["Location"] == "/admin/"
    assert _is_verified(client)


def test_a_wrong_code_is_refused_plainly(scene: Scene) -> None:
    client = password_only_client("editor")

    response = client.post(VERIFY, {"code": "nothing like a code"})

    assert response.status_code == 400
    assert "That code is not right" in _error(response)
    assert "nothing like a code" not in response.content.decode()
    assert not _is_verified(client)


def _app_of(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    number = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{number:0{device.digits}d}"


def test_after_a_wrong_app_code_an_immediate_retry_waits_and_nothing_is_checked(
    scene: Scene,
) -> None:
    user = scene.user("latam_coord")
    device = _app_of(user)
    start = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        client = password_only_client("latam_coord")
        right = _code_now(device)
        wrong = f"{(int(right) + 1) % 10**6:06d}"

        refused = client.post(VERIFY, {"code": wrong})
        assert refused.status_code == 400
        assert "That code is not right" in _error(refused)

        retry = client.post(VERIFY, {"code": right})
        assert retry.status_code == 400
        assert "Too many wrong codes in a row" in _error(retry)
        assert "Nothing was checked" in _error(retry)
        device.refresh_from_db()
        assert device.throttling_failure_count == 1, "the throttled try was not counted"
        assert device.last_t == -1, "the right code was not checked, so not spent"
        assert not _is_verified(client)

    # After the wait (one second for the first wrong code) the right code works.
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        done = client.post(VERIFY, {"code": _code_now(device)})
        assert done.status_code == 302
        assert _is_verified(client)
        device.refresh_from_db()
        assert device.throttling_failure_count == 0


def test_an_app_code_works_once_in_its_time_step(scene: Scene) -> None:
    user = scene.user("latam_journalist")
    device = _app_of(user)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC), tick=False):
        code = _code_now(device)
        first = password_only_client("latam_journalist")
        assert first.post(VERIFY, {"code": code}).status_code == 302
        second = password_only_client("latam_journalist")
        replay = second.post(VERIFY, {"code": code})
        assert replay.status_code == 400
        assert not _is_verified(second)


def test_the_second_step_asks_for_an_app_code_only_of_those_who_have_an_app(
    scene: Scene,
) -> None:
    page = password_only_client("editor").get(VERIFY).content.decode()
    assert "A recovery code" in page
    assert "Use my passkey or security key" not in page
    _app_of(scene.user("latam_coord"))
    page = password_only_client("latam_coord").get(VERIFY).content.decode()
    assert "Code from your authenticator app, or a recovery code" in page


def test_the_second_step_tells_nobody_who_is_not_logged_in_anything(scene: Scene) -> None:
    anonymous = Client()

    for response in (
        anonymous.get(VERIFY),
        anonymous.post(VERIFY, {"code": second_factor_code(scene.user("editor"))}),
        anonymous.get(ENROL),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
        assert response.content == b""
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RECOVERY_CODE_USED).exists()


def test_the_second_step_never_sends_anyone_to_another_site(scene: Scene) -> None:
    client = password_only_client("editor")
    code = second_factor_code(scene.user("editor"))

    response = client.post(f"{VERIFY}?next=https://evil.example/", {"code": code})

    assert response["Location"] == "/admin/"


def test_the_page_asked_for_comes_back_whole_after_the_second_step(scene: Scene) -> None:
    client = password_only_client("latam_coord")
    wanted = "/admin/newsroom/followup/?assigned=all&state=any"
    step = client.get(wanted)["Location"]
    code = second_factor_code(scene.user("latam_coord"))

    response = client.post(step, {"code": code})

    assert response["Location"] == wanted


def test_the_unlocked_key_cookie_is_never_the_page(scene: Scene) -> None:
    """The cookie half of the unlocked key never shows up in an unverified page either."""
    client = password_only_client("latam_coord")
    cookie = client.cookies[settings.PISTA_UNLOCKED_KEY_COOKIE].value
    for build, _statuses in GET_URLS.values():
        response = client.get(build(scene), follow=True)
        assert cookie not in response.content.decode()


def test_a_member_without_a_factor_keeps_the_page_asked_for_through_enrolment(
    scene: Scene,
) -> None:
    _without_factors("latam_coord")
    client = password_only_client("latam_coord")
    wanted = "/admin/newsroom/followup/?assigned=all&state=any"

    response = client.get(f"{VERIFY}?{urlencode({'next': wanted})}")

    assert response["Location"] == f"{ENROL}?{urlencode({'next': wanted})}"
    page = client.get(response["Location"]).content.decode()
    assert f'name="next" value="{wanted.replace("&", "&amp;")}"' in page


def test_codes_made_from_the_enrolment_page_go_on_to_the_page_asked_for(scene: Scene) -> None:
    client = logged_in_client("latam_journalist")
    wanted = "/admin/intake/tip/"

    from_enrolment = client.post("/admin/account/recovery-codes/", {"next": wanted})
    from_account = client.post("/admin/account/recovery-codes/")

    assert f'href="{wanted}"' in from_enrolment.content.decode()
    assert 'href="/admin/account/"' in from_account.content.decode()
    assert "no-store" in from_enrolment["Cache-Control"]
