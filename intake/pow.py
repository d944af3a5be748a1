"""Proof of work on the public forms (ALTCHA): floods pay for each post, readers are not
locked out.

Each form page embeds a fresh challenge, signed with an HMAC key of its own (from
``PISTA_POW_HMAC_KEY``, or derived from ``SECRET_KEY`` with the purpose label
below). With JavaScript, the vendored ALTCHA widget solves it when the reader
sends the form and posts the solution in the ``altcha`` field. The server checks
the signature (so no parameter can be changed, the difficulty included), the
expiry, the form the challenge was made for and the solution, and accepts each
solved challenge once: its signature is remembered in the shared cache until it
expires.

**Difficulty.** The challenge asks the browser to find a random counter below a
maximum (``altcha``'s deterministic mode, SHA-256): on average half the maximum
hashes. The maximum doubles for every ``PISTA_POW_RATE_STEP`` posts to the form in
a minute (counted without addresses, in the shared cache), up to
``PISTA_POW_MAXNUMBER_LIMIT``. A challenge issued while the form was calm stays
valid until it expires: it was valid when issued, and its signature keeps it
from being made easier.

**Without JavaScript** there is no proof. The post is still accepted, within a
budget of its own (``intake.throttle``), and a tip is marked
(``Tip.arrived_with_proof``) so editors see it in its own lane.

Nothing here sees or stores who the reader is; the solution proves work, not identity.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final, Literal

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .throttle import count_one, rate_recent, timeout_until_hour_after

#: The forms that carry a challenge; a solution for one is refused on the other.
Form = Literal["submit", "check"]
#: The form field the widget posts its solution in.
FIELD: Final = "altcha"
#: Iterated SHA-256 with one pass: what every browser's Web Crypto does fast.
ALGORITHM: Final = "SHA-256"
#: Purpose label of the challenge-signing key derived from SECRET_KEY.
_KEY_PURPOSE: Final = "pista.intake.pow:challenge-signing-key:v1"
#: A solution is a few hundred characters; anything much longer is not one.
MAX_PAYLOAD_LENGTH: Final = 8_000
#: Far beyond any setting: keeps the doubling from building huge integers.
_MAX_DOUBLINGS: Final = 40


def _hmac_key() -> str:
    if settings.PISTA_POW_HMAC_KEY:
        return str(settings.PISTA_POW_HMAC_KEY)
    return salted_hmac(
        _KEY_PURPOSE, "altcha", secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _rate_name(form: Form) -> str:
    return f"pow-rate-{form}"


def post_counted(form: Form) -> None:
    """Count one post to ``form`` (valid or not): the rate that sets the difficulty."""
    count_one(_rate_name(form))


def difficulty(form: Form) -> int:
    """The largest counter a new challenge for ``form`` may hide: doubled per rate step."""
    step = max(1, int(settings.PISTA_POW_RATE_STEP))
    doublings = min(rate_recent(_rate_name(form)) // step, _MAX_DOUBLINGS)
    base = max(1, int(settings.PISTA_POW_MAXNUMBER))
    return min(max(base, int(settings.PISTA_POW_MAXNUMBER_LIMIT)), base << doublings)


def challenge_new(form: Form) -> str:
    """A fresh challenge for a page of ``form``, as the JSON the widget reads."""
    maxnumber = difficulty(form)
    challenge = altcha.create_challenge(
        ALGORITHM,
        1,
        counter=secrets.randbelow(maxnumber + 1),
        expires_at=int(time.time()) + int(settings.PISTA_POW_CHALLENGE_MINUTES) * 60,
        data={"form": form},
        hmac_secret=_hmac_key(),
    )
    return json.dumps(challenge.to_dict(), separators=(",", ":"))


class Outcome(enum.Enum):
    #: No solution was sent: JavaScript is off (or the widget never ran).
    NONE = "none"
    VALID = "valid"
    EXPIRED = "expired"
    #: A solution already accepted once.
    REPLAYED = "replayed"
    #: Not a solution to a challenge we signed for this form: altered parameters (an
    #: easier difficulty, say), a wrong counter, another form's challenge, or garbage.
    INVALID = "invalid"


@dataclass(frozen=True)
class Proof:
    outcome: Outcome
    #: The replay-memory entry of an accepted solution, released if nothing was stored.
    used_key: str = ""

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID

    @property
    def refused(self) -> bool:
        return self.outcome not in (Outcome.NONE, Outcome.VALID)


def _parse(payload: str) -> altcha.Payload | None:
    try:
        parsed = altcha.Payload.from_base64(payload)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return parsed


def proof_check(payload: str, form: Form) -> Proof:
    """Check the solution posted with ``form``; a valid one is used up at once.

    Cheap whatever is posted: one HMAC and one SHA-256, no key derivation.
    """
    if not payload:
        return Proof(Outcome.NONE)
    parsed = _parse(payload) if len(payload) <= MAX_PAYLOAD_LENGTH else None
    if parsed is None:
        return Proof(Outcome.INVALID)
    try:
        result = altcha.verify_solution(parsed, _hmac_key())
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return Proof(Outcome.INVALID)
    if result.expired:
        return Proof(Outcome.EXPIRED)
    parameters = parsed.challenge.parameters
    data: Any = parameters.data
    if not result.verified or not isinstance(data, dict) or data.get("form") != form:
        return Proof(Outcome.INVALID)
    signature = str(parsed.challenge.signature)
    key = "pista:pow-used:" + hashlib.sha256(signature.encode()).hexdigest()
    expires_at = parameters.expires_at or time.time()
    # Atomic in every cache backend: of two posts with one solution, one wins.
    if not cache.add(key, 1, timeout=timeout_until_hour_after(expires_at)):
        return Proof(Outcome.REPLAYED)
    return Proof(Outcome.VALID, used_key=key)


def proof_release(proof: Proof) -> None:
    """Forget that ``proof`` was used: nothing was stored with it (the database was down),
    so sending the same form again must work."""
    if proof.used_key:
        cache.delete(proof.used_key)


_REFUSALS = {
    Outcome.EXPIRED: _(
        "The anti-spam check of this page had run out, so nothing was sent or stored."
    ),
    Outcome.REPLAYED: _(
        "The anti-spam check of this page had already been used, so nothing was sent or stored."
    ),
    Outcome.INVALID: _(
        "The anti-spam check of this page could not be verified, so nothing was sent or stored."
    ),
}


def refusal(proof: Proof) -> str:
    """What to tell a reader whose solution was refused (the page adds what to do next)."""
    return str(_REFUSALS[proof.outcome])
