"""One-time submission tokens: a reload or a back-and-resubmit never makes a second tip.

Every tip form carries a fresh random token, signed (so the server knows it made
it) and dated (so it is good for a day). The first post that stores a tip uses it
up: a hash of it goes into the shared cache until the token could no longer be
accepted anyway. A post with a used token stores nothing and gets the "already
sent" page. Only the hash is kept, never the token; its cache entry expires on
the hour, so it does not date the submission more finely than the tip does.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import time
from typing import Final

from django.core import signing
from django.core.cache import cache

from .throttle import timeout_until_hour_after

#: The form field that carries the token.
FIELD: Final = "submission_token"
#: Purpose label of the signature: a token signed for anything else does not pass.
_SALT: Final = "pista.intake.submission-token:v1"
#: A form older than this asks to be sent again (what was typed is kept).
MAX_AGE_SECONDS: Final = 24 * 60 * 60
_MAX_LENGTH: Final = 200


class TokenState(enum.Enum):
    FRESH = "fresh"
    USED = "used"
    #: Missing, altered, or from a form more than a day old.
    INVALID = "invalid"


def token_new() -> str:
    """A token for one tip form."""
    return signing.TimestampSigner(salt=_SALT).sign(secrets.token_urlsafe(18))


def _key(token: str) -> str:
    return "pista:submitted:" + hashlib.sha256(token.encode()).hexdigest()


def token_state(token: str) -> TokenState:
    """Whether ``token`` was made here in the last day, and whether it was used."""
    if not token or len(token) > _MAX_LENGTH:
        return TokenState.INVALID
    try:
        signing.TimestampSigner(salt=_SALT).unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return TokenState.INVALID
    return TokenState.USED if cache.get(_key(token)) is not None else TokenState.FRESH


def token_use(token: str) -> bool:
    """Use ``token`` up; False if another post used it first (atomic in every backend)."""
    return bool(
        cache.add(_key(token), 1, timeout=timeout_until_hour_after(time.time() + MAX_AGE_SECONDS))
    )


def token_release(token: str) -> None:
    """Make ``token`` usable again: the post that used it stored nothing."""
    cache.delete(_key(token))
