"""The split session keyring: an unlocked personal key held in two halves.

At login the personal private key is encrypted under a fresh random key. The
ciphertext goes into the session store; the random key goes only into its own
``HttpOnly``, ``SameSite=Strict`` (and, outside development, ``Secure``) cookie.
Someone holding only the database (and so the session store) or only the
cookie learns nothing. Logging out flushes the session, and
:class:`KeyringCookieMiddleware` deletes the cookie whenever the session no
longer holds a keyring, so logout and expiry destroy it.

Neither half is ever logged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from intake import crypto, labels

SESSION_FIELD = "pista_keyring"


def _cookie_name() -> str:
    return str(settings.PISTA_KEYRING_COOKIE)


def keyring_store(request: HttpRequest, response: HttpResponse, private_key: bytes) -> None:
    """Hold ``private_key`` for this login, split between the session and a cookie."""
    user = staff_user(request)
    cookie_key = crypto.new_content_key()
    blob = crypto.encrypt_bytes(private_key, cookie_key, label=labels.session_keyring(user.pk))
    request.session[SESSION_FIELD] = base64.b64encode(blob).decode("ascii")
    response.set_cookie(
        _cookie_name(),
        base64.urlsafe_b64encode(cookie_key).decode("ascii"),
        max_age=None,  # a browser-session cookie; the server session bounds its life
        httponly=True,
        secure=bool(settings.PISTA_KEYRING_COOKIE_SECURE),
        samesite="Strict",
    )


def keyring_from_request(request: HttpRequest) -> bytes | None:
    """Return the unlocked personal private key of this request's user, or ``None``.

    ``None`` means locked: not logged in, the session expired, the cookie is
    missing (e.g. a cross-site navigation, which ``SameSite=Strict`` withholds)
    or does not match.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    stored = request.session.get(SESSION_FIELD)
    cookie = request.COOKIES.get(_cookie_name())
    if not stored or not cookie:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(cookie)
        blob = base64.b64decode(stored)
        return crypto.decrypt_bytes(blob, cookie_key, label=labels.session_keyring(user.pk))
    except (binascii.Error, ValueError, crypto.CryptoError):
        return None


class KeyringCookieMiddleware:
    """Delete the keyring cookie once its session half is gone (logout, expiry, flush)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = _cookie_name()
        if name in request.COOKIES and name not in response.cookies:
            session = getattr(request, "session", None)
            if session is None or SESSION_FIELD not in session:
                response.delete_cookie(name, samesite="Strict")
        return response


def staff_user(request: HttpRequest) -> User:
    """The logged-in staff member of an admin request (the admin has already checked)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
