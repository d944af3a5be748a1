"""State changes of the public side: sealing a tip on arrival, and the reader's messages.

Everything here uses public keys only: the code that accepts tips and replies
cannot open them again. Opening, reviewing and deleting tips is the staff
side's (``newsroom.services``).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import crypto, kdf, labels, passphrase
from .exceptions import MessageRefused
from .models import Desk, KeyGeneration, Message, MessageKey, SealedKey, Tip
from .selectors import sealing_keys, tip_desk_keys

#: Crockford's base32 without look-alike letters; 10 characters carry 50 bits.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_LENGTH = 10
#: Longest message either side may send, in characters (the tip form's own limit).
MAX_MESSAGE_LENGTH: Final = 50_000


@dataclass(frozen=True, repr=False)
class Submission:
    """What the reader gets back: the stored tip and the receipt passphrase (shown once)."""

    tip: Tip
    passphrase: str

    def __repr__(self) -> str:
        return f"Submission(tip={self.tip.reference})"


def sealing_keys_changed() -> None:
    """Say that the keys tips are sealed to changed: every process reads them again.

    Call inside the transaction that changes them (a new desk key, a rotation, the
    recovery key), so the new token commits with the change.
    """
    updated = KeyGeneration.objects.filter(pk=1).update(token=uuid.uuid4())
    if not updated:
        KeyGeneration.objects.create(pk=1, token=uuid.uuid4())


def received_hour(now: datetime | None = None) -> datetime:
    """Round a time down to the hour: the precision the sealing design allows."""
    return (now or timezone.now()).replace(minute=0, second=0, microsecond=0)


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))


def tip_submit(
    *,
    body: str,
    links: str,
    contact: str,
    desk: Desk | None,
    arrived_with_proof: bool = False,
    as_spam: bool = False,
    language: str | None = None,
) -> Submission:
    """Seal a reader's tip on arrival (flow 1 of the sealing design).

    A fresh content key encrypts each field; the key is then sealed to the
    general desk, the chosen regional desk and the recovery key. Only public
    keys are used. The plaintext is never written anywhere. The receipt's key
    derivation runs before the transaction that stores the tip opens; the tip
    and every seal of its key are stored in one transaction, so a failure leaves
    neither.

    ``arrived_with_proof`` says the caller verified the form's proof of work.
    ``as_spam`` stores the tip as spam (the form's honeypot was filled): kept, so
    nothing is dropped unseen, and deleted by retention like any spam.
    ``language`` chooses the passphrase's word list (the page's language; English
    where it has none); what is derived from is the normalised passphrase.
    """
    receipt_passphrase = passphrase.generate(language=passphrase.list_language(language))
    receipt = kdf.receipt_secrets(passphrase.normalise(receipt_passphrase))
    with transaction.atomic():
        tip = _tip_store(
            body=body,
            links=links,
            contact=contact,
            desk=desk,
            receipt=receipt,
            arrived_with_proof=arrived_with_proof,
            status=Tip.Status.SPAM if as_spam else Tip.Status.NEW,
        )
    return Submission(tip=tip, passphrase=receipt_passphrase)


def _tip_store(
    *,
    body: str,
    links: str,
    contact: str,
    desk: Desk | None,
    receipt: crypto.ReceiptSecrets,
    arrived_with_proof: bool,
    status: str,
) -> Tip:
    keys = sealing_keys()
    recovery = keys.recovery
    desk_keys = keys.for_tip(desk)
    tip = Tip(
        reference=_new_reference(),
        desk=desk,
        received_at=received_hour(),
        status=status,
        has_contact=bool(contact.strip()),
        arrived_with_proof=arrived_with_proof,
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


# --- conversation messages, sealed with public keys ----------------------------------


def message_body_clean(body: str) -> str:
    """Normalise line breaks; refuse an empty or over-long message with a plain reason."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise MessageRefused("A message cannot be empty: write something first.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise MessageRefused(
            f"A message can be at most {MAX_MESSAGE_LENGTH:,} characters long "
            f"(this one has {len(text):,}). Send it in parts."
        )
    return text


def message_seal(
    *,
    tip: Tip,
    author_kind: str,
    author: User | None,
    kind: str,
    body: str,
    created_at: datetime,
    to_reader: bool,
) -> Message:
    """Store a message of ``tip``'s conversation, sealed to its readers; run in a transaction.

    ``body`` is encrypted under a fresh content key, sealed to the desk keys the tip
    is sealed to, to the recovery key and, with ``to_reader``, to the reader's
    receipt public key. Public keys only: both sides write through this.
    """
    # Lock the tip row so two messages arriving together get distinct positions.
    locked = Tip.objects.select_for_update().get(pk=tip.pk)
    last = locked.messages.aggregate(last=Max("position"))["last"]
    message = Message(
        tip=locked,
        position=(last or 0) + 1,
        author_kind=author_kind,
        author=author,
        kind=kind,
        created_at=created_at,
    )
    content_key = crypto.new_content_key()
    message.body = crypto.encrypt_text(
        body, content_key, label=labels.message_body(tip.id, message.id)
    )
    message.save(force_insert=True)

    key_label = labels.message_content_key(tip.id, message.id)
    seals = [
        MessageKey(
            message=message,
            recipient=MessageKey.Recipient.DESK,
            desk_key=desk_key,
            sealed_content_key=crypto.seal(
                content_key, bytes(desk_key.public_key), label=key_label
            ),
        )
        for desk_key in tip_desk_keys(locked)
    ]
    recovery = sealing_keys().recovery
    seals.append(
        MessageKey(
            message=message,
            recipient=MessageKey.Recipient.RECOVERY,
            recovery_key=recovery,
            sealed_content_key=crypto.seal(
                content_key, bytes(recovery.public_key), label=key_label
            ),
        )
    )
    if to_reader:
        seals.append(
            MessageKey(
                message=message,
                recipient=MessageKey.Recipient.READER,
                sealed_content_key=crypto.seal(
                    content_key, bytes(locked.receipt_public_key), label=key_label
                ),
            )
        )
    MessageKey.objects.bulk_create(seals)
    return message


def _reader_write(*, tip: Tip, body: str, kind: str) -> Message:
    text = message_body_clean(body)
    with transaction.atomic():
        message = message_seal(
            tip=tip,
            author_kind=Message.Author.READER,
            author=None,
            kind=kind,
            body=text,
            # Rounded down to the hour like the tip: it must not pin the reader's visit down.
            created_at=received_hour(),
            to_reader=False,
        )
        tip.has_unread_reply = True
        tip.save(update_fields=["has_unread_reply"])
    return message


def reader_message_add(*, tip: Tip, body: str) -> Message:
    """The reader replies. Sealed to the tip's desks and the recovery key only (not even
    the passphrase opens it again); the tip is marked as having an unread reply.

    The message row is the record of it: its time is hour-rounded, and the staff
    side shows it on the tip's timeline. No audit row names the reader's visit.
    """
    return _reader_write(tip=tip, body=body, kind=Message.Kind.MESSAGE)


def reader_details_add(*, tip: Tip, body: str) -> Message:
    """The reader adds details to the tip later.

    Stored as a reader :class:`Message` of kind ``details`` rather than by
    rewriting the tip: the tip as first sent stays intact, the addition is
    dated (to the hour) and shows in the conversation as "added details".
    """
    return _reader_write(tip=tip, body=body, kind=Message.Kind.DETAILS)
