"""The newsroom's side of the conversation with a tip's reader.

A newsroom message is sealed (``intake.services.message_seal``) to the tip's
desk keys, the recovery key and the reader's receipt public key: the reader
opens it with the passphrase, the desks with their keys. The reader's messages
are sealed to the desks and the recovery key only. Every change here runs in one
transaction and writes an audit event; message text is never logged or put in
an exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from intake import crypto, labels
from intake.exceptions import MessageRefused, SealBroken
from intake.models import Message, MessageKey, Tip
from intake.selectors import ConversationItem, message_decrypt, tip_desk_keys
from intake.services import message_body_clean, message_seal

from ..exceptions import KeyLocked
from ..models import AuditEvent
from ..unsealing import desk_private_key_from_grant, tip_content_key, unlocked_or_refuse
from .audit import audit

Action = AuditEvent.Action
Author = Message.Author
Kind = Message.Kind
Recipient = MessageKey.Recipient


@transaction.atomic
def message_send_to_reader(
    *, tip: Tip, user: User, personal_private_key: bytes | None, body: str
) -> Message:
    """A desk member writes to the reader of ``tip``.

    The writer must be able to open the tip (proved by unsealing its content key
    through their own desk-key grant); otherwise :class:`KeyLocked` says why.
    The reader sees it signed "the newsroom", never with the writer's name.
    """
    text = message_body_clean(body)
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    message = message_seal(
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


@transaction.atomic
def message_withdraw(*, message: Message, user: User, personal_private_key: bytes | None) -> None:
    """Take back a newsroom message: the reader's sealed copy of its key is deleted,
    so the passphrase no longer opens it. The desks keep it."""
    if message.author_kind != Author.NEWSROOM:
        raise MessageRefused("Only the newsroom's own messages can be withdrawn.")
    tip = message.tip
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    if not message.is_visible_to_reader:
        raise MessageRefused("This message has already been withdrawn.")
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
def conversation_open(
    *, tip: Tip, user: User, personal_private_key: bytes | None
) -> list[ConversationItem]:
    """Open the whole conversation for a desk member, through their desk-key grants.

    Access is checked as for reading the tip (:class:`KeyLocked` otherwise). The
    reading is audited and clears the tip's unread-reply mark: a state change, so
    this is a service, like ``tips.tip_open``.
    """
    tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    private_key = unlocked_or_refuse(personal_private_key)
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
        body = None
        if sealed is not None and sealed.desk_key_id is not None:
            try:
                body = message_decrypt(message, sealed, desk_private_keys[sealed.desk_key_id])
            except crypto.CryptoError as exc:
                raise SealBroken(f"message {message.position} of tip {tip.reference}") from exc
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


@transaction.atomic
def message_keys_follow_tip(*, tip: Tip, user: User, personal_private_key: bytes | None) -> int:
    """Re-seal the tip's messages to exactly the desk keys its content key is sealed to.

    Call after the tip's own seals change (moving it to another desk): messages
    gain a seal for each new desk key and lose the seals of desk keys the tip no
    longer has. Opening them needs ``user``'s grant of a desk key the messages
    are sealed to. Returns how many messages were re-sealed.
    """
    target = {key.pk: key for key in tip_desk_keys(tip)}
    messages = list(tip.messages.prefetch_related("keys"))
    if not messages:
        return 0
    private_key = unlocked_or_refuse(personal_private_key)
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
