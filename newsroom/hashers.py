"""Django's password hash for staff: the verifier half of the personal key's derivation.

A staff password is run through Argon2id once (64 MiB, 3 passes, 4 lanes) and the
result is split by HKDF into a *verifier*, stored here as the login hash, and a
*wrap key*, which encrypts the personal private key (``intake.crypto.password_keys``).
So a login costs one memory-hard derivation, not two, and a stolen database offers
no cheaper way to test password guesses than the wrapped key itself.

Stored form: ``pista_kdf$2$<memory KiB>,<passes>,<lanes>$<salt, base64>$<verifier, base64>``.
Like every derivation in Pista it refuses to run inside a database transaction.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _noop

from intake import crypto, kdf

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALGORITHM = "pista_kdf"
_FORMAT_VERSION = "2"


@dataclass(frozen=True)
class StoredPassword:
    """A parsed ``pista_kdf`` hash: the derivation's cost and salt, and its verifier."""

    params: crypto.Argon2Params
    salt: bytes
    verifier: bytes


def stored_password_parse(encoded: str) -> StoredPassword | None:
    """Parse a ``pista_kdf`` hash; ``None`` for any other algorithm or a damaged value."""
    try:
        algorithm, version, cost, salt, verifier = encoded.split("$")
        if algorithm != ALGORITHM or version != _FORMAT_VERSION:
            return None
        memory_kib, iterations, lanes = (int(part) for part in cost.split(","))
        return StoredPassword(
            params=crypto.Argon2Params(memory_kib, iterations, lanes),
            salt=base64.b64decode(salt, validate=True),
            verifier=base64.b64decode(verifier, validate=True),
        )
    except (ValueError, binascii.Error):
        return None


def stored_password_encode(keys: crypto.PasswordKeys) -> str:
    """The login hash for already derived keys (no second derivation)."""
    cost = f"{keys.params.memory_kib},{keys.params.iterations},{keys.params.lanes}"
    salt = base64.b64encode(keys.salt).decode("ascii")
    verifier = base64.b64encode(keys.verifier).decode("ascii")
    return f"{ALGORITHM}${_FORMAT_VERSION}${cost}${salt}${verifier}"


def stored_password_matches(stored: StoredPassword, keys: crypto.PasswordKeys) -> bool:
    return constant_time_compare(stored.verifier, keys.verifier)


class PistaPasswordHasher(BasePasswordHasher):
    """The ``pista_kdf`` hash, for Django's own password checks and forms."""

    algorithm = ALGORITHM

    def salt(self) -> str:
        return base64.b64encode(secrets.token_bytes(16)).decode("ascii")

    def encode(self, password: str, salt: str) -> str:
        keys = kdf.password_keys(password, salt=base64.b64decode(salt))
        return stored_password_encode(keys)

    def decode(self, encoded: str) -> dict[str, Any]:
        stored = stored_password_parse(encoded)
        if stored is None:
            raise ValueError("Not a pista_kdf password hash.")
        return {
            "algorithm": ALGORITHM,
            "salt": base64.b64encode(stored.salt).decode("ascii"),
            "hash": base64.b64encode(stored.verifier).decode("ascii"),
            "memory_cost": stored.params.memory_kib,
            "time_cost": stored.params.iterations,
            "parallelism": stored.params.lanes,
        }

    def verify(self, password: str, encoded: str) -> bool:
        stored = stored_password_parse(encoded)
        if stored is None:
            return False
        keys = kdf.password_keys(password, salt=stored.salt, params=stored.params)
        return stored_password_matches(stored, keys)

    def safe_summary(self, encoded: str) -> dict[StrOrPromise, Any]:
        decoded = self.decode(encoded)
        return {
            _noop("algorithm"): decoded["algorithm"],
            _noop("memory cost"): decoded["memory_cost"],
            _noop("time cost"): decoded["time_cost"],
            _noop("parallelism"): decoded["parallelism"],
            _noop("salt"): mask_hash(decoded["salt"]),
            _noop("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        # Never from Django's side: a new hash needs a new salt, and the personal key
        # must be re-wrapped with it. The login (``staff_login``) upgrades both together.
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass  # one cost for every hash of this kind
