"""The private conversation between the newsroom and the reader of a tip.

Who can read what:

- A **newsroom message** is encrypted under its own fresh content key. That key
  is sealed to the tip's desk keys (the same desk keys the tip's own content key
  is sealed to), to the recovery key, and to the reader's receipt public key
  (``Tip.receipt_public_key``), so the reader opens it with the passphrase and
  the desks with their keys.
- A **reader message** (a reply, or details added to the tip later) is sealed
  to the tip's desk keys and the recovery key only, like the tip itself: the
  public side holds public keys only, and not even the reader's passphrase opens
  it again, so someone who learns the passphrase later cannot read what the
  reader sent.

Every state change runs in one transaction and writes an audit event. Audit
events and ``created_at`` of the reader's messages are rounded down to the hour,
like ``Tip.received_at``. Message text is never logged or put in an exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from newsroom.exceptions import KeyLocked, NewsroomError
from newsroom.models import AuditEvent, DeskKey
from newsroom.services import audit, desk_private_key_from_grant, recovery_key_current

from . import crypto, labels
from .models import Message, MessageKey, Tip
from .services import received_hour, tip_content_key

Action = AuditEvent.Action
Author = Message.Author
Kind = Message.Kind
Recipient = MessageKey.Recipient

#: Longest message either side may send, in characters (the tip form's own limit).
MAX_MESSAGE_LENGTH: Final = 50_000


class ConversationError(NewsroomError):
    """A message that cannot be sent as given; the text says what to change."""


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
        return self.author_kind == Author.READER

    @property
    def is_details(self) -> bool:
        return self.kind == Kind.DETAILS


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


# --- writing -------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ConversationError("A message cannot be empty: write something first.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ConversationError(
            f"A message can be at most {MAX_MESSAGE_LENGTH:,} characters long "
            f"(this one has {len(text):,}). Send it in parts."
        )
    return text


def _tip_desk_keys(tip: Tip) -> list[DeskKey]:
    """The desk keys the tip's own content key is sealed to (so its readers are ours)."""
    return list(DeskKey.objects.filter(sealed_keys__tip=tip).distinct().order_by("id"))


def _message_create(
    *,
    tip: Tip,
    author_kind: str,
    author: User | None,
    kind: str,
    body: str,
    created_at: datetime,
    to_reader: bool,
) -> Message:
    """Encrypt ``body`` under a fresh content key and seal that key to each recipient.

    Public keys only: this also runs on the reader's side.
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
            recipient=Recipient.DESK,
            desk_key=desk_key,
            sealed_content_key=crypto.seal(
                content_key, bytes(desk_key.public_key), label=key_label
            ),
        )
        for desk_key in _tip_desk_keys(locked)
    ]
    recovery = recovery_key_current()
    seals.append(
        MessageKey(
            message=message,
            recipient=Recipient.RECOVERY,
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
                recipient=Recipient.READER,
                sealed_content_key=crypto.seal(
                    content_key, bytes(locked.receipt_public_key), label=key_label
                ),
            )
        )
    MessageKey.objects.bulk_create(seals)
    return message


@transaction.atomic
def message_send_to_reader(
    *, tip: Tip, user: User, personal_private_key: bytes | None, body: str
) -> Message:
    """A desk member writes to the reader of ``tip``.

    The writer must be able to open the tip (proved by unsealing its content key
    through their own desk-key grant); otherwise :class:`KeyLocked` says why.
    The reader sees it signed "the newsroom", never with the writer's name.
    """
    text = _clean_body(body)
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    message = _message_create(
        tip=tip,
        author_kind=Author.NEWSROOM,
        author=user,
        kind=Kind.MESSAGE,
        body=text,
        created_at=timezone.now(),
        to_reader=True,
    )
    audit(action=Action.MESSAGE_SENT, actor=user, tip_id=tip.pk, tip_reference=tip.reference)
    return message


def _reader_write(*, tip: Tip, body: str, kind: str) -> Message:
    text = _clean_body(body)
    message = _message_create(
        tip=tip,
        author_kind=Author.READER,
        author=None,
        kind=kind,
        body=text,
        created_at=received_hour(),
        to_reader=False,
    )
    tip.has_unread_reply = True
    tip.save(update_fields=["has_unread_reply"])
    event = audit(
        action=Action.MESSAGE_RECEIVED,
        tip_id=tip.pk,
        tip_reference=tip.reference,
        detail="details added to the tip" if kind == Kind.DETAILS else "",
    )
    # The trail must not pin the reader's visit down more precisely than the message does.
    AuditEvent.objects.filter(pk=event.pk).update(created_at=received_hour(event.created_at))
    return message


@transaction.atomic
def reader_message_add(*, tip: Tip, body: str) -> Message:
    """The reader replies. Sealed to the tip's desks and the recovery key only;
    the tip is marked as having an unread reply."""
    return _reader_write(tip=tip, body=body, kind=Kind.MESSAGE)


@transaction.atomic
def reader_details_add(*, tip: Tip, body: str) -> Message:
    """The reader adds details to the tip later.

    Stored as a reader :class:`Message` of kind ``details`` rather than by
    rewriting the tip: the tip as first sent stays intact, the addition is
    dated (to the hour) and shows in the conversation as "added details".
    """
    return _reader_write(tip=tip, body=body, kind=Kind.DETAILS)


@transaction.atomic
def message_withdraw(*, message: Message, user: User, personal_private_key: bytes | None) -> None:
    """Take back a newsroom message: the reader's sealed copy of its key is deleted,
    so the passphrase no longer opens it. The desks keep it."""
    if message.author_kind != Author.NEWSROOM:
        raise ConversationError("Only the newsroom's own messages can be withdrawn.")
    tip = message.tip
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    if not message.is_visible_to_reader:
        raise ConversationError("This message has already been withdrawn.")
    MessageKey.objects.filter(message=message, recipient=Recipient.READER).delete()
    message.is_visible_to_reader = False
    message.save(update_fields=["is_visible_to_reader"])
    audit(
        action=Action.MESSAGE_WITHDRAWN,
        actor=user,
        tip_id=tip.pk,
        tip_reference=tip.reference,
        detail=f"message {message.position}",
    )


# --- reading -------------------------------------------------------------------------


def _decrypt(message: Message, sealed: MessageKey, private_key: bytes) -> str:
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
    Withdrawn messages are left out. Raises :class:`KeyLocked` if the key is not
    this tip's receipt key.
    """
    messages = list(tip.messages.filter(is_visible_to_reader=True).order_by("position"))
    sealed = {
        key.message_id: key
        for key in MessageKey.objects.filter(message__tip=tip, recipient=Recipient.READER)
    }
    items = []
    for message in messages:
        body = None
        if message.author_kind == Author.NEWSROOM and message.pk in sealed:
            try:
                body = _decrypt(message, sealed[message.pk], reader_private_key)
            except crypto.CryptoError as exc:
                raise KeyLocked("This passphrase does not open this conversation.") from exc
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


def _unlocked(personal_private_key: bytes | None) -> bytes:
    if personal_private_key is None:
        raise KeyLocked(
            "Your personal key is not unlocked in this session, so the conversation cannot "
            "be decrypted. Log out and log in again to unlock it."
        )
    return personal_private_key


def _staff_desk_private_keys(
    keys: Iterable[MessageKey], user: User, personal_private_key: bytes
) -> dict[uuid.UUID, bytes]:
    """Open each distinct desk key among ``keys`` that ``user`` holds a grant of, once."""
    opened: dict[uuid.UUID, bytes] = {}
    for key in keys:
        desk_key = key.desk_key
        if desk_key is None or desk_key.pk in opened:
            continue
        try:
            opened[desk_key.pk] = desk_private_key_from_grant(
                desk_key=desk_key, user=user, personal_private_key=personal_private_key
            )
        except KeyLocked:
            continue
    return opened


@transaction.atomic
def conversation_for_staff(
    *, tip: Tip, user: User, personal_private_key: bytes | None
) -> list[ConversationItem]:
    """The whole conversation for a desk member, decrypted through their desk-key grants.

    Access is checked as for reading the tip (:class:`KeyLocked` otherwise). The
    reading is audited and clears the tip's unread-reply mark.
    """
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    private_key = _unlocked(personal_private_key)
    messages = list(tip.messages.select_related("author").order_by("position"))
    keys = list(
        MessageKey.objects.filter(
            message__tip=tip, recipient=Recipient.DESK, desk_key__grants__user=user
        ).select_related("desk_key__desk")
    )
    desk_private_keys = _staff_desk_private_keys(keys, user, private_key)
    usable = {
        key.message_id: key
        for key in keys
        if key.desk_key_id in desk_private_keys  # a key of the tip, granted and opened
    }
    items = []
    for message in messages:
        sealed = usable.get(message.pk)
        body = (
            _decrypt(message, sealed, desk_private_keys[sealed.desk_key_id])  # type: ignore[index]
            if sealed is not None
            else None
        )
        items.append(
            ConversationItem(
                id=message.id,
                position=message.position,
                author_kind=message.author_kind,
                kind=message.kind,
                created_at=message.created_at,
                body=body,
                author_name=message.author.get_username() if message.author else "",
                is_visible_to_reader=message.is_visible_to_reader,
            )
        )
    if tip.has_unread_reply:
        tip.has_unread_reply = False
        tip.save(update_fields=["has_unread_reply"])
    audit(action=Action.CONVERSATION_READ, actor=user, tip_id=tip.pk, tip_reference=tip.reference)
    return items


# --- keeping message seals in step with the tip's -------------------------------------


@transaction.atomic
def message_keys_follow_tip(*, tip: Tip, user: User, personal_private_key: bytes | None) -> int:
    """Re-seal the tip's messages to exactly the desk keys its content key is sealed to.

    Call after the tip's own seals change (moving it to another desk): messages
    gain a seal for each new desk key and lose the seals of desk keys the tip no
    longer has. Opening them needs ``user``'s grant of a desk key the messages
    are sealed to. Returns how many messages were re-sealed.
    """
    target = {key.pk: key for key in _tip_desk_keys(tip)}
    messages = list(tip.messages.prefetch_related("keys"))
    if not messages:
        return 0
    private_key = _unlocked(personal_private_key)
    desk_seals = [key for m in messages for key in m.keys.all() if key.recipient == Recipient.DESK]
    granted = MessageKey.objects.filter(
        pk__in=[key.pk for key in desk_seals], desk_key__grants__user=user
    ).select_related("desk_key__desk")
    opened = _staff_desk_private_keys(granted, user, private_key)
    changed = 0
    for message in messages:
        seals = [key for key in message.keys.all() if key.recipient == Recipient.DESK]
        present = {key.desk_key_id for key in seals}
        missing = [key for pk, key in target.items() if pk not in present]
        stale = [key.pk for key in seals if key.desk_key_id not in target]
        if not missing and not stale:
            continue
        if missing:
            opener = next((key for key in seals if key.desk_key_id in opened), None)
            if opener is None:
                raise KeyLocked(
                    "You hold none of the desk keys this conversation is sealed to, so it "
                    "cannot be re-sealed. Ask a member of the tip's desks to do it."
                )
            label = labels.message_content_key(tip.id, message.id)
            content_key = crypto.unseal(
                bytes(opener.sealed_content_key),
                opened[opener.desk_key_id],  # type: ignore[index]
                label=label,
            )
            MessageKey.objects.bulk_create(
                MessageKey(
                    message=message,
                    recipient=Recipient.DESK,
                    desk_key=desk_key,
                    sealed_content_key=crypto.seal(
                        content_key, bytes(desk_key.public_key), label=label
                    ),
                )
                for desk_key in missing
            )
        MessageKey.objects.filter(pk__in=stale).delete()
        changed += 1
    return changed
