"""Key derivations: the same bytes as before the switch of implementation, safe under
concurrent threads and processes, never inside a database transaction."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest
from django.db import transaction

from intake import crypto, kdf
from tests.helpers import all_at_once

PASSWORD = "correct horse battery staple"
SALT = b"pista-vector-salt"

# Computed on 2026-12-01 with the implementation used until then, cryptography 50.0.2's
# Argon2id (OpenSSL 4.0.3), before the switch to argon2-cffi's raw hash. Same input, same
# parameters, same bytes: every stored wrap and receipt made before the switch still opens.
ARGON2_PRODUCTION = "70f005d78d96eb0e9878013e2b653828afaad2540ca9844716908fec8e13a0e8"
ARGON2_SMALL = "a4db2b22123dd3c047a986f7b79b5fb718696cd3d87b2fa81b212a2fa226364d"
WRAPPED_BEFORE = bytes.fromhex(
    "5003010000010000000300047a8bd25e62675179813fc70becc6c1c9e3ff585e52af22e5437a8d56fbd4e5"
    "c4a39d69531556f32213bac5aa2236e7fa3ed9872c020ad89c6fbae1fd5dc940d5d029a0feeda4192e1244"
    "f32f573856a0681c45c9799d64a0865c62588f44e325cb914030d5e88897a5eb3d90ba9309d48cd7de1ea5"
    "8017e26280b43af121dbb84b4ff63570e38dfd0b2f589e"
)
RECEIPT_PASSPHRASE = "abacus abdomen abdominal abide abiding ability ablaze"
RECEIPT_LOOKUP_BEFORE = "5b70e42f9cf4c9a93096f3742812bd9113f08603398aae6d9125828d5b631d20"
RECEIPT_PUBLIC_KEY_SHA256_BEFORE = (
    "cd86c06295177b75f420da43801ec0a331199ac7a0a03e2c9996c9f6a59edd82"
)
PRODUCTION = crypto.Argon2Params(memory_kib=64 * 1024, iterations=3, lanes=4)
#: Generous: eight production derivations take about 1 s here; a hang takes forever.
BOUND_SECONDS = 60


def _derive(index: int) -> bytes:
    return crypto._argon2(f"password {index}".encode(), SALT, PRODUCTION, 32)


def test_argon2_gives_the_bytes_the_previous_implementation_gave() -> None:
    assert crypto._argon2(PASSWORD.encode(), SALT, PRODUCTION, 32).hex() == ARGON2_PRODUCTION
    small = crypto.Argon2Params(memory_kib=8, iterations=1, lanes=1)
    assert crypto._argon2(PASSWORD.encode(), SALT, small, 32).hex() == ARGON2_SMALL


def test_a_personal_key_wrapped_before_the_switch_still_opens() -> None:
    opened = crypto.unwrap_with_password(WRAPPED_BEFORE, PASSWORD, label=b"personal-key:v1:42")
    assert opened == bytes(range(96))
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_with_password(WRAPPED_BEFORE, "wrong password", label=b"personal-key:v1:42")


@pytest.mark.real_kdf
def test_a_receipt_made_before_the_switch_still_derives_the_same_lookup_and_key() -> None:
    secrets = crypto.derive_receipt_secrets(RECEIPT_PASSPHRASE)
    assert secrets.lookup.hex() == RECEIPT_LOOKUP_BEFORE
    assert hashlib.sha256(secrets.keypair.public_key).hexdigest() == (
        RECEIPT_PUBLIC_KEY_SHA256_BEFORE
    )


#: Eight threads deriving at once, in a child process: a derivation that hangs can hold
#: the GIL (cryptography's Argon2id did), and then no timeout inside the process fires.
_THREADS_SCRIPT = """
import sys, threading
from intake import crypto
params = crypto.Argon2Params(memory_kib=64 * 1024, iterations=3, lanes=4)
results = {}
start = threading.Barrier(8)
def run(i):
    start.wait()
    results[i] = crypto._argon2(f"password {i}".encode(), b"pista-vector-salt", params, 32)
threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(" ".join(results[i].hex() for i in range(8)))
"""


def test_eight_production_derivations_in_eight_threads_finish() -> None:
    try:
        child = subprocess.run(
            [sys.executable, "-c", _THREADS_SCRIPT],
            capture_output=True,
            text=True,
            timeout=BOUND_SECONDS,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"eight concurrent derivations did not finish in {BOUND_SECONDS} s")
    assert child.stdout.split() == [_derive(i).hex() for i in range(8)]


def test_derivations_in_several_processes_finish() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_derive, i) for i in range(4)]
        try:
            results = [future.result(timeout=BOUND_SECONDS) for future in futures]
        except FutureTimeout:
            pytest.fail("a derivation in a worker process hung")
    assert results == [_derive(i) for i in range(4)]


def test_a_derivation_refuses_to_run_inside_a_transaction(db: None) -> None:
    with transaction.atomic(), pytest.raises(kdf.DerivationInTransaction):
        kdf.receipt_secrets(RECEIPT_PASSPHRASE)
    with transaction.atomic(), pytest.raises(kdf.DerivationInTransaction):
        kdf.password_keys(PASSWORD)
    with transaction.atomic(), pytest.raises(kdf.DerivationInTransaction):
        kdf.password_unwrap(WRAPPED_BEFORE, PASSWORD, label=b"personal-key:v1:42")
    # Outside one (the test's own wrapping transaction stands for autocommit) it runs.
    assert kdf.password_unwrap(WRAPPED_BEFORE, PASSWORD, label=b"personal-key:v1:42")


def test_the_password_hasher_refuses_to_run_inside_a_transaction(db: None) -> None:
    from newsroom.hashers import PistaPasswordHasher

    hasher = PistaPasswordHasher()
    with transaction.atomic(), pytest.raises(kdf.DerivationInTransaction):
        hasher.encode(PASSWORD, hasher.salt())
    encoded = hasher.encode(PASSWORD, hasher.salt())
    with transaction.atomic(), pytest.raises(kdf.DerivationInTransaction):
        hasher.verify(PASSWORD, encoded)
    assert hasher.verify(PASSWORD, encoded)


def test_staff_derivations_run_in_a_low_priority_thread(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    real = crypto.password_keys

    def watched(*args: Any, **kwargs: Any) -> crypto.PasswordKeys:
        seen.append(
            (
                threading.current_thread().name,
                os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
            )
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, "password_keys", watched)
    keys = kdf.password_keys(PASSWORD, salt=SALT[:16])
    assert keys.verifier == real(PASSWORD, salt=SALT[:16]).verifier
    [(thread, niceness)] = seen
    assert thread.startswith("pista-kdf")
    assert niceness >= 10, "a staff login must yield the processor to the public pages"
    assert threading.current_thread().name != thread


def test_many_staff_derivations_at_once_queue_and_all_finish(db: None) -> None:
    expected = [crypto.password_keys(f"pw {i}", salt=SALT[:16]).verifier for i in range(8)]
    results = all_at_once(
        [lambda i=i: kdf.password_keys(f"pw {i}", salt=SALT[:16]).verifier for i in range(8)],
        timeout=BOUND_SECONDS,
    )
    assert results == expected
