"""Django's password hash, as memory-hard as the key it sits next to.

The same password wraps a staff member's personal key under Argon2id (64 MiB).
If Django's own login hash were cheaper (its default is PBKDF2), a stolen
database would let an attacker test guesses against the cheap hash and then
unwrap the key with the one that matches.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

from intake.kdf import ensure_outside_transaction


class PistaArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the cost of ``intake.crypto.PASSWORD_KDF`` (64 MiB, 3 passes, 4 lanes).

    Like every derivation in Pista it refuses to run inside a database transaction.
    """

    algorithm = "pista_argon2"
    time_cost = 3
    memory_cost = 64 * 1024
    parallelism = 4

    def encode(self, password: Any, salt: str) -> str:
        ensure_outside_transaction()
        return super().encode(password, salt)

    def verify(self, password: Any, encoded: str) -> bool:
        ensure_outside_transaction()
        return super().verify(password, encoded)
