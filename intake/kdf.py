"""Key derivations as the web process runs them: never inside a database transaction, and
the memory-hard ones at low CPU priority so they never starve the public pages.

Argon2id is slow on purpose (a staff password costs 64 MiB and about 0.1 s). Run
inside a transaction it would hold the transaction, its row locks and its
connection open for all that time, and under load the database fills up with
sessions "idle in transaction". So Django code never calls the derivations of
:mod:`intake.crypto` directly: it calls these, which refuse to run while any
transaction is open. Callers derive first, then open a short transaction to
store the result.

The memory-hard (staff password) derivations also run in a small pool of threads
per process (``PISTA_KDF_THREADS``, default 1) whose CPU priority is lowered
(``nice`` +10 on Linux): when several staff log in at once their derivations
queue there, and the processor serves the tip form first. Memory stays bounded
too: at most that many 64 MiB derivations per process at a time.

The derivations themselves are safe under any number of threads and processes
(see ``intake.crypto._argon2``). Nothing here logs, and no secret is kept.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.db import connections

from . import crypto

T = TypeVar("T")
#: How much lower the priority of a staff derivation is (Linux nice, 0 to 19).
_NICENESS = 10
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    """Lower this thread's CPU priority (its own, not the process's: Linux nices threads)."""
    # Not Linux, or not allowed: the derivation runs at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICENESS)


def _memory_hard(work: Callable[[], T]) -> T:
    """Run a memory-hard derivation in this process's low-priority pool and wait for it."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked worker builds its own
            _pool = ThreadPoolExecutor(
                max_workers=max(1, int(settings.PISTA_KDF_THREADS)),
                thread_name_prefix="pista-kdf",
                initializer=_lower_priority,
            )
            _pool_pid = os.getpid()
        pool = _pool
    return pool.submit(work).result()


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
    return _memory_hard(lambda: crypto.password_keys(password, salt=salt, params=params))


def password_unwrap(blob: bytes, password: str, *, label: bytes) -> bytes:
    """:func:`intake.crypto.unwrap_with_password`, outside any transaction."""
    ensure_outside_transaction()
    return _memory_hard(lambda: crypto.unwrap_with_password(blob, password, label=label))
