"""Tips as stored: metadata in plain, every reader-written field sealed.

A tip's text fields are encrypted under a per-tip content key; that key is
stored only sealed (one :class:`SealedKey` per recipient: the general desk, the
chosen regional desk, the recovery key). No IP address, user agent, referrer or
precise time is kept: ``received_at`` is rounded down to the hour.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Tip(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")
        DUPLICATE = "duplicate", _("Duplicate")
        ARCHIVED = "archived", _("Archived")

    #: Random, so primary keys reveal neither order nor volume.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: Short, non-guessable reference for staff to quote (never shown to the reader).
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    desk = models.ForeignKey(
        "newsroom.Desk",
        verbose_name=_("regional desk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips",
    )
    received_at = models.DateTimeField(_("received (hour)"), db_index=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    has_contact = models.BooleanField(_("contact details given"), default=False, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_tips",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    #: Set when the reader writes back; cleared when a desk member reads the conversation.
    has_unread_reply = models.BooleanField(_("unread reply from the reader"), default=False)
    body = models.BinaryField(editable=False)
    links = models.BinaryField(editable=False)
    contact = models.BinaryField(editable=False)
    #: Hex of HKDF(Argon2id(receipt passphrase)): finds the tip at check-back.
    receipt_lookup = models.CharField(max_length=64, unique=True, editable=False)
    #: Public key derived from the receipt passphrase: replies to the reader are sealed to it.
    receipt_public_key = models.BinaryField(editable=False)

    class Meta:
        ordering: ClassVar = ["received_at"]
        verbose_name = _("tip")
        indexes: ClassVar = [
            # The queue: tips needing action, oldest first, per desk. The id makes each a
            # covering index for the page's ids (see TipChangeList.get_results).
            models.Index(fields=["status", "received_at", "id"], name="tip_queue_idx"),
            models.Index(fields=["desk", "status", "received_at", "id"], name="tip_desk_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Tip {self.reference}"


class SealedKey(models.Model):
    """A tip's content key sealed to one recipient: a desk key or the recovery key."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="sealed_keys")
    desk_key = models.ForeignKey(
        "newsroom.DeskKey", null=True, on_delete=models.CASCADE, related_name="sealed_keys"
    )
    recovery_key = models.ForeignKey(
        "newsroom.RecoveryKey", null=True, on_delete=models.PROTECT, related_name="+"
    )
    sealed_content_key = models.BinaryField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(desk_key__isnull=False, recovery_key__isnull=True)
                | Q(desk_key__isnull=True, recovery_key__isnull=False),
                name="sealed_to_exactly_one_recipient",
            ),
            models.UniqueConstraint(fields=["tip", "desk_key"], name="one_seal_per_desk_key"),
        ]

    def __str__(self) -> str:
        recipient = "recovery key" if self.recovery_key_id else "desk key"
        return f"Content key of {self.tip_id} sealed to {recipient}"


class StatusChange(models.Model):
    """One step of a tip's review: who moved it, from what, to what, and why (sealed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_status = models.CharField(max_length=20, choices=Tip.Status.choices)
    to_status = models.CharField(max_length=20, choices=Tip.Status.choices)
    #: The reason, encrypted under the tip's content key (reasons can name people); empty if none.
    reason = models.BinaryField(blank=True, default=b"")

    class Meta:
        ordering: ClassVar = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.tip_id}: {self.from_status} -> {self.to_status}"


class Note(models.Model):
    """An internal note on a tip, encrypted under the tip's content key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.tip_id}"


class Message(models.Model):
    """One message of the conversation between the newsroom and the reader of a tip.

    The text is encrypted under a fresh content key per message; that key is
    stored only sealed (:class:`MessageKey`). A newsroom message is sealed to the
    tip's desk keys, the recovery key and the reader's receipt key; a reader's
    message or added details to the desk keys and the recovery key only, so not
    even the reader's passphrase opens them again.
    """

    class Author(models.TextChoices):
        NEWSROOM = "newsroom", _("Newsroom")
        READER = "reader", _("Reader")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        #: More details the reader added to the tip later; from the reader only.
        DETAILS = "details", _("Added details")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="messages")
    #: Order within the tip's conversation; reader times are hour-rounded, so they cannot order.
    position = models.PositiveIntegerField(editable=False)
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    #: The staff member who wrote a newsroom message; always empty for the reader.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    #: Exact for newsroom messages; rounded down to the hour for the reader's, like a tip.
    created_at = models.DateTimeField(db_index=True, editable=False)
    body = models.BinaryField(editable=False)
    #: Cleared when the newsroom withdraws a message: the reader's sealed copy is deleted.
    is_visible_to_reader = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["tip", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tip", "position"], name="one_message_per_position"),
            models.CheckConstraint(
                condition=Q(author_kind="newsroom") | Q(author__isnull=True),
                name="reader_messages_have_no_staff_author",
            ),
            models.CheckConstraint(
                condition=Q(kind="message") | Q(author_kind="reader"),
                name="only_the_reader_adds_details",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position} on {self.tip_id}"


class MessageKey(models.Model):
    """A message's content key sealed to one recipient."""

    class Recipient(models.TextChoices):
        DESK = "desk", _("Desk key")
        RECOVERY = "recovery", _("Recovery key")
        #: The reader's public key derived from the receipt passphrase.
        READER = "reader", _("Reader's receipt key")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="keys")
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    desk_key = models.ForeignKey(
        "newsroom.DeskKey", null=True, on_delete=models.CASCADE, related_name="message_keys"
    )
    recovery_key = models.ForeignKey(
        "newsroom.RecoveryKey", null=True, on_delete=models.PROTECT, related_name="+"
    )
    sealed_content_key = models.BinaryField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(recipient="desk", desk_key__isnull=False, recovery_key__isnull=True)
                | Q(recipient="recovery", desk_key__isnull=True, recovery_key__isnull=False)
                | Q(recipient="reader", desk_key__isnull=True, recovery_key__isnull=True),
                name="message_key_names_its_recipient",
            ),
            models.UniqueConstraint(
                fields=["message", "desk_key"], name="one_message_seal_per_desk_key"
            ),
            models.UniqueConstraint(
                fields=["message", "recipient"],
                condition=~Q(recipient="desk"),
                name="one_message_seal_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"Content key of message {self.message_id} sealed to {self.get_recipient_display()}"
