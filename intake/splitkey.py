"""A secret held for one browser session in two halves: the session store and a cookie.

The secret is encrypted under a fresh random key. The ciphertext goes into the
session store; the random key goes only into its own ``HttpOnly``,
``SameSite=Strict`` (and, outside development, ``Secure``) cookie with no
``Max-Age``, so it dies with the browser session. Someone holding only the
database (and so the session store) or only the cookie learns nothing.

Two features use it: the staff keyring (``newsroom.keyring``: an unlocked
personal key for one login) and the reader's check-back visit
(``intake.checkback``: the receipt-derived key for one visit). Neither half is
ever logged.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import crypto


@dataclass(frozen=True)
class SplitSecret:
    """Where one kind of split secret lives: a session field and a cookie.

    ``secure_setting`` names the setting that says whether the cookie is
    ``Secure`` (read at call time, so tests and deployments can change it).
    """

    session_field: str
    cookie_name: str
    secure_setting: str
    cookie_path: str = "/"

    def store(
        self, request: HttpRequest, response: HttpResponse, secret: bytes, *, label: bytes
    ) -> None:
        """Hold ``secret`` for this browser session, split between the session and a cookie."""
        cookie_key = crypto.new_content_key()
        blob = crypto.encrypt_bytes(secret, cookie_key, label=label)
        request.session[self.session_field] = base64.b64encode(blob).decode("ascii")
        response.set_cookie(
            self.cookie_name,
            base64.urlsafe_b64encode(cookie_key).decode("ascii"),
            max_age=None,  # a browser-session cookie; the server session bounds its life
            path=self.cookie_path,
            httponly=True,
            secure=bool(getattr(settings, self.secure_setting)),
            samesite="Strict",
        )

    def load(self, request: HttpRequest, *, label: bytes) -> bytes | None:
        """Return the secret, or ``None`` if either half is missing or they do not match."""
        stored = request.session.get(self.session_field)
        cookie = request.COOKIES.get(self.cookie_name)
        if not stored or not cookie:
            return None
        try:
            cookie_key = base64.urlsafe_b64decode(cookie)
            blob = base64.b64decode(stored)
            return crypto.decrypt_bytes(blob, cookie_key, label=label)
        except (binascii.Error, ValueError, crypto.CryptoError):
            return None

    def discard(self, request: HttpRequest, response: HttpResponse) -> None:
        """Destroy both halves: the session field now, the cookie with this response."""
        session = getattr(request, "session", None)
        if session is not None:
            session.pop(self.session_field, None)
        self.delete_cookie(response)

    def delete_cookie(self, response: HttpResponse) -> None:
        response.delete_cookie(self.cookie_name, path=self.cookie_path, samesite="Strict")

    def drop_orphaned_cookie(self, request: HttpRequest, response: HttpResponse) -> None:
        """Delete the cookie once its session half is gone (logout, expiry, flush)."""
        if self.cookie_name in request.COOKIES and self.cookie_name not in response.cookies:
            session = getattr(request, "session", None)
            if session is None or self.session_field not in session:
                self.delete_cookie(response)
