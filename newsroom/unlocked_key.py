"""The unlocked key: a staff member's personal private key, held for one login in two halves.

At login the personal private key is encrypted under a fresh random key. The
ciphertext goes into the session store; the random key goes only into its own
``HttpOnly``, ``SameSite=Strict`` (and, outside development, ``Secure``) cookie.
Someone holding only the database (and so the session store) or only the
cookie learns nothing. Logging out flushes the session, and
:class:`UnlockedKeyCookieMiddleware` deletes the cookie whenever the session no
longer holds the key, so logout and expiry destroy it.

The two-halves storage itself is :class:`intake.splitkey.SplitSecret`, shared
with the reader's check-back visit. Neither half is ever logged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from intake import labels
from intake.splitkey import SplitSecret

from .actor import acting_user

SESSION_FIELD = "pista_unlocked_key"


def _split() -> SplitSecret:
    # Built per call: the cookie name is a setting that tests may override.
    return SplitSecret(
        session_field=SESSION_FIELD,
        cookie_name=str(settings.PISTA_UNLOCKED_KEY_COOKIE),
        secure_setting="PISTA_UNLOCKED_KEY_COOKIE_SECURE",
    )


def unlocked_key_store(request: HttpRequest, response: HttpResponse, private_key: bytes) -> None:
    """Hold ``private_key`` for this login, split between the session and a cookie."""
    user = acting_user(request)
    _split().store(request, response, private_key, label=labels.session_unlocked_key(user.pk))


def unlocked_key(request: HttpRequest) -> bytes | None:
    """Return the unlocked personal private key of this request's user, or ``None``.

    ``None`` means locked: not logged in, the session expired, the cookie is
    missing (e.g. a cross-site navigation, which ``SameSite=Strict`` withholds)
    or does not match.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return _split().load(request, label=labels.session_unlocked_key(user.pk))


class UnlockedKeyCookieMiddleware:
    """Delete the unlocked key's cookie once its session half is gone (logout, expiry)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        _split().drop_orphaned_cookie(request, response)
        return response
