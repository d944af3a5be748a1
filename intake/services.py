"""State changes of the public side: sealing a tip on arrival, opening it, deleting it.

:func:`tip_submit` is the path that accepts tips: it uses public keys only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from newsroom.exceptions import KeyLocked, NoGeneralDesk
from newsroom.models import AuditEvent, Desk, DeskKey, DeskKeyGrant
from newsroom.services import audit, desk_private_key_from_grant, recovery_key_current

from . import crypto, kdf, labels, passphrase
from .models import SealedKey, Tip

#: Crockford's base32 without look-alike letters; 10 characters carry 50 bits.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_LENGTH = 10


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


@dataclass(frozen=True, repr=False)
class Submission:
    """What the reader gets back: the stored tip and the receipt passphrase (shown once)."""

    tip: Tip
    passphrase: str

    def __repr__(self) -> str:
        return f"Submission(tip={self.tip.reference})"


def received_hour(now: datetime | None = None) -> datetime:
    """Round a time down to the hour: the precision the sealing design allows."""
    return (now or timezone.now()).replace(minute=0, second=0, microsecond=0)


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))


def _recipient_keys(desk: Desk | None) -> list[DeskKey]:
    """Active keys of the general desk and of the chosen regional desk."""
    desk_ids = {d.pk for d in Desk.objects.filter(is_general=True)}
    if not desk_ids:
        raise NoGeneralDesk()
    if desk is not None:
        desk_ids.add(desk.pk)
    return list(DeskKey.objects.filter(desk_id__in=desk_ids, retired_at__isnull=True))


def tip_submit(*, body: str, links: str, contact: str, desk: Desk | None) -> Submission:
    """Seal a reader's tip on arrival (flow 1 of the sealing design).

    A fresh content key encrypts each field; the key is then sealed to the
    general desk, the chosen regional desk and the recovery key. Only public
    keys are used. The plaintext is never written anywhere. The receipt's key
    derivation runs before the transaction that stores the tip opens.
    """
    receipt_passphrase = passphrase.generate()
    receipt = kdf.receipt_secrets(receipt_passphrase)
    with transaction.atomic():
        tip = _tip_store(body=body, links=links, contact=contact, desk=desk, receipt=receipt)
    return Submission(tip=tip, passphrase=receipt_passphrase)


def _tip_store(
    *, body: str, links: str, contact: str, desk: Desk | None, receipt: crypto.ReceiptSecrets
) -> Tip:
    recovery = recovery_key_current()
    desk_keys = _recipient_keys(desk)
    tip = Tip(
        reference=_new_reference(),
        desk=desk,
        received_at=received_hour(),
        has_contact=bool(contact.strip()),
        receipt_lookup=receipt.lookup.hex(),
        receipt_public_key=receipt.keypair.public_key,
    )
    content_key = crypto.new_content_key()
    tip.body = crypto.encrypt_text(body, content_key, label=labels.tip_field(tip.id, "body"))
    tip.links = crypto.encrypt_text(links, content_key, label=labels.tip_field(tip.id, "links"))
    tip.contact = crypto.encrypt_text(
        contact, content_key, label=labels.tip_field(tip.id, "contact")
    )
    tip.save(force_insert=True)

    key_label = labels.tip_content_key(tip.id)
    seals = [
        SealedKey(
            tip=tip,
            desk_key=desk_key,
            sealed_content_key=crypto.seal(
                content_key, bytes(desk_key.public_key), label=key_label
            ),
        )
        for desk_key in desk_keys
    ]
    seals.append(
        SealedKey(
            tip=tip,
            recovery_key=recovery,
            sealed_content_key=crypto.seal(
                content_key, bytes(recovery.public_key), label=key_label
            ),
        )
    )
    SealedKey.objects.bulk_create(seals)
    return tip


def decrypt_tip(tip: Tip, content_key: bytes) -> TipContent:
    """Decrypt every field of ``tip`` with its content key."""

    def field(name: labels.TipField) -> str:
        return crypto.decrypt_text(
            bytes(getattr(tip, name)), content_key, label=labels.tip_field(tip.id, name)
        )

    return TipContent(
        body=field("body"), links=field("links"), contact=field("contact"), content_key=content_key
    )


def tip_content_key(*, tip: Tip, user: User, personal_private_key: bytes | None) -> bytes:
    """Unseal ``tip``'s content key through one of ``user``'s desk-key grants (flow 2).

    Raises :class:`KeyLocked` with a plain reason when the user cannot read it.
    """
    if personal_private_key is None:
        raise KeyLocked(
            "Your personal key is not unlocked in this session, so tips cannot be decrypted. "
            "Log out and log in again to unlock it."
        )
    sealed = (
        SealedKey.objects.filter(tip=tip, desk_key__desk__memberships__user=user)
        .select_related("desk_key__desk")
        .annotate(
            granted=Exists(DeskKeyGrant.objects.filter(desk_key=OuterRef("desk_key"), user=user))
        )
        .order_by("-granted")
        .first()
    )
    if sealed is None:
        raise KeyLocked(
            "This tip was not sent to any of your desks. It is readable only by members of "
            "the desks it was sent to."
        )
    desk_private_key = desk_private_key_from_grant(
        desk_key=sealed.desk_key,  # type: ignore[arg-type]  # the query matched desk-key seals only
        user=user,
        personal_private_key=personal_private_key,
    )
    return crypto.unseal(
        bytes(sealed.sealed_content_key), desk_private_key, label=labels.tip_content_key(tip.id)
    )


@transaction.atomic
def tip_open(*, tip: Tip, user: User, personal_private_key: bytes | None) -> TipContent:
    """Decrypt a tip for a desk member and record that they read it."""
    content_key = tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    content = decrypt_tip(tip, content_key)
    audit(action=AuditEvent.Action.TIP_READ, actor=user, tip_id=tip.pk, tip_reference=tip.reference)
    return content


@transaction.atomic
def tip_delete(*, tip: Tip, actor: User | None) -> None:
    """Delete a tip with every sealed copy of its content key, in one transaction (flow 8)."""
    reference = tip.reference
    tip.delete()  # SealedKey rows cascade in the same transaction
    audit(action=AuditEvent.Action.TIP_DELETED, actor=actor, tip_reference=reference)
