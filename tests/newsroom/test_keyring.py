"""PersonalKey flows: login unlocks, logout destroys, password change keeps, reset withdraws."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from intake import crypto
from intake.selectors import desk_key_active
from newsroom.models import AuditEvent, DeskKeyGrant, PersonalKey
from newsroom.services.desk_keys import desk_key_grant
from newsroom.services.personal_keys import personal_key_unlock
from newsroom.unlocked_key import SESSION_FIELD, unlocked_key
from newsroom.unsealing import (
    desk_private_key_from_grant,
    desk_private_key_from_recovery,
    tip_content_key,
)
from tests.factories import PASSWORD, Newsroom, logged_in_client, make_staff

NEW_PASSWORD = "a brand new passphrase 2026"


def _tip_page(client: Client, tip_id: object) -> bytes:
    return client.get(f"/admin/intake/tip/{tip_id}/change/").content


def test_login_sets_the_split_keyring_cookie_with_strict_flags(newsroom: Newsroom) -> None:
    client = Client()
    response = client.post("/admin/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["pista_key"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert not cookie["max-age"], "the key must not outlive the browser session"
    assert SESSION_FIELD in client.session


def test_session_half_alone_does_not_hold_the_private_key(newsroom: Newsroom) -> None:
    client = logged_in_client("editor")
    stored = base64.b64decode(client.session[SESSION_FIELD])
    keyring = PersonalKey.objects.get(user=newsroom.users["editor"])
    private_key = personal_key_unlock(user=newsroom.users["editor"], password=PASSWORD)
    assert private_key not in stored
    assert bytes(keyring.public_key) not in stored
    # Without the cookie's key, the session blob cannot be opened.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(stored, crypto.new_content_key(), label=b"session-keyring:v1:1")


def test_login_unlocks_and_the_editor_can_read(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Unlocked reading works", desk=newsroom.latam).tip
    page = _tip_page(logged_in_client("editor"), tip.pk)
    assert b"Unlocked reading works" in page


def test_without_the_cookie_half_the_tip_is_locked(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Needs both halves", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    del client.cookies["pista_key"]
    page = _tip_page(client, tip.pk)
    assert b"Needs both halves" not in page
    assert b"This tip is locked for you" in page
    assert b"not unlocked" in page


def test_a_tampered_cookie_locks_rather_than_crashes(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Tampered cookie", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    client.cookies["pista_key"] = base64.urlsafe_b64encode(b"x" * 32).decode()
    response = client.get(f"/admin/intake/tip/{tip.pk}/change/")
    assert response.status_code == 200
    assert b"This tip is locked for you" in response.content


def test_logout_destroys_both_halves(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Gone at logout", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    cookie_value = client.cookies["pista_key"].value
    session_key = client.session.session_key
    response = client.post("/admin/logout/")
    assert response.cookies["pista_key"].value == ""  # deleted in the browser
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    # Replaying the old cookie on a new login session gives nothing: the blob is gone.
    client.cookies["pista_key"] = cookie_value
    assert b"Gone at logout" not in _tip_page(client, tip.pk)


def test_expired_session_cannot_unlock(newsroom: Newsroom, rf) -> None:
    client = logged_in_client("editor")
    session = client.session
    session.flush()  # what expiry does to the server half
    request = rf.get("/admin/")
    request.user = newsroom.users["editor"]
    request.session = session
    request.COOKIES["pista_key"] = client.cookies["pista_key"].value
    assert unlocked_key(request) is None


def test_own_password_change_keeps_access(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Still readable after change", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # The running session keeps working, and so does a fresh login with the new password.
    assert b"Still readable after change" in _tip_page(client, tip.pk)
    fresh = logged_in_client("latam_journalist", NEW_PASSWORD)
    assert b"Still readable after change" in _tip_page(fresh, tip.pk)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_KEY_REWRAPPED).exists()
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_with_password(
            bytes(
                PersonalKey.objects.get(user=newsroom.users["latam_journalist"]).wrapped_private_key
            ),
            PASSWORD,
            label=f"personal-key:v1:{newsroom.users['latam_journalist'].pk}".encode(),
        )


def test_admin_reset_removes_access_until_regranted_by_recovery(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Reset removes access", desk=newsroom.latam).tip
    journalist = newsroom.users["latam_journalist"]
    admin = make_staff("root", is_superuser=True)
    admin_client = logged_in_client("root")

    form_page = admin_client.get(f"/admin/auth/user/{journalist.pk}/password/")
    assert b"They lose access to every desk" in form_page.content
    response = admin_client.post(
        f"/admin/auth/user/{journalist.pk}/password/",
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert not DeskKeyGrant.objects.filter(user=journalist).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_KEY_RESET)
    assert event.actor == admin
    assert event.subject_user == journalist

    after_reset = logged_in_client("latam_journalist", NEW_PASSWORD)
    page = _tip_page(after_reset, tip.pk)
    assert b"Reset removes access" not in page
    assert b"no copy of the Latin America desk key" in page

    desk_key = desk_key_active(newsroom.latam)
    desk_private = desk_private_key_from_recovery(
        desk_key=desk_key, recovery_private_key=newsroom.recovery.private_key
    )
    desk_key_grant(desk=newsroom.latam, user=journalist, desk_private_key=desk_private, actor=None)
    assert b"Reset removes access" in _tip_page(after_reset, tip.pk)


def test_a_member_with_an_unlocked_key_can_regrant(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Granted by a colleague", desk=newsroom.latam).tip
    journalist = newsroom.users["latam_journalist"]
    from newsroom.services.personal_keys import personal_key_reset

    new_personal = personal_key_reset(user=journalist, new_password=NEW_PASSWORD, actor=None)
    assert new_personal is not None
    with pytest.raises(Exception, match="no copy"):
        tip_content_key(tip=tip, user=journalist, personal_private_key=new_personal)
    coordinator = newsroom.users["latam_coord"]
    coord_personal = personal_key_unlock(user=coordinator, password=PASSWORD)
    desk_private = desk_private_key_from_grant(
        desk_key=desk_key_active(newsroom.latam),
        user=coordinator,
        personal_private_key=coord_personal,
    )
    desk_key_grant(
        desk=newsroom.latam, user=journalist, desk_private_key=desk_private, actor=coordinator
    )
    assert tip_content_key(tip=tip, user=journalist, personal_private_key=new_personal)


def test_password_changed_outside_pista_gives_a_new_key_at_login(newsroom: Newsroom) -> None:
    journalist = newsroom.users["latam_journalist"]
    old_public = bytes(PersonalKey.objects.get(user=journalist).public_key)
    journalist.set_password(NEW_PASSWORD)  # what `manage.py changepassword` does
    journalist.save(update_fields=["password"])
    logged_in_client("latam_journalist", NEW_PASSWORD)
    assert bytes(PersonalKey.objects.get(user=journalist).public_key) != old_public
    assert not DeskKeyGrant.objects.filter(user=journalist).exists()


def test_first_login_without_a_keyring_creates_one(db) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("boss", password=PASSWORD)
    logged_in_client("boss")
    assert PersonalKey.objects.filter(user__username="boss").exists()


def test_wrong_password_does_not_touch_the_keyring(newsroom: Newsroom) -> None:
    before = bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key)
    response = Client().post("/admin/login/", {"username": "editor", "password": "wrong password!"})
    assert response.status_code == 200
    assert "pista_key" not in response.cookies
    after = bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key)
    assert before == after
