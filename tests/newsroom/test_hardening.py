"""Settings and stores that keep secrets from outliving their use."""

from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from newsroom import settings as production
from newsroom.hashers import PistaArgon2PasswordHasher
from tests.factories import Newsroom, logged_in_client


def test_django_password_hash_is_as_memory_hard_as_the_key_wrap(settings) -> None:
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS  # the suite runs a fast hasher
    assert production.PASSWORD_HASHERS[0] == "newsroom.hashers.PistaArgon2PasswordHasher"
    assert PistaArgon2PasswordHasher.memory_cost >= 64 * 1024
    encoded = make_password("a password for the test", hasher=PistaArgon2PasswordHasher())
    assert identify_hasher(encoded).algorithm == "pista_argon2"
    assert "m=65536" in encoded


def test_csrf_cookie_dies_with_the_browser_session(newsroom: Newsroom) -> None:
    response = Client().get("/")
    cookie = response.cookies["csrftoken"]
    assert not cookie["max-age"]
    assert not cookie["expires"]


def test_an_expired_session_row_is_deleted_when_it_comes_back(newsroom: Newsroom) -> None:
    client = logged_in_client("editor")
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    response = client.get("/admin/")
    assert response.status_code == 302  # back to the login page
    assert not Session.objects.filter(session_key=key).exists(), "the keyring half must go"
