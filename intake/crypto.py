"""Sealing primitives for Pista: the only module that imports ``cryptography`` and the
Argon2 binding (``argon2-cffi``).

Pure functions over bytes, no Django. Every blob written by this module starts
with a four-byte header (``b"P"``, a kind byte, a version byte, a reserved
zero) so the algorithms can change later without guessing what a stored value
is. Every operation takes a ``label`` naming the purpose and the record (for
example ``b"tip-body:v1:" + tip_uuid``); the label is authenticated, so a
ciphertext moved to another record or field fails to open.

Nothing here logs. Secrets (private keys, content keys, passwords, passphrases)
only ever appear as arguments and return values.

Failures raise :class:`DecryptionError` (wrong key, tampering, wrong label) or
:class:`FormatError` (not a blob of the expected kind or version); both carry a
message a person can act on and never include key or plaintext material.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from typing import Final

from argon2.exceptions import HashingError
from argon2.low_level import Type as _Argon2Type
from argon2.low_level import hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

__all__ = [
    "CONTENT_KEY_BYTES",
    "PRIVATE_KEY_BYTES",
    "PUBLIC_KEY_BYTES",
    "Argon2Params",
    "CryptoError",
    "DecryptionError",
    "FormatError",
    "KeyPair",
    "PasswordKeys",
    "ReceiptSecrets",
    "decrypt_bytes",
    "decrypt_text",
    "derive_receipt_secrets",
    "encrypt_bytes",
    "encrypt_text",
    "fingerprint",
    "fingerprint_normalise",
    "generate_keypair",
    "new_content_key",
    "padded_length",
    "password_keys",
    "password_wrap_matches",
    "seal",
    "unseal",
    "unwrap_with_password",
    "unwrap_with_password_keys",
    "wrap_with_password",
    "wrap_with_password_keys",
]

# --- algorithm choices, in one place -------------------------------------------------

#: HPKE (RFC 9180) with the ML-KEM-768 + X25519 post-quantum hybrid KEM.
_SUITE: Final = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

_MLKEM_SEED_BYTES: Final = 64
_X25519_BYTES: Final = 32
_MLKEM_PUBLIC_BYTES: Final = 1184

#: A private key is the ML-KEM-768 seed followed by the raw X25519 private key.
PRIVATE_KEY_BYTES: Final = _MLKEM_SEED_BYTES + _X25519_BYTES
#: A public key is the ML-KEM-768 encapsulation key followed by the X25519 public key.
PUBLIC_KEY_BYTES: Final = _MLKEM_PUBLIC_BYTES + _X25519_BYTES
CONTENT_KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12
_SALT_BYTES: Final = 16
_FINGERPRINT_DIGITS: Final = 30


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost parameters; stored inside each password-wrapped blob."""

    memory_kib: int
    iterations: int
    lanes: int


#: RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): about
#: 0.2 s on the project's 2-core reference machine.
PASSWORD_KDF: Final = Argon2Params(memory_kib=64 * 1024, iterations=3, lanes=4)
#: Receipt passphrases carry >= 90 bits, so the cost only has to make
#: look-up probing expensive; the same parameters keep one thing to reason about.
RECEIPT_KDF: Final = PASSWORD_KDF
#: Receipts need a deterministic look-up, so the salt is a fixed, labelled constant.
_RECEIPT_SALT: Final = b"pista-receipt-v1"
#: Largest cost a stored blob may ask for: the parameters are read from the blob
#: before its tag can be checked, so without a ceiling one altered byte could demand
#: terabytes of memory or thousands of passes. Four times today's cost leaves room to
#: raise :data:`PASSWORD_KDF` later; raise this with it.
_ARGON2_MAX: Final = Argon2Params(
    memory_kib=4 * PASSWORD_KDF.memory_kib, iterations=4 * PASSWORD_KDF.iterations, lanes=16
)

# --- blob headers ----------------------------------------------------------------------

_KIND_SEALED: Final = 1  # HPKE ciphertext to a public key
_KIND_SYMMETRIC: Final = 2  # AES-256-GCM under a content or session key
_KIND_PASSWORD: Final = 3  # AES-256-GCM under an Argon2id(password) key
_VERSION: Final = 1
_HEADER_BYTES: Final = 4

#: Text is padded to the next bucket so a ciphertext does not reveal its length to
#: the byte: powers of two from 512 bytes, then whole multiples of 64 KiB.
_MIN_BUCKET: Final = 512
_LARGE_BUCKET: Final = 64 * 1024
_LENGTH_PREFIX: Final = struct.Struct(">I")
_ARGON2_FIELDS: Final = struct.Struct(">IHH")


class CryptoError(Exception):
    """Base class for every failure raised by this module."""


class FormatError(CryptoError):
    """The bytes are not a Pista blob of the expected kind and version."""


class DecryptionError(CryptoError):
    """Authenticated decryption failed: wrong key, altered bytes or wrong record/field."""


def _header(kind: int, version: int = _VERSION) -> bytes:
    return bytes((0x50, kind, version, 0))


def _split_header(
    blob: bytes, kind: int, versions: tuple[int, ...] = (_VERSION,)
) -> tuple[bytes, bytes]:
    if len(blob) < _HEADER_BYTES or blob[0] != 0x50:
        raise FormatError("Not a Pista encrypted value (missing header).")
    header, body = blob[:_HEADER_BYTES], blob[_HEADER_BYTES:]
    if header[1] != kind:
        raise FormatError(f"Expected an encrypted value of kind {kind}, found kind {header[1]}.")
    if header[2] not in versions:
        raise FormatError(f"Unsupported encryption format version {header[2]}.")
    return header, body


def _aad(header: bytes, label: bytes) -> bytes:
    # The header is authenticated with the label so the version cannot be swapped.
    return header + b"|" + label


_DECRYPT_FAILED: Final = (
    "Decryption failed: the value was altered, belongs to another record or field, "
    "or the key is not the right one."
)


# --- key pairs -------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A hybrid ML-KEM-768 + X25519 key pair in Pista's raw byte encoding."""

    private_key: bytes
    public_key: bytes

    def __repr__(self) -> str:  # never print the private half
        return f"KeyPair(public={fingerprint(self.public_key)})"


def _private_from_bytes(private_key: bytes) -> hpke.MLKEM768X25519PrivateKey:
    if len(private_key) != PRIVATE_KEY_BYTES:
        raise FormatError(f"A private key must be exactly {PRIVATE_KEY_BYTES} bytes.")
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_key[:_MLKEM_SEED_BYTES])
    x_key = x25519.X25519PrivateKey.from_private_bytes(private_key[_MLKEM_SEED_BYTES:])
    return hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key)


def _public_from_bytes(public_key: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise FormatError(f"A public key must be exactly {PUBLIC_KEY_BYTES} bytes.")
    mlkem_key = mlkem.MLKEM768PublicKey.from_public_bytes(public_key[:_MLKEM_PUBLIC_BYTES])
    x_key = x25519.X25519PublicKey.from_public_bytes(public_key[_MLKEM_PUBLIC_BYTES:])
    return hpke.MLKEM768X25519PublicKey(mlkem_key, x_key)


def _keypair_from_seed(seed: bytes) -> KeyPair:
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed[:_MLKEM_SEED_BYTES])
    x_key = x25519.X25519PrivateKey.from_private_bytes(seed[_MLKEM_SEED_BYTES:])
    public = mlkem_key.public_key().public_bytes_raw() + x_key.public_key().public_bytes_raw()
    return KeyPair(private_key=seed, public_key=public)


def generate_keypair() -> KeyPair:
    """Return a fresh hybrid key pair drawn from the OS random generator."""
    return _keypair_from_seed(os.urandom(PRIVATE_KEY_BYTES))


def fingerprint(public_key: bytes) -> str:
    """Return a public key's fingerprint: 30 digits in six groups of five (not secret).

    Digits, because people compare fingerprints aloud, on the phone or face to face,
    in any language: "48213 90077 ...". Thirty digits carry 99.7 bits, so nobody can
    make a second key with the same fingerprint.
    """
    digest = hashlib.sha256(b"pista-key-fingerprint:v2:" + public_key).digest()
    digits = f"{int.from_bytes(digest[:16], 'big') % 10**_FINGERPRINT_DIGITS:030d}"
    return " ".join(digits[i : i + 5] for i in range(0, _FINGERPRINT_DIGITS, 5))


def fingerprint_normalise(text: str) -> str:
    """Keep only the digits of a fingerprint as someone typed or read it."""
    return "".join(char for char in text if char.isascii() and char.isdigit())


# --- sealing to a public key ------------------------------------------------------------


def seal(plaintext: bytes, public_key: bytes, *, label: bytes) -> bytes:
    """Seal ``plaintext`` (typically a content key) to the holder of ``public_key``.

    Only public material is needed: this is what the tip-accepting web process calls.
    """
    header = _header(_KIND_SEALED)
    ciphertext = _SUITE.encrypt(plaintext, _public_from_bytes(public_key), info=_aad(header, label))
    return header + ciphertext


def unseal(blob: bytes, private_key: bytes, *, label: bytes) -> bytes:
    """Open a blob made by :func:`seal`; raise :class:`DecryptionError` on any mismatch."""
    header, body = _split_header(blob, _KIND_SEALED)
    try:
        return _SUITE.decrypt(body, _private_from_bytes(private_key), info=_aad(header, label))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(_DECRYPT_FAILED) from exc


# --- symmetric content encryption ----------------------------------------------------


def new_content_key() -> bytes:
    """Return a fresh random 256-bit content key (one per record)."""
    return AESGCM.generate_key(bit_length=256)


def padded_length(length: int) -> int:
    """Return the padded size for a plaintext of ``length`` bytes (length prefix included)."""
    needed = length + _LENGTH_PREFIX.size
    if needed <= _LARGE_BUCKET:
        bucket = _MIN_BUCKET
        while bucket < needed:
            bucket *= 2
        return bucket
    return -(-needed // _LARGE_BUCKET) * _LARGE_BUCKET


def _pad(data: bytes) -> bytes:
    prefixed = _LENGTH_PREFIX.pack(len(data)) + data
    return prefixed + bytes(padded_length(len(data)) - len(prefixed))


def _unpad(padded: bytes) -> bytes:
    (length,) = _LENGTH_PREFIX.unpack_from(padded)
    end = _LENGTH_PREFIX.size + length
    if end > len(padded):
        raise DecryptionError("Decrypted value has an impossible length; the data is corrupt.")
    return padded[_LENGTH_PREFIX.size : end]


def encrypt_bytes(data: bytes, key: bytes, *, label: bytes) -> bytes:
    """Encrypt ``data`` under a 256-bit ``key`` with AES-256-GCM, padded to a bucket."""
    header = _header(_KIND_SYMMETRIC)
    nonce = os.urandom(_NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, _pad(data), _aad(header, label))


def decrypt_bytes(blob: bytes, key: bytes, *, label: bytes) -> bytes:
    """Decrypt a blob made by :func:`encrypt_bytes`."""
    header, body = _split_header(blob, _KIND_SYMMETRIC)
    nonce, ciphertext = body[:_NONCE_BYTES], body[_NONCE_BYTES:]
    try:
        padded = AESGCM(key).decrypt(nonce, ciphertext, _aad(header, label))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(_DECRYPT_FAILED) from exc
    return _unpad(padded)


def encrypt_text(text: str, key: bytes, *, label: bytes) -> bytes:
    """Encrypt a string (UTF-8) under a content key; see :func:`encrypt_bytes`."""
    return encrypt_bytes(text.encode("utf-8"), key, label=label)


def decrypt_text(blob: bytes, key: bytes, *, label: bytes) -> str:
    """Decrypt a blob made by :func:`encrypt_text`."""
    return decrypt_bytes(blob, key, label=label).decode("utf-8")


# --- password-derived wrapping -------------------------------------------------------


def _argon2(secret: bytes, salt: bytes, params: Argon2Params, length: int) -> bytes:
    """Argon2id (version 0x13) through argon2-cffi's binding of the reference implementation.

    Not ``cryptography``'s Argon2id: with several lanes, two threads deriving at once
    deadlock there (cryptography 50.0.2 on OpenSSL 4), and a process that saw it answers
    every later derivation with ``MemoryError``. The reference implementation holds no
    shared state, releases the GIL and gives the same bytes for the same parameters
    (``tests/intake/test_kdf.py`` pins values computed with the old implementation).
    """
    try:
        return hash_secret_raw(
            secret,
            salt,
            time_cost=params.iterations,
            memory_cost=params.memory_kib,
            parallelism=params.lanes,
            hash_len=length,
            type=_Argon2Type.ID,
        )
    except HashingError as exc:  # out of memory, or parameters the library refuses
        raise CryptoError(f"Key derivation failed: {exc}") from exc


@dataclass(frozen=True, repr=False)
class PasswordKeys:
    """What one Argon2id run over a password yields, split by HKDF with two labels.

    ``verifier`` is stored as the login hash; ``wrap_key`` encrypts the personal
    private key. Knowing one says nothing about the other, and a login needs a
    single memory-hard derivation for both the password check and the unwrap.
    """

    params: Argon2Params
    salt: bytes
    verifier: bytes
    wrap_key: bytes

    def __repr__(self) -> str:
        return "PasswordKeys(<redacted>)"


_PASSWORD_VERIFIER_INFO: Final = b"pista-password-verifier:v2"
_PASSWORD_WRAP_INFO: Final = b"pista-password-wrap:v2"
#: Version 1: the wrap key is Argon2id(password) itself (no verifier shares its run).
#: Version 2: the wrap key is HKDF-Expand(Argon2id(password), "pista-password-wrap:v2").
_PASSWORD_WRAP_VERSIONS: Final = (1, 2)


def password_keys(
    password: str, *, salt: bytes | None = None, params: Argon2Params | None = None
) -> PasswordKeys:
    """Derive a password's verifier and wrap key: one Argon2id run, then HKDF-Expand.

    A fresh random salt is drawn unless ``salt`` is given (to check a password
    against a stored verifier). ``params`` defaults to :data:`PASSWORD_KDF`.
    """
    params = params or PASSWORD_KDF
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    _check_argon2_params(params)
    master = _argon2(password.encode("utf-8"), salt, params, 32)
    return PasswordKeys(
        params=params,
        salt=salt,
        verifier=_expand(master, _PASSWORD_VERIFIER_INFO, 32),
        wrap_key=_expand(master, _PASSWORD_WRAP_INFO, CONTENT_KEY_BYTES),
    )


def _check_argon2_params(params: Argon2Params) -> None:
    # The parameters are read from stored values before anything can be checked, so
    # without a ceiling one altered byte could demand terabytes of memory.
    if not (
        1 <= params.lanes <= _ARGON2_MAX.lanes
        and 1 <= params.iterations <= _ARGON2_MAX.iterations
        and 8 * params.lanes <= params.memory_kib <= _ARGON2_MAX.memory_kib
    ):
        raise FormatError("Impossible key-derivation parameters.")


def _password_fields(params: Argon2Params, salt: bytes) -> bytes:
    return _ARGON2_FIELDS.pack(params.memory_kib, params.iterations, params.lanes) + salt


def wrap_with_password_keys(secret: bytes, keys: PasswordKeys, *, label: bytes) -> bytes:
    """Encrypt ``secret`` under the wrap key of ``keys`` (format version 2).

    The cost parameters and salt travel in the blob, so a login can see whether
    the stored verifier and this wrap come from the same derivation.
    """
    header = _header(_KIND_PASSWORD, 2)
    fields = _password_fields(keys.params, keys.salt)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(keys.wrap_key).encrypt(nonce, secret, _aad(header + fields, label))
    return header + fields + nonce + ciphertext


def wrap_with_password(
    secret: bytes, password: str, *, label: bytes, params: Argon2Params | None = None
) -> bytes:
    """Encrypt ``secret`` under a key derived from ``password`` with a fresh random salt."""
    return wrap_with_password_keys(secret, password_keys(password, params=params), label=label)


@dataclass(frozen=True)
class _PasswordBlob:
    header: bytes
    fields: bytes
    params: Argon2Params
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def _password_blob(blob: bytes) -> _PasswordBlob:
    header, body = _split_header(blob, _KIND_PASSWORD, _PASSWORD_WRAP_VERSIONS)
    fields_end = _ARGON2_FIELDS.size + _SALT_BYTES
    if len(body) < fields_end + _NONCE_BYTES:
        raise FormatError("Password-wrapped value is truncated.")
    memory_kib, iterations, lanes = _ARGON2_FIELDS.unpack_from(body)
    params = Argon2Params(memory_kib, iterations, lanes)
    try:
        _check_argon2_params(params)
    except FormatError as exc:
        raise FormatError(
            "Password-wrapped value has impossible key-derivation parameters."
        ) from exc
    return _PasswordBlob(
        header=header,
        fields=body[:fields_end],
        params=params,
        salt=body[_ARGON2_FIELDS.size : fields_end],
        nonce=body[fields_end : fields_end + _NONCE_BYTES],
        ciphertext=body[fields_end + _NONCE_BYTES :],
    )


def password_wrap_matches(blob: bytes, keys: PasswordKeys) -> bool:
    """Whether ``blob`` was wrapped (version 2) under the same salt and cost as ``keys``,
    so that ``keys.wrap_key`` is the one that opens it."""
    parsed = _password_blob(blob)
    return parsed.header[2] == 2 and parsed.salt == keys.salt and parsed.params == keys.params


def unwrap_with_password_keys(blob: bytes, keys: PasswordKeys, *, label: bytes) -> bytes:
    """Open a version-2 blob with already derived keys (no further derivation)."""
    parsed = _password_blob(blob)
    if not password_wrap_matches(blob, keys):
        raise FormatError("This value was wrapped under another derivation of the password.")
    try:
        return AESGCM(keys.wrap_key).decrypt(
            parsed.nonce, parsed.ciphertext, _aad(parsed.header + parsed.fields, label)
        )
    except InvalidTag as exc:
        raise DecryptionError("The password does not open this key.") from exc


def unwrap_with_password(blob: bytes, password: str, *, label: bytes) -> bytes:
    """Open a blob made by :func:`wrap_with_password` (either format version): one
    derivation with the blob's own salt. A wrong password raises :class:`DecryptionError`."""
    parsed = _password_blob(blob)
    if parsed.header[2] == 2:
        keys = password_keys(password, salt=parsed.salt, params=parsed.params)
        return unwrap_with_password_keys(blob, keys, label=label)
    key = _argon2(password.encode("utf-8"), parsed.salt, parsed.params, CONTENT_KEY_BYTES)
    try:
        return AESGCM(key).decrypt(
            parsed.nonce, parsed.ciphertext, _aad(parsed.header + parsed.fields, label)
        )
    except InvalidTag as exc:
        raise DecryptionError("The password does not open this key.") from exc


# --- receipt passphrases -------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ReceiptSecrets:
    """What a receipt passphrase yields: a look-up value and a key pair."""

    lookup: bytes
    keypair: KeyPair

    def __repr__(self) -> str:
        return "ReceiptSecrets(<redacted>)"


def derive_receipt_secrets(normalised_passphrase: str) -> ReceiptSecrets:
    """Derive the look-up value and the reader's key pair from a receipt passphrase.

    One Argon2id run, then HKDF-Expand with two purpose labels, so the stored
    look-up value reveals nothing about the key pair. The caller normalises the
    passphrase first (see ``intake.passphrase``).
    """
    master = _argon2(normalised_passphrase.encode("utf-8"), _RECEIPT_SALT, RECEIPT_KDF, 32)
    # (RECEIPT_KDF is read at call time so the test suite can lower it; see tests/conftest.py.)
    lookup = _expand(master, b"pista-receipt-lookup:v1", 32)
    seed = _expand(master, b"pista-receipt-keypair:v1", PRIVATE_KEY_BYTES)
    return ReceiptSecrets(lookup=lookup, keypair=_keypair_from_seed(seed))


def _expand(key: bytes, info: bytes, length: int) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(key)
