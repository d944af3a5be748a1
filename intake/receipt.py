"""The receipt, shown once: the passphrase travels from the POST that made the tip to the
one page that shows it, and is never stored in plaintext on the way.

The POST answers with a redirect to the receipt page, so a reload never posts
the form again. Between the two requests the passphrase is held split
(:class:`intake.splitkey.SplitSecret`): encrypted in the session store under a
random key that lives only in the ``pista_receipt`` cookie (``HttpOnly``,
``SameSite=Strict``, ``Secure`` outside development, no ``Max-Age``, sent only
to the receipt page). The receipt page reads it and destroys both halves in the
same response: a reload finds nothing and says so.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponse

from . import labels
from .splitkey import SplitSecret

SESSION_FIELD: Final = "pista_receipt"
COOKIE_NAME: Final = "pista_receipt"


def _split() -> SplitSecret:
    return SplitSecret(
        session_field=SESSION_FIELD,
        cookie_name=COOKIE_NAME,
        secure_setting="PISTA_VISIT_COOKIE_SECURE",
        cookie_path="/",  # the receipt page's path depends on the reader's language
    )


def receipt_hold(request: HttpRequest, response: HttpResponse, passphrase: str) -> None:
    """Hold ``passphrase`` for the receipt page: ciphertext in the session, key in a cookie
    on ``response``. The caller saves the session."""
    _split().store(request, response, passphrase.encode(), label=labels.receipt_hold())


def receipt_peek(request: HttpRequest) -> str | None:
    """The held passphrase, or ``None`` when it was shown already (or never held here)."""
    secret = _split().load(request, label=labels.receipt_hold())
    return secret.decode() if secret is not None else None


def receipt_forget(request: HttpRequest, response: HttpResponse) -> None:
    """Destroy both halves. A session that held only the receipt goes whole (its row is
    deleted); a check-back visit or a staff login in the same browser is left alone."""
    _split().discard(request, response)
    if not request.session.keys() and not request.user.is_authenticated:
        request.session.flush()
