"""Settings and stores that keep secrets from outliving their use."""

from __future__ import annotations

from typing import Any

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
    response = Client().get("/en/")
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


@pytest.mark.parametrize("path", ["/en/", "/en/check/", "/admin/login/"])
def test_every_page_turns_off_powerful_browser_features(newsroom: Newsroom, path: str) -> None:
    policy = Client().get(path)["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "usb=()", "payment=()"):
        assert feature in policy
    # Passkeys and security keys work for this site only.
    assert "publickey-credentials-get=(self)" in policy
    assert "publickey-credentials-create=(self)" in policy


def test_a_domain_error_no_page_caught_is_a_plain_page_not_a_server_error(
    newsroom: Newsroom, rf: Any
) -> None:
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.middleware import SessionMiddleware

    from newsroom.exceptions import NotAllowed

    def page_that_forgot_to_catch(request: Any) -> Any:
        raise NotAllowed("Only a coordinator of Latin America can do this.")

    view = admin.site.admin_view(page_that_forgot_to_catch)
    request = rf.get("/admin/anything/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = get_user_model().objects.get(username="editor")
    request.user.is_verified = lambda: True  # as django-otp marks a verified session

    response = view(request)
    response.render()
    assert response.status_code == 409
    assert "Only a coordinator of Latin America can do this." in response.content.decode()
    assert "Traceback" not in response.content.decode()
