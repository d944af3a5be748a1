"""Settings and stores that keep secrets from outliving their use."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client
from django.utils import timezone

from newsroom import settings as production
from newsroom.hashers import PistaPasswordHasher, stored_password_parse
from newsroom.models import StaffSession as Session
from tests.factories import Newsroom, logged_in_client


@pytest.mark.real_kdf
def test_django_password_hash_is_the_memory_hard_derivation_of_the_key_wrap(settings) -> None:
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert production.PASSWORD_HASHERS[0] == "newsroom.hashers.PistaPasswordHasher"
    encoded = make_password("a password for the test", hasher=PistaPasswordHasher())
    assert identify_hasher(encoded).algorithm == "pista_kdf"
    stored = stored_password_parse(encoded)
    assert stored is not None
    assert stored.params.memory_kib >= 64 * 1024
    assert encoded.startswith("pista_kdf$2$65536,3,4$")
    assert PistaPasswordHasher().verify("a password for the test", encoded)
    assert not PistaPasswordHasher().verify("another password", encoded)


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
