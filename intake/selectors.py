"""Reads of the public side: the keys a tip is sealed to, the desks a reader may choose,
and the conversation as the reader sees it."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import crypto, labels
from .exceptions import NoGeneralDesk, NotInitialised, ReceiptKeyMismatch
from .models import Desk, DeskKey, KeyGeneration, Message, MessageKey, RecoveryKey, Tip


def recovery_key_current() -> RecoveryKey:
    """The newsroom recovery key's public half; :class:`NotInitialised` if there is none."""
    key = RecoveryKey.objects.order_by("-created_at").first()
    if key is None:
        raise NotInitialised()
    return key


@dataclass(frozen=True)
class SealingKeys:
    """The public keys a new tip is sealed to, as of one key generation."""

    token: uuid.UUID
    recovery: RecoveryKey
    #: The general desk's active key (every tip is sealed to it).
    general: list[DeskKey]
    #: Each desk's active key, by desk id.
    by_desk: dict[int, DeskKey]

    def for_tip(self, desk: Desk | None) -> list[DeskKey]:
        """The general desk's key and, for a chosen regional desk, its key too."""
        if not self.general:
            raise NoGeneralDesk()
        chosen = self.by_desk.get(desk.pk) if desk is not None else None
        return [
            *self.general,
            *([chosen] if chosen is not None and chosen not in self.general else []),
        ]


_sealing_keys: SealingKeys | None = None
_sealing_keys_lock = threading.Lock()


def sealing_keys() -> SealingKeys:
    """The keys to seal to, from this process's copy while the key generation holds.

    One small query per call; the keys themselves are read again only after a key
    changed (in any process: the token lives in the database).
    """
    global _sealing_keys
    token = KeyGeneration.objects.values_list("token", flat=True).first()
    cached = _sealing_keys
    if cached is not None and token is not None and cached.token == token:
        return cached
    recovery = recovery_key_current()
    active = list(DeskKey.objects.filter(retired_at__isnull=True).select_related("desk"))
    fresh = SealingKeys(
        token=token or uuid.uuid4(),
        recovery=recovery,
        general=[key for key in active if key.desk.is_general],
        by_desk={key.desk_id: key for key in active},
    )
    if token is not None:  # no generation row yet: nothing to compare with, so no copy
        with _sealing_keys_lock:
            _sealing_keys = fresh
    return fresh


def active_regional_desks() -> QuerySet[Desk]:
    """The desks a reader may choose on the tip form (the general desk reads every tip)."""
    return Desk.objects.filter(is_active=True, is_general=False).order_by("name")


def desk_key_active(desk: Desk) -> DeskKey:
    """The desk's current key: new tips are sealed to it."""
    return DeskKey.objects.get(desk=desk, retired_at__isnull=True)


def tip_desk_keys(tip: Tip) -> list[DeskKey]:
    """The desk keys the tip's own content key is sealed to (so its readers are ours)."""
    return list(DeskKey.objects.filter(sealed_keys__tip=tip).distinct().order_by("id"))


def tip_for_receipt(lookup: bytes) -> Tip | None:
    """The tip whose receipt passphrase derives ``lookup``, if any."""
    return Tip.objects.filter(receipt_lookup=lookup.hex()).first()


# --- where a tip stands, in the reader's words --------------------------------------


@dataclass(frozen=True)
class ReaderStatus:
    """What the reader is told about their tip: never who holds it, or why."""

    code: str
    label: Promise
    explanation: Promise


_RECEIVED: Final = ReaderStatus(
    "received",
    _("Received"),
    _("Your tip has arrived safely and is waiting for an editor to read it."),
)
_BEING_LOOKED_AT: Final = ReaderStatus(
    "being_looked_at",
    _("Being looked at"),
    _("An editor is reading your tip and deciding what to do with it."),
)
_FOLLOWED_UP: Final = ReaderStatus(
    "being_followed_up",
    _("Being followed up"),
    _("The newsroom is following up your tip. Check back here for questions from the newsroom."),
)
_CLOSED: Final = ReaderStatus(
    "closed",
    _("Closed"),
    _(
        "The newsroom is not following up this tip further. You can still read the "
        "conversation and write to the newsroom here."
    ),
)
_READER_STATUS: Final = {
    Tip.Status.NEW: _RECEIVED,
    Tip.Status.IN_REVIEW: _BEING_LOOKED_AT,
    Tip.Status.ACCEPTED: _FOLLOWED_UP,
    Tip.Status.REJECTED: _CLOSED,
    Tip.Status.SPAM: _CLOSED,
    Tip.Status.DUPLICATE: _CLOSED,
    Tip.Status.ARCHIVED: _CLOSED,
}


def reader_status(tip: Tip) -> ReaderStatus:
    """Map the internal review status to the four things a reader is told.

    Rejected, spam, duplicate and archived all read "closed": the reader never
    learns the reason, which tip theirs repeats, or who holds it, unless an
    editor chooses to write it in a message.
    """
    return _READER_STATUS.get(Tip.Status(tip.status), _CLOSED)


# --- the conversation ----------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ConversationItem:
    """One message, decrypted for one viewer and one response only.

    ``body`` is ``None`` when this viewer cannot open the message: for the reader,
    their own messages (sealed to the newsroom only).
    """

    id: uuid.UUID
    position: int
    author_kind: str
    kind: str
    created_at: datetime
    body: str | None
    #: The staff author's username; empty in the reader's view and for reader messages.
    author_name: str = ""
    is_visible_to_reader: bool = True

    def __repr__(self) -> str:
        return f"ConversationItem({self.author_kind} {self.kind} #{self.position}, <redacted>)"

    @property
    def from_reader(self) -> bool:
        return self.author_kind == Message.Author.READER

    @property
    def is_details(self) -> bool:
        return self.kind == Message.Kind.DETAILS


def message_decrypt(message: Message, sealed: MessageKey, private_key: bytes) -> str:
    """Open one message with the private key of the recipient ``sealed`` is for.

    Raises :class:`intake.crypto.CryptoError` when the key or the data do not match;
    callers say which of the two it means for them.
    """
    tip_id = message.tip_id
    content_key = crypto.unseal(
        bytes(sealed.sealed_content_key),
        private_key,
        label=labels.message_content_key(tip_id, message.id),
    )
    return crypto.decrypt_text(
        bytes(message.body), content_key, label=labels.message_body(tip_id, message.id)
    )


def conversation_for_reader(*, tip: Tip, reader_private_key: bytes) -> list[ConversationItem]:
    """The conversation as the reader sees it, decrypted with the receipt-derived key.

    Newsroom messages are decrypted; the reader's own come back with ``body=None``.
    Withdrawn messages are left out. Raises :class:`ReceiptKeyMismatch` if the key
    is not this tip's receipt key.
    """
    messages = list(tip.messages.filter(is_visible_to_reader=True).order_by("position"))
    sealed = {
        key.message_id: key
        for key in MessageKey.objects.filter(
            message__tip=tip, recipient=MessageKey.Recipient.READER
        )
    }
    items = []
    for message in messages:
        body = None
        if message.author_kind == Message.Author.NEWSROOM and message.pk in sealed:
            try:
                body = message_decrypt(message, sealed[message.pk], reader_private_key)
            except crypto.CryptoError as exc:
                raise ReceiptKeyMismatch() from exc
        items.append(
            ConversationItem(
                id=message.id,
                position=message.position,
                author_kind=message.author_kind,
                kind=message.kind,
                created_at=message.created_at,
                body=body,
            )
        )
    return items
