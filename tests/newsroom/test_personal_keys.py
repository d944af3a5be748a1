"""Personal keys (``newsroom.services.personal_keys``): a password change keeps the key,
an administrator's reset replaces it and withdraws every desk-key grant until someone
holding the desk key grants it again, and the first login makes one."""

from __future__ import annotations

import pytest
from django.test import Client

from intake import crypto
from intake.selectors import desk_key_active
from newsroom.exceptions import KeyLocked
from newsroom.models import AuditEvent, DeskKeyGrant, PersonalKey
from newsroom.services.desk_keys import desk_key_grant
from newsroom.services.personal_keys import staff_login, staff_password_reset
from newsroom.unsealing import (
    desk_private_key_from_grant,
    desk_private_key_from_recovery,
    tip_content_key,
    tip_decrypt,
)
from tests.factories import PASSWORD, Newsroom, logged_in_client, make_staff, password_only_client
from tests.helpers import tip_page, unlocked_key_of

NEW_PASSWORD = "a brand new passphrase 2026"


def test_own_password_change_keeps_access(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Still readable after change", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # The running session keeps working, and so does a fresh login with the new password.
    assert b"Still readable after change" in tip_page(client, tip.pk)
    fresh = logged_in_client("latam_journalist", NEW_PASSWORD)
    assert b"Still readable after change" in tip_page(fresh, tip.pk)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_KEY_ROTATED).exists()
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
    page = tip_page(after_reset, tip.pk)
    assert b"Reset removes access" not in page
    assert b"no copy of the Latin America desk key" in page

    desk_key = desk_key_active(newsroom.latam)
    desk_private = desk_private_key_from_recovery(
        desk_key=desk_key, recovery_private_key=newsroom.recovery.private_key
    )
    desk_key_grant(desk=newsroom.latam, user=journalist, desk_private_key=desk_private, actor=None)
    assert b"Reset removes access" in tip_page(after_reset, tip.pk)


def test_a_member_with_an_unlocked_key_can_regrant(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Granted by a colleague", desk=newsroom.latam).tip
    journalist = newsroom.users["latam_journalist"]
    old_personal = unlocked_key_of(journalist)

    staff_password_reset(user=journalist, new_password=NEW_PASSWORD, actor=None)
    new_personal = staff_login(user=journalist, password=NEW_PASSWORD)
    assert new_personal is not None
    assert new_personal != old_personal, "a reset makes a new personal key"
    assert staff_login(user=journalist, password=PASSWORD) is None, "the old password is gone"
    with pytest.raises(KeyLocked, match="no copy"):
        tip_content_key(tip=tip, user=journalist, personal_private_key=new_personal)
    coordinator = newsroom.users["latam_coord"]
    coord_personal = unlocked_key_of(coordinator)
    desk_private = desk_private_key_from_grant(
        desk_key=desk_key_active(newsroom.latam),
        user=coordinator,
        personal_private_key=coord_personal,
    )
    desk_key_grant(
        desk=newsroom.latam, user=journalist, desk_private_key=desk_private, actor=coordinator
    )
    content_key = tip_content_key(tip=tip, user=journalist, personal_private_key=new_personal)
    assert tip_decrypt(tip, content_key).body == "Granted by a colleague"


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

    boss = get_user_model().objects.create_superuser("boss", password=PASSWORD)
    client = password_only_client("boss")
    # No second factor yet either: the next page is the enrolment, nothing else.
    assert client.get("/admin/").url.startswith("/admin/enrol/")  # type: ignore[attr-defined]
    assert PersonalKey.objects.filter(user__username="boss").exists()
    # A working pair: the password unlocks the private half of the stored public key,
    # and the login holds it unlocked.
    public_key = bytes(PersonalKey.objects.get(user=boss).public_key)
    blob = crypto.seal(b"probe", public_key, label=b"probe")
    assert crypto.unseal(blob, unlocked_key_of(boss), label=b"probe") == b"probe"
    assert client.cookies["pista_key"].value


def test_wrong_password_does_not_touch_the_keyring(newsroom: Newsroom) -> None:
    before = bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key)
    response = Client().post("/admin/login/", {"username": "editor", "password": "wrong password!"})
    assert response.status_code == 200
    assert "pista_key" not in response.cookies
    after = bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key)
    assert before == after
