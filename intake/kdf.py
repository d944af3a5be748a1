"""Key derivations as the web process runs them: never inside a database transaction.

Argon2id is slow on purpose (a staff password costs 64 MiB and about 0.1 s). Run
inside a transaction it would hold the transaction, its row locks and its
connection open for all that time, and under load the database fills up with
sessions "idle in transaction". So Django code never calls the derivations of
:mod:`intake.crypto` directly: it calls these, which refuse to run while any
transaction is open. Callers derive first, then open a short transaction to
store the result.

The derivations themselves are safe under any number of threads and processes
(see ``intake.crypto._argon2``). Nothing here logs, and no secret is kept.
"""

from __future__ import annotations

from django.db import connections

from . import crypto


class DerivationInTransaction(RuntimeError):
    """A programming error: a key derivation was started inside a database transaction."""


def ensure_outside_transaction() -> None:
    """Raise :class:`DerivationInTransaction` if a transaction is open on any connection.

    The transaction a test case wraps around each test is not counted: it stands for
    the autocommit state of a real request.
    """
    for connection in connections.all(initialized_only=True):
        blocks = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
        if blocks:
            raise DerivationInTransaction(
                "A key derivation was started inside a database transaction. Derive first, "
                "then open the transaction that stores the result."
            )


def receipt_secrets(normalised_passphrase: str) -> crypto.ReceiptSecrets:
    """:func:`intake.crypto.derive_receipt_secrets`, outside any transaction."""
    ensure_outside_transaction()
    return crypto.derive_receipt_secrets(normalised_passphrase)


def password_keys(
    password: str, *, salt: bytes | None = None, params: crypto.Argon2Params | None = None
) -> crypto.PasswordKeys:
    """:func:`intake.crypto.password_keys`, outside any transaction."""
    ensure_outside_transaction()
    return crypto.password_keys(password, salt=salt, params=params)


def password_wrap(secret: bytes, password: str, *, label: bytes) -> bytes:
    """:func:`intake.crypto.wrap_with_password`, outside any transaction."""
    ensure_outside_transaction()
    return crypto.wrap_with_password(secret, password, label=label)


def password_unwrap(blob: bytes, password: str, *, label: bytes) -> bytes:
    """:func:`intake.crypto.unwrap_with_password`, outside any transaction."""
    ensure_outside_transaction()
    return crypto.unwrap_with_password(blob, password, label=label)
