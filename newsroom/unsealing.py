"""Opening what is sealed, for staff: desk private keys, then tip content keys and fields.

The chain of flow 2 of the sealing design: a member's unlocked personal key
opens their grant of a desk key; the desk private key opens a tip's content key;
the content key decrypts the tip's fields, notes, briefs and comments. Reads
only: recording that someone read a tip is ``newsroom.services.tips.tip_open``.

Failures are domain errors with a message a person can act on: no unlocked key
or no grant is :class:`KeyLocked`, a wrong recovery key :class:`WrongRecoveryKey`,
and a ciphertext that a key which should open it does not open is
:class:`SealBroken`. Nothing here logs; no key appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef

from intake import crypto, labels
from intake.exceptions import SealBroken
from intake.models import DeskKey, SealedKey, Tip

from .exceptions import KeyLocked, WrongRecoveryKey
from .models import DeskKeyGrant

NOT_UNLOCKED = (
    "Your personal key is not unlocked in this session, so nothing sealed can be opened. "
    "Log out and log in again to unlock it."
)


@dataclass(frozen=True, repr=False)
class TipContent:
    """A tip's decrypted fields, held in memory for one response only."""

    body: str
    links: str
    contact: str
    #: Kept so the same page can decrypt the tip's notes and reasons without unsealing again.
    content_key: bytes

    def __repr__(self) -> str:
        return "TipContent(<redacted>)"


def unlocked_or_refuse(personal_private_key: bytes | None) -> bytes:
    """The unlocked personal key, or :class:`KeyLocked` saying how to unlock it."""
    if personal_private_key is None:
        raise KeyLocked(NOT_UNLOCKED)
    return personal_private_key


def desk_private_key_from_grant(
    *,
    desk_key: DeskKey,
    user: User,
    personal_private_key: bytes,
    grant: DeskKeyGrant | None = None,
) -> bytes:
    """Open ``user``'s grant of ``desk_key`` with their unlocked personal key.

    Pass ``grant`` when it is already loaded, to save the query.
    """
    if grant is None:
        grant = DeskKeyGrant.objects.filter(desk_key=desk_key, user=user).first()
    if grant is None:
        raise KeyLocked(
            f"You have no copy of the {desk_key.desk} desk key yet. A desk member whose key "
            "is unlocked must grant it to you."
        )
    try:
        return crypto.unseal(
            bytes(grant.wrapped_private_key),
            personal_private_key,
            label=labels.desk_key_grant(desk_key.id, user.pk),
        )
    except crypto.CryptoError as exc:
        raise KeyLocked(
            "Your copy of this desk key does not match your personal key (it was replaced). "
            "Ask a desk member to grant the desk key to you again."
        ) from exc


def desk_private_key_from_recovery(*, desk_key: DeskKey, recovery_private_key: bytes) -> bytes:
    """Open a desk key with the newsroom recovery key (read from the offline file)."""
    try:
        return crypto.unseal(
            bytes(desk_key.recovery_wrapped_private_key),
            recovery_private_key,
            label=labels.desk_key_recovery(desk_key.id),
        )
    except crypto.CryptoError as exc:
        raise WrongRecoveryKey() from exc


def content_key_unseal(sealed: bytes, desk_private_key: bytes, tip: Tip) -> bytes:
    """Open a tip's sealed content key with a desk private key that should open it."""
    try:
        return crypto.unseal(sealed, desk_private_key, label=labels.tip_content_key(tip.id))
    except crypto.CryptoError as exc:
        raise SealBroken(f"key of tip {tip.reference}") from exc


def tip_content_key(*, tip: Tip, user: User, personal_private_key: bytes | None) -> bytes:
    """Unseal ``tip``'s content key through one of ``user``'s desk-key grants (flow 2).

    Raises :class:`KeyLocked` with a plain reason when the user cannot read it.
    """
    private_key = unlocked_or_refuse(personal_private_key)
    sealed = (
        SealedKey.objects.filter(tip=tip, desk_key__desk__memberships__user=user)
        .select_related("desk_key__desk")
        .annotate(
            granted=Exists(DeskKeyGrant.objects.filter(desk_key=OuterRef("desk_key"), user=user))
        )
        .order_by("-granted")
        .first()
    )
    if sealed is None or sealed.desk_key is None:
        raise KeyLocked(
            "This tip was not sent to any of your desks. It is readable only by members of "
            "the desks it was sent to."
        )
    desk_private_key = desk_private_key_from_grant(
        desk_key=sealed.desk_key, user=user, personal_private_key=private_key
    )
    return content_key_unseal(bytes(sealed.sealed_content_key), desk_private_key, tip)


def sealed_text_open(blob: bytes, content_key: bytes, *, label: bytes, what: str) -> str:
    """Decrypt one text sealed under a tip's content key; :class:`SealBroken` if it fails."""
    try:
        return crypto.decrypt_text(blob, content_key, label=label)
    except crypto.CryptoError as exc:
        raise SealBroken(what) from exc


def tip_decrypt(tip: Tip, content_key: bytes) -> TipContent:
    """Decrypt every field of ``tip`` with its content key."""

    def field(name: labels.TipField) -> str:
        return sealed_text_open(
            bytes(getattr(tip, name)),
            content_key,
            label=labels.tip_field(tip.id, name),
            what=f"text of tip {tip.reference}",
        )

    return TipContent(
        body=field("body"), links=field("links"), contact=field("contact"), content_key=content_key
    )
