"""The unlocked key: a login holds the personal private key in two halves, the session
store and a strict browser-session cookie; either half alone opens nothing, and logout
and expiry destroy it (``newsroom.unlocked_key``)."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from intake import crypto
from newsroom.models import PersonalKey
from newsroom.models import StaffSession as Session
from newsroom.unlocked_key import SESSION_FIELD, unlocked_key
from tests.factories import PASSWORD, Newsroom, logged_in_client
from tests.helpers import tip_page, unlocked_key_of


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
    private_key = unlocked_key_of(newsroom.users["editor"])
    assert private_key not in stored
    assert bytes(keyring.public_key) not in stored
    # Without the cookie's key, the session blob cannot be opened.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(stored, crypto.new_content_key(), label=b"session-keyring:v1:1")


def test_login_unlocks_and_the_editor_can_read(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Unlocked reading works", desk=newsroom.latam).tip
    page = tip_page(logged_in_client("editor"), tip.pk)
    assert b"Unlocked reading works" in page


def test_without_the_cookie_half_the_tip_is_locked(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Needs both halves", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    del client.cookies["pista_key"]
    page = tip_page(client, tip.pk)
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
    assert Session.objects.filter(session_key=session_key).exists()
    response = client.post("/admin/logout/")
    assert response.cookies["pista_key"].value == ""  # deleted in the browser
    assert not Session.objects.filter(session_key=session_key).exists()
    # Replaying the old cookie on a new login session gives nothing: the blob is gone.
    client.cookies["pista_key"] = cookie_value
    assert b"Gone at logout" not in tip_page(client, tip.pk)


def test_expired_session_cannot_unlock(newsroom: Newsroom, rf) -> None:
    client = logged_in_client("editor")
    session = client.session
    request = rf.get("/admin/")
    request.user = newsroom.users["editor"]
    request.session = session
    request.COOKIES["pista_key"] = client.cookies["pista_key"].value
    # The positive control: both halves give back the editor's own personal key.
    assert unlocked_key(request) == unlocked_key_of(newsroom.users["editor"])
    session.flush()  # what expiry does to the server half
    assert unlocked_key(request) is None
