"""Staff sessions end when idle, at their time limit, everywhere on request, and after a
password change; the unlocked key goes with each."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from intake import crypto, labels
from newsroom.models import AuditEvent, DeskKeyGrant, PersonalKey, StaffSession
from newsroom.unlocked_key import SESSION_FIELD
from tests.factories import PASSWORD, Newsroom, logged_in_client
from tests.helpers import tip_page

NEW_PASSWORD = "a much longer new password 2026"


def _session_row(client: Client) -> StaffSession | None:
    return StaffSession.objects.filter(session_key=client.session.session_key).first()


def _copied_personal_key(client: Client, user: Any) -> bytes:
    """What a thief holding a copy of the session row and the browser's cookie gets."""
    stored = client.session[SESSION_FIELD]
    cookie_key = base64.urlsafe_b64decode(client.cookies["pista_key"].value)
    return crypto.decrypt_bytes(
        base64.b64decode(stored), cookie_key, label=labels.session_unlocked_key(user.pk)
    )


def test_an_idle_session_ends_and_takes_the_unlocked_key_with_it(
    newsroom: Newsroom, settings: Any
) -> None:
    settings.PISTA_STAFF_IDLE_MINUTES = 30
    tip = newsroom.submit("Idle test", desk=newsroom.latam).tip
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = logged_in_client("editor")
        assert b"Idle test" in tip_page(client, tip.pk)
        key = client.session.session_key
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert b"Idle test" in tip_page(client, tip.pk), "activity keeps it alive"
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/admin/intake/tip/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?ended=idle")
    assert not StaffSession.objects.filter(session_key=key).exists(), "the key's half is gone"
    assert (
        "logged out after a while without activity"
        in client.get(response["Location"]).content.decode()
    )


def test_a_session_ends_at_its_time_limit_whatever_the_activity(
    newsroom: Newsroom, settings: Any
) -> None:
    settings.PISTA_STAFF_IDLE_MINUTES = 30
    settings.PISTA_STAFF_SESSION_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = logged_in_client("editor")
    for minutes in range(20, 120, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        response = client.get("/admin/")
    assert response["Location"].startswith("/admin/login/?ended=limit")


def test_log_out_everywhere_ends_the_other_sessions_and_keeps_this_one(
    newsroom: Newsroom,
) -> None:
    here, there, elsewhere = (logged_in_client("editor") for _ in range(3))
    other = logged_in_client("latam_coord")
    assert StaffSession.objects.filter(user_id=newsroom.users["editor"].pk).count() == 3

    response = here.post("/admin/account/sessions/end/", follow=True)
    assert "Every other session was ended (2)" in response.content.decode()
    assert here.get("/admin/").status_code == 200
    for ended in (there, elsewhere):
        assert ended.get("/admin/")["Location"].startswith("/admin/login/")
    assert other.get("/admin/").status_code == 200, "another person's session is untouched"
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSIONS_ENDED)
    assert "2 session(s) ended" in event.detail


def test_a_password_change_ends_other_sessions_and_keeps_this_one_unlocked(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("Still mine", desk=newsroom.latam).tip
    here, there = logged_in_client("latam_journalist"), logged_in_client("latam_journalist")
    response = here.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert b"Still mine" in tip_page(here, tip.pk), "this session holds the new key"
    assert there.get("/admin/")["Location"].startswith("/admin/login/")


def test_a_session_row_and_cookie_copied_before_a_password_change_open_nothing_after(
    newsroom: Newsroom,
) -> None:
    journalist = newsroom.users["latam_journalist"]
    tip = newsroom.submit("Rotated away", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    stolen = _copied_personal_key(client, journalist)
    old_public = bytes(PersonalKey.objects.get(user=journalist).public_key)
    grant = DeskKeyGrant.objects.get(user=journalist)
    label = labels.desk_key_grant(grant.desk_key_id, journalist.pk)
    assert crypto.unseal(bytes(grant.wrapped_private_key), stolen, label=label)  # it worked

    client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    personal = PersonalKey.objects.get(user=journalist)
    assert bytes(personal.public_key) != old_public, "a password change rotates the key pair"
    for grant in DeskKeyGrant.objects.filter(user=journalist):
        label = labels.desk_key_grant(grant.desk_key_id, journalist.pk)
        try:
            crypto.unseal(bytes(grant.wrapped_private_key), stolen, label=label)
        except crypto.DecryptionError:
            continue
        raise AssertionError("a grant still opens with the personal key copied before")
    # The owner still reads, with the new key.
    assert b"Rotated away" in tip_page(client, tip.pk)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_KEY_ROTATED)
    assert "re-sealed" in event.detail
