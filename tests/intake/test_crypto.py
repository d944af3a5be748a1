"""intake/crypto.py: round trips, tampering, wrong keys, moved ciphertexts, padding, format.

Argon2id runs with cheap parameters here (see tests/conftest.py) except in tests
marked ``real_kdf``, which check the production constants themselves.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Callable
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from intake import crypto, labels

TIP = uuid4()
OTHER_TIP = uuid4()
BODY = labels.tip_field(TIP, "body")
KEY_LABEL = labels.tip_content_key(TIP)
PASSWORD_LABEL = labels.personal_key(1)
PASSWORD = "correct horse battery staple"
FAST = crypto.Argon2Params(memory_kib=8, iterations=1, lanes=1)

# One key pair and content key for the whole module: hypothesis re-runs a test body
# many times and must not depend on function-scoped fixtures.
KEYPAIR = crypto.generate_keypair()
CONTENT_KEY = crypto.new_content_key()

HEADER_BYTES = 4
TAG_BYTES = 16
NONCE_BYTES = 12
MLKEM768_CIPHERTEXT_BYTES = 1088
X25519_BYTES = 32
KDF_FIELDS = struct.Struct(">IHH")
KDF_FIELDS_END = HEADER_BYTES + KDF_FIELDS.size + 16  # header, cost, salt

# Each kind of blob, how to make one and how to open it with the right key and label.
Opener = Callable[[bytes], object]


def _sealed() -> tuple[bytes, Opener]:
    blob = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)
    return blob, lambda b: crypto.unseal(b, KEYPAIR.private_key, label=KEY_LABEL)


def _symmetric() -> tuple[bytes, Opener]:
    blob = crypto.encrypt_text("The mayor's brother owns the contractor.", CONTENT_KEY, label=BODY)
    return blob, lambda b: crypto.decrypt_text(b, CONTENT_KEY, label=BODY)


def _password() -> tuple[bytes, Opener]:
    blob = crypto.wrap_with_password(KEYPAIR.private_key, PASSWORD, label=PASSWORD_LABEL)
    return blob, lambda b: crypto.unwrap_with_password(b, PASSWORD, label=PASSWORD_LABEL)


MAKERS = {"sealed": _sealed, "symmetric": _symmetric, "password": _password}

# Byte ranges of each blob's parts; ``None`` as an end means "up to the tag".
SEALED_ENC_END = HEADER_BYTES + MLKEM768_CIPHERTEXT_BYTES + X25519_BYTES
REGIONS = [
    ("sealed", "header", 0, HEADER_BYTES),
    ("sealed", "encapsulated-key", HEADER_BYTES, SEALED_ENC_END),
    ("sealed", "ciphertext", SEALED_ENC_END, None),
    ("sealed", "tag", -TAG_BYTES, 0),
    ("symmetric", "header", 0, HEADER_BYTES),
    ("symmetric", "nonce", HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
    ("symmetric", "ciphertext", HEADER_BYTES + NONCE_BYTES, None),
    ("symmetric", "tag", -TAG_BYTES, 0),
    ("password", "header", 0, HEADER_BYTES),
    ("password", "kdf-parameters", HEADER_BYTES, HEADER_BYTES + KDF_FIELDS.size),
    ("password", "salt", HEADER_BYTES + KDF_FIELDS.size, KDF_FIELDS_END),
    ("password", "nonce", KDF_FIELDS_END, KDF_FIELDS_END + NONCE_BYTES),
    ("password", "ciphertext", KDF_FIELDS_END + NONCE_BYTES, None),
    ("password", "tag", -TAG_BYTES, 0),
]


def _byte_range(blob: bytes, start: int, end: int | None) -> range:
    if start < 0:  # the tag: counted from the end
        return range(len(blob) + start, len(blob) + end if end else len(blob))
    return range(start, len(blob) - TAG_BYTES if end is None else end)


def _flip(blob: bytes, bit: int) -> bytes:
    flipped = bytearray(blob)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- round trips ----------------------------------------------------------------------


@given(plaintext=st.binary(max_size=2048))
def test_seal_then_unseal_returns_the_plaintext(plaintext: bytes) -> None:
    blob = crypto.seal(plaintext, KEYPAIR.public_key, label=KEY_LABEL)

    assert crypto.unseal(blob, KEYPAIR.private_key, label=KEY_LABEL) == plaintext


@given(text=st.text(max_size=2000))
def test_encrypt_text_then_decrypt_text_returns_the_text(text: str) -> None:
    blob = crypto.encrypt_text(text, CONTENT_KEY, label=BODY)

    assert crypto.decrypt_text(blob, CONTENT_KEY, label=BODY) == text


@given(data=st.binary(max_size=5000))
def test_encrypt_bytes_then_decrypt_bytes_returns_the_bytes(data: bytes) -> None:
    blob = crypto.encrypt_bytes(data, CONTENT_KEY, label=BODY)

    assert crypto.decrypt_bytes(blob, CONTENT_KEY, label=BODY) == data


@pytest.mark.parametrize("size", [0, 1, 507, 508, 509, 65532, 65533, 200_000])
def test_encrypt_bytes_round_trips_at_bucket_boundaries(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))

    blob = crypto.encrypt_bytes(data, CONTENT_KEY, label=BODY)

    assert crypto.decrypt_bytes(blob, CONTENT_KEY, label=BODY) == data


@pytest.mark.parametrize("password", [PASSWORD, "", "ñandú 🦤 contraseña"])
def test_wrap_with_password_then_unwrap_returns_the_secret(password: str) -> None:
    blob = crypto.wrap_with_password(KEYPAIR.private_key, password, label=PASSWORD_LABEL)

    assert crypto.unwrap_with_password(blob, password, label=PASSWORD_LABEL) == KEYPAIR.private_key


def test_password_blob_opens_with_the_parameters_it_records_not_todays() -> None:
    stronger = crypto.Argon2Params(memory_kib=64, iterations=2, lanes=2)
    blob = crypto.wrap_with_password(b"secret", PASSWORD, label=PASSWORD_LABEL, params=stronger)

    recorded = KDF_FIELDS.unpack_from(blob, HEADER_BYTES)

    assert recorded == (64, 2, 2)
    assert stronger != crypto.PASSWORD_KDF
    assert crypto.unwrap_with_password(blob, PASSWORD, label=PASSWORD_LABEL) == b"secret"


def test_wrapping_twice_uses_a_fresh_salt_and_nonce() -> None:
    first = crypto.wrap_with_password(b"secret", PASSWORD, label=PASSWORD_LABEL)
    second = crypto.wrap_with_password(b"secret", PASSWORD, label=PASSWORD_LABEL)

    assert first[HEADER_BYTES + KDF_FIELDS.size :] != second[HEADER_BYTES + KDF_FIELDS.size :]
    assert (
        first[HEADER_BYTES + KDF_FIELDS.size : KDF_FIELDS_END]
        != (second[HEADER_BYTES + KDF_FIELDS.size : KDF_FIELDS_END])
    )


def test_encrypting_the_same_text_twice_gives_different_ciphertexts() -> None:
    first = crypto.encrypt_text("same", CONTENT_KEY, label=BODY)
    second = crypto.encrypt_text("same", CONTENT_KEY, label=BODY)

    assert first != second


# --- tampering: one flipped bit anywhere fails loudly --------------------------------


@pytest.mark.parametrize(
    ("kind", "region", "start", "end"), REGIONS, ids=[f"{k}-{r}" for k, r, *_ in REGIONS]
)
@hypothesis_settings(deadline=None)  # a flipped cost bit may ask Argon2id for 128 MiB
@given(data=st.data())
def test_one_flipped_bit_fails_with_a_clear_error(
    kind: str, region: str, start: int, end: int | None, data: st.DataObject
) -> None:
    blob, open_blob = MAKERS[kind]()
    span = _byte_range(blob, start, end)
    assert len(span) > 0, f"{kind} blob has no {region}"
    byte = data.draw(st.sampled_from(span), label="byte")
    bit = byte * 8 + data.draw(st.integers(0, 7), label="bit in byte")

    with pytest.raises((crypto.DecryptionError, crypto.FormatError)) as failure:
        open_blob(_flip(blob, bit))

    message = str(failure.value)
    assert message.endswith(".")
    assert len(message) > 20


def test_a_flipped_reserved_header_byte_is_caught_by_authentication() -> None:
    blob, open_blob = _symmetric()

    with pytest.raises(crypto.DecryptionError, match="altered"):
        open_blob(_flip(blob, 3 * 8))


@pytest.mark.parametrize(
    ("memory_kib", "iterations", "lanes"),
    [
        (2**31 + 8, 1, 1),  # two TiB of memory
        (8, 2**15 + 1, 1),  # tens of thousands of passes
        (0, 1, 1),
        (8, 0, 1),
        (8, 1, 0),
        (8, 1, 3),  # less memory than the lanes need
    ],
)
def test_password_blob_with_impossible_kdf_parameters_is_rejected_before_deriving(
    memory_kib: int, iterations: int, lanes: int
) -> None:
    blob, open_blob = _password()
    forged = (
        blob[:HEADER_BYTES]
        + KDF_FIELDS.pack(memory_kib, iterations, lanes)
        + blob[HEADER_BYTES + KDF_FIELDS.size :]
    )

    with pytest.raises(crypto.FormatError, match="key-derivation parameters"):
        open_blob(forged)


@pytest.mark.parametrize("kind", sorted(MAKERS))
@given(data=st.data())
def test_truncated_blob_fails_cleanly(kind: str, data: st.DataObject) -> None:
    blob, open_blob = MAKERS[kind]()
    cut = data.draw(st.integers(0, len(blob) - 1), label="kept bytes")

    with pytest.raises((crypto.DecryptionError, crypto.FormatError)):
        open_blob(blob[:cut])


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_blob_with_bytes_appended_fails(kind: str) -> None:
    blob, open_blob = MAKERS[kind]()

    with pytest.raises(crypto.DecryptionError):
        open_blob(blob + b"\x00")


# --- wrong key -------------------------------------------------------------------------


def test_unseal_with_another_keypair_fails() -> None:
    blob = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)
    stranger = crypto.generate_keypair()

    with pytest.raises(crypto.DecryptionError, match="key is not the right one"):
        crypto.unseal(blob, stranger.private_key, label=KEY_LABEL)


def test_unseal_with_a_malformed_private_key_is_a_format_error() -> None:
    blob = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)

    with pytest.raises(crypto.FormatError, match="exactly 96 bytes"):
        crypto.unseal(blob, KEYPAIR.private_key[:-1], label=KEY_LABEL)


def test_seal_to_a_malformed_public_key_is_a_format_error() -> None:
    with pytest.raises(crypto.FormatError, match="exactly 1216 bytes"):
        crypto.seal(CONTENT_KEY, KEYPAIR.public_key + b"\x00", label=KEY_LABEL)


def test_decrypt_with_another_content_key_fails() -> None:
    blob = crypto.encrypt_text("secret", CONTENT_KEY, label=BODY)

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(blob, crypto.new_content_key(), label=BODY)


def test_unwrap_with_the_wrong_password_fails() -> None:
    blob = crypto.wrap_with_password(b"secret", PASSWORD, label=PASSWORD_LABEL)

    with pytest.raises(crypto.DecryptionError, match="password does not open"):
        crypto.unwrap_with_password(blob, PASSWORD + " ", label=PASSWORD_LABEL)


# --- ciphertext moved to another record or field ------------------------------------


@pytest.mark.parametrize(
    "wrong_label",
    [labels.tip_field(OTHER_TIP, "body"), labels.tip_field(TIP, "contact")],
    ids=["other-tip", "other-field"],
)
def test_field_ciphertext_moved_to_another_record_or_field_fails(wrong_label: bytes) -> None:
    blob = crypto.encrypt_text("secret", CONTENT_KEY, label=BODY)

    with pytest.raises(crypto.DecryptionError, match="another record or field"):
        crypto.decrypt_text(blob, CONTENT_KEY, label=wrong_label)


def test_sealed_content_key_moved_to_another_tip_fails() -> None:
    blob = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)

    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(blob, KEYPAIR.private_key, label=labels.tip_content_key(OTHER_TIP))


def test_password_wrapped_key_moved_to_another_user_fails() -> None:
    blob = crypto.wrap_with_password(b"secret", PASSWORD, label=labels.personal_key(1))

    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_with_password(blob, PASSWORD, label=labels.personal_key(2))


# --- padding ---------------------------------------------------------------------------


def test_short_and_long_tips_have_equal_ciphertext_lengths() -> None:
    short = crypto.encrypt_bytes(b"x", CONTENT_KEY, label=BODY)
    long = crypto.encrypt_bytes(b"x" * 400, CONTENT_KEY, label=BODY)

    assert len(short) == len(long)


@pytest.mark.parametrize(
    ("fits", "bucket", "next_bucket"),
    [(508, 512, 1024), (1020, 1024, 2048), (65532, 65536, 131072), (131068, 131072, 196608)],
)
def test_one_byte_over_a_bucket_goes_to_the_next_bucket(
    fits: int, bucket: int, next_bucket: int
) -> None:
    assert crypto.padded_length(fits) == bucket
    assert crypto.padded_length(fits + 1) == next_bucket
    at_edge = crypto.encrypt_bytes(bytes(fits), CONTENT_KEY, label=BODY)
    over_edge = crypto.encrypt_bytes(bytes(fits + 1), CONTENT_KEY, label=BODY)
    assert len(over_edge) - len(at_edge) == next_bucket - bucket


@given(a=st.integers(0, 10**7), b=st.integers(0, 10**7))
def test_padded_length_is_monotonic_and_leaves_room_for_the_length_prefix(a: int, b: int) -> None:
    low, high = sorted((a, b))

    assert crypto.padded_length(low) <= crypto.padded_length(high)
    assert crypto.padded_length(low) >= low + 4


@given(length=st.integers(0, 10**7))
def test_padded_length_is_a_power_of_two_bucket_or_a_whole_64_kib(length: int) -> None:
    size = crypto.padded_length(length)

    assert size >= 512
    assert size % (64 * 1024) == 0 or (size & (size - 1) == 0)


@given(data=st.binary(max_size=3000))
def test_ciphertext_length_depends_only_on_the_bucket(data: bytes) -> None:
    blob = crypto.encrypt_bytes(data, CONTENT_KEY, label=BODY)

    assert len(blob) == HEADER_BYTES + NONCE_BYTES + crypto.padded_length(len(data)) + TAG_BYTES


# --- format header ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "header"),
    [("sealed", b"P\x01\x01\x00"), ("symmetric", b"P\x02\x01\x00"), ("password", b"P\x03\x02\x00")],
)
def test_every_blob_starts_with_its_versioned_header(kind: str, header: bytes) -> None:
    blob, _ = MAKERS[kind]()

    assert blob[:HEADER_BYTES] == header


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_unknown_format_version_is_a_format_error(kind: str) -> None:
    blob, open_blob = MAKERS[kind]()
    future = blob[:2] + b"\x07" + blob[3:]

    with pytest.raises(crypto.FormatError, match="Unsupported encryption format version 7"):
        open_blob(future)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_unknown_kind_is_a_format_error(kind: str) -> None:
    blob, open_blob = MAKERS[kind]()
    unknown = blob[:1] + b"\x09" + blob[2:]

    with pytest.raises(crypto.FormatError, match="found kind 9"):
        open_blob(unknown)


def test_blob_of_one_kind_is_refused_by_another_kinds_opener() -> None:
    sealed, _ = _sealed()

    with pytest.raises(crypto.FormatError, match="Expected an encrypted value of kind 2"):
        crypto.decrypt_bytes(sealed, CONTENT_KEY, label=BODY)


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("not_a_blob", [b"", b"P", b"hello world", b"Q\x02\x01\x00" + bytes(64)])
def test_bytes_without_a_header_are_a_format_error(kind: str, not_a_blob: bytes) -> None:
    _, open_blob = MAKERS[kind]()

    with pytest.raises(crypto.FormatError, match="Not a Pista encrypted value"):
        open_blob(not_a_blob)


# --- the post-quantum hybrid suite --------------------------------------------------


def test_public_key_is_ml_kem_768_plus_x25519() -> None:
    assert crypto.PUBLIC_KEY_BYTES == 1184 + 32
    assert len(KEYPAIR.public_key) == crypto.PUBLIC_KEY_BYTES
    assert len(KEYPAIR.private_key) == crypto.PRIVATE_KEY_BYTES


def test_sealed_blob_carries_an_ml_kem_768_ciphertext() -> None:
    blob = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)

    assert len(blob) > MLKEM768_CIPHERTEXT_BYTES
    # header + ML-KEM-768 ciphertext + X25519 share + AES-256-GCM(content key)
    assert len(blob) == (
        HEADER_BYTES + MLKEM768_CIPHERTEXT_BYTES + X25519_BYTES + len(CONTENT_KEY) + TAG_BYTES
    )


def test_sealing_twice_gives_different_blobs() -> None:
    first = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)
    second = crypto.seal(CONTENT_KEY, KEYPAIR.public_key, label=KEY_LABEL)

    assert first != second


# --- receipt secrets ------------------------------------------------------------------


def test_receipt_secrets_are_deterministic_for_one_passphrase() -> None:
    first = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")
    second = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")

    assert first.lookup == second.lookup
    assert first.keypair.private_key == second.keypair.private_key
    assert first.keypair.public_key == second.keypair.public_key


def test_receipt_secrets_differ_between_passphrases() -> None:
    first = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")
    second = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot hotel")

    assert first.lookup != second.lookup
    assert first.keypair.public_key != second.keypair.public_key
    assert first.keypair.private_key != second.keypair.private_key


def test_receipt_lookup_is_separate_from_the_key_pair() -> None:
    secrets = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")

    assert len(secrets.lookup) == 32
    assert secrets.lookup not in secrets.keypair.public_key
    assert secrets.lookup not in secrets.keypair.private_key


def test_receipt_key_pair_opens_what_is_sealed_to_its_public_key() -> None:
    secrets = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")
    blob = crypto.seal(b"reply key", secrets.keypair.public_key, label=b"reply:v1:test")

    again = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")

    assert crypto.unseal(blob, again.keypair.private_key, label=b"reply:v1:test") == b"reply key"


# --- what never gets printed --------------------------------------------------------


def _renderings(secret: bytes) -> list[str]:
    hex_form = secret.hex()
    return [
        hex_form,
        hex_form.upper(),
        hex_form[:16],  # even a slice of the key would be a leak
        repr(secret),
        repr(secret[:8])[2:-1],
        base64.b64encode(secret).decode(),
    ]


def test_keypair_repr_never_shows_the_private_key() -> None:
    shown = [repr(KEYPAIR), str(KEYPAIR), f"{KEYPAIR!r}"]

    for rendering in _renderings(KEYPAIR.private_key):
        assert not any(rendering in text for text in shown)
    assert crypto.fingerprint(KEYPAIR.public_key) in repr(KEYPAIR)


def test_receipt_secrets_repr_never_shows_keys_or_lookup() -> None:
    secrets = crypto.derive_receipt_secrets("alpha bravo charlie delta echo foxtrot golf")
    shown = [repr(secrets), str(secrets)]

    for secret in (secrets.keypair.private_key, secrets.lookup):
        for rendering in _renderings(secret):
            assert not any(rendering in text for text in shown)


# --- fingerprints ----------------------------------------------------------------------


def test_fingerprint_is_stable_and_can_be_read_aloud_as_digit_groups() -> None:
    first = crypto.fingerprint(KEYPAIR.public_key)

    assert crypto.fingerprint(KEYPAIR.public_key) == first
    assert re.fullmatch(r"[0-9]{5}( [0-9]{5}){5}", first)
    # Pinned: a stored or printed fingerprint must still match after an upgrade.
    assert crypto.fingerprint(bytes(crypto.PUBLIC_KEY_BYTES)) == (
        "20382 90207 19177 40258 79553 45244"
    )


def test_a_fingerprint_as_typed_or_read_is_normalised_to_its_digits() -> None:
    printed = crypto.fingerprint(KEYPAIR.public_key)
    typed = " " + printed.replace(" ", "-") + "\n"
    assert crypto.fingerprint_normalise(typed) == printed.replace(" ", "")
    assert crypto.fingerprint_normalise("١٢٣ abc 45") == "45", "only ASCII digits count"


def test_fingerprints_differ_between_keys() -> None:
    other = crypto.generate_keypair()

    assert crypto.fingerprint(other.public_key) != crypto.fingerprint(KEYPAIR.public_key)


# --- production parameters ------------------------------------------------------------


@pytest.mark.real_kdf
def test_production_kdf_parameters_meet_the_design() -> None:
    for params in (crypto.PASSWORD_KDF, crypto.RECEIPT_KDF):
        assert params.memory_kib >= 64 * 1024
        assert params.iterations >= 1
        assert params.lanes >= 1

    blob = crypto.wrap_with_password(b"secret", PASSWORD, label=PASSWORD_LABEL)

    recorded = KDF_FIELDS.unpack_from(blob, HEADER_BYTES)
    expected = crypto.PASSWORD_KDF
    assert recorded == (expected.memory_kib, expected.iterations, expected.lanes)
    assert crypto.unwrap_with_password(blob, PASSWORD, label=PASSWORD_LABEL) == b"secret"


# --- one derivation, two keys: the password verifier and the wrap key -----------------


def test_password_keys_split_one_derivation_into_a_verifier_and_a_wrap_key() -> None:
    keys = crypto.password_keys("correct horse", params=FAST)
    again = crypto.password_keys("correct horse", salt=keys.salt, params=FAST)
    other = crypto.password_keys("wrong horse", salt=keys.salt, params=FAST)

    assert (again.verifier, again.wrap_key) == (keys.verifier, keys.wrap_key)
    assert keys.verifier != keys.wrap_key, "the stored verifier must not be the wrap key"
    assert other.verifier != keys.verifier
    assert "redacted" in repr(keys)
    assert keys.verifier.hex() not in repr(keys)


def test_a_wrap_made_with_password_keys_opens_with_the_same_keys_or_the_password() -> None:
    keys = crypto.password_keys("correct horse", params=FAST)
    blob = crypto.wrap_with_password_keys(b"personal key", keys, label=b"personal-key:v1:7")

    assert blob[:4] == b"P\x03\x02\x00"
    assert crypto.password_wrap_matches(blob, keys)
    assert crypto.unwrap_with_password_keys(blob, keys, label=b"personal-key:v1:7") == (
        b"personal key"
    )
    assert crypto.unwrap_with_password(blob, "correct horse", label=b"personal-key:v1:7") == (
        b"personal key"
    )
    with pytest.raises(crypto.DecryptionError, match="password does not open"):
        crypto.unwrap_with_password(blob, "wrong horse", label=b"personal-key:v1:7")
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_with_password_keys(blob, keys, label=b"personal-key:v1:8")


def test_keys_of_another_salt_are_refused_before_any_decryption() -> None:
    keys = crypto.password_keys("correct horse", params=FAST)
    blob = crypto.wrap_with_password_keys(b"personal key", keys, label=b"l")
    fresh = crypto.password_keys("correct horse", params=FAST)

    assert not crypto.password_wrap_matches(blob, fresh)
    with pytest.raises(crypto.FormatError, match="another derivation"):
        crypto.unwrap_with_password_keys(blob, fresh, label=b"l")


def test_impossible_derivation_parameters_are_refused_before_deriving() -> None:
    with pytest.raises(crypto.FormatError, match="Impossible key-derivation parameters"):
        crypto.password_keys("x", params=crypto.Argon2Params(10**9, 1, 1))
