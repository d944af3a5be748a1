"""A secret held in two halves (``intake.splitkey``): the ciphertext in the session, its key
in a strict browser-session cookie. Both halves give the secret back; one alone, a
tampered half or the wrong label give nothing; discarding destroys both."""

from __future__ import annotations

import base64
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from intake.splitkey import SplitSecret

SECRET = b"a personal private key, say: 32 b"
LABEL = b"test-split:v1:1"
SPLIT = SplitSecret(
    session_field="test_split",
    cookie_name="test_split_key",
    secure_setting="PISTA_TEST_SPLIT_SECURE",
    cookie_path="/somewhere/",
)


@pytest.fixture(autouse=True)
def _secure_by_default(settings: Any) -> None:
    settings.PISTA_TEST_SPLIT_SECURE = True


def _request(session: Any = None, cookies: dict[str, str] | None = None) -> HttpRequest:
    request = RequestFactory().get("/somewhere/")
    request.session = session if session is not None else _new_session()
    request.COOKIES.update(cookies or {})
    return request


def _new_session() -> Any:
    # The configured store; a session that was never saved needs no database.
    return import_module(settings.SESSION_ENGINE).SessionStore()


def _stored(secret: bytes = SECRET) -> tuple[Any, str]:
    """Store ``secret``; return the session and the cookie value a browser sends back."""
    request = _request()
    response = HttpResponse()
    SPLIT.store(request, response, secret, label=LABEL)
    return request.session, response.cookies[SPLIT.cookie_name].value


def _flip_last_byte(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 1])


# --- storing and loading ---------------------------------------------------------------


def test_both_halves_give_the_secret_back() -> None:
    session, cookie = _stored()
    assert SPLIT.load(_request(session, {SPLIT.cookie_name: cookie}), label=LABEL) == SECRET


def test_neither_half_holds_the_secret() -> None:
    session, cookie = _stored()
    blob = base64.b64decode(session[SPLIT.session_field])
    key = base64.urlsafe_b64decode(cookie)
    assert SECRET not in blob
    assert SECRET not in key
    assert len(key) == 32
    assert key not in blob


def test_each_store_uses_a_fresh_key() -> None:
    first_session, first_cookie = _stored()
    second_session, second_cookie = _stored()
    assert first_cookie != second_cookie
    assert first_session[SPLIT.session_field] != second_session[SPLIT.session_field]
    # A cookie opens only the session half stored with it.
    crossed = _request(first_session, {SPLIT.cookie_name: second_cookie})
    assert SPLIT.load(crossed, label=LABEL) is None


def test_without_the_cookie_half_nothing_loads() -> None:
    session, _cookie = _stored()
    assert SPLIT.load(_request(session), label=LABEL) is None
    assert SPLIT.load(_request(session, {SPLIT.cookie_name: ""}), label=LABEL) is None


def test_without_the_session_half_nothing_loads() -> None:
    _session, cookie = _stored()
    assert SPLIT.load(_request(_new_session(), {SPLIT.cookie_name: cookie}), label=LABEL) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: base64.urlsafe_b64encode(b"x" * 32).decode(),  # another key
        lambda value: value[:-4],  # cut short
        lambda value: "not base64 at all!",
        lambda value: ("A" if value[0] != "A" else "B") + value[1:],  # one character changed
    ],
    ids=["another-key", "truncated", "not-base64", "one-character"],
)
def test_a_tampered_cookie_loads_nothing(tamper: Any) -> None:
    session, cookie = _stored()
    request = _request(session, {SPLIT.cookie_name: tamper(cookie)})
    assert SPLIT.load(request, label=LABEL) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blob: base64.b64encode(_flip_last_byte(base64.b64decode(blob))).decode(),
        lambda blob: blob[: len(blob) // 2],
        lambda blob: "%%%",
    ],
    ids=["last-byte", "truncated", "not-base64"],
)
def test_a_tampered_session_half_loads_nothing(tamper: Any) -> None:
    session, cookie = _stored()
    session[SPLIT.session_field] = tamper(session[SPLIT.session_field])
    assert SPLIT.load(_request(session, {SPLIT.cookie_name: cookie}), label=LABEL) is None


def test_the_wrong_label_loads_nothing() -> None:
    session, cookie = _stored()
    request = _request(session, {SPLIT.cookie_name: cookie})
    assert SPLIT.load(request, label=b"test-split:v1:2") is None
    assert SPLIT.load(request, label=LABEL) == SECRET


# --- the cookie ------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_the_cookie_is_http_only_strict_session_bound_and_secure_as_configured(
    settings: Any, secure: bool
) -> None:
    settings.PISTA_TEST_SPLIT_SECURE = secure
    response = HttpResponse()
    SPLIT.store(_request(), response, SECRET, label=LABEL)

    cookie = response.cookies[SPLIT.cookie_name]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert bool(cookie["secure"]) is secure
    assert cookie["path"] == "/somewhere/"
    assert not cookie["max-age"], "a browser-session cookie"
    assert not cookie["expires"], "a browser-session cookie"
    header = cookie.output()
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert ("Secure" in header) is secure
    assert "Max-Age" not in header
    assert "expires" not in header.lower()


# --- discarding ------------------------------------------------------------------------


def _deleted(response: HttpResponse) -> bool:
    cookie = response.cookies.get(SPLIT.cookie_name)
    return (
        cookie is not None
        and cookie.value == ""
        and cookie["max-age"] == 0
        and cookie["path"] == "/somewhere/"
        and cookie["samesite"] == "Strict"
    )


def test_discard_removes_both_halves() -> None:
    session, cookie = _stored()
    request = _request(session, {SPLIT.cookie_name: cookie})
    response = HttpResponse()

    SPLIT.discard(request, response)

    assert SPLIT.session_field not in session
    assert _deleted(response)
    # Replaying the old cookie finds nothing to open.
    assert SPLIT.load(_request(session, {SPLIT.cookie_name: cookie}), label=LABEL) is None


def test_discard_without_a_session_still_deletes_the_cookie() -> None:
    request = RequestFactory().get("/somewhere/")
    response = HttpResponse()
    SPLIT.discard(request, response)
    assert _deleted(response)


def test_an_orphaned_cookie_is_deleted_once_its_session_half_is_gone() -> None:
    session, cookie = _stored()
    request = _request(session, {SPLIT.cookie_name: cookie})

    kept = HttpResponse()
    SPLIT.drop_orphaned_cookie(request, kept)
    assert SPLIT.cookie_name not in kept.cookies, "the session half is still there"

    del session[SPLIT.session_field]  # logout, expiry or a flush
    dropped = HttpResponse()
    SPLIT.drop_orphaned_cookie(request, dropped)
    assert _deleted(dropped)


def test_a_cookie_without_any_session_is_dropped() -> None:
    request = RequestFactory().get("/somewhere/")
    request.COOKIES[SPLIT.cookie_name] = "left over"
    response = HttpResponse()
    SPLIT.drop_orphaned_cookie(request, response)
    assert _deleted(response)


def test_no_cookie_in_the_request_means_nothing_to_drop() -> None:
    response = HttpResponse()
    SPLIT.drop_orphaned_cookie(_request(), response)
    assert SPLIT.cookie_name not in response.cookies


def test_a_cookie_set_by_this_very_response_is_left_alone() -> None:
    # A fresh store in this response (a new login) replaces the old cookie: keep it.
    request = _request(cookies={SPLIT.cookie_name: "the previous value"})
    response = HttpResponse()
    SPLIT.store(request, response, SECRET, label=LABEL)
    new_value = response.cookies[SPLIT.cookie_name].value
    del request.session[SPLIT.session_field]

    SPLIT.drop_orphaned_cookie(request, response)

    assert response.cookies[SPLIT.cookie_name].value == new_value
