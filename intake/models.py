"""The tip as stored, and the public keys it is sealed to.

A tip's text fields are encrypted under a per-tip content key; that key is
stored only sealed (one :class:`SealedKey` per recipient: the general desk, the
chosen regional desk, the recovery key). The same holds for each message of the
conversation with the reader (:class:`Message`, :class:`MessageKey`). Desks and
their keys live here because sealing on arrival needs their public halves; no
private key is ever stored here in the clear.

No IP address, user agent, referrer or precise time is kept: ``received_at``
is rounded down to the hour.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import crypto


class RecoveryKey(models.Model):
    """The newsroom recovery key's public half; the private half is kept offline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    public_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery key")

    def __str__(self) -> str:
        return f"Recovery key {self.fingerprint}"

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(bytes(self.public_key))


class Desk(models.Model):
    """A desk: the general desk of editors who triage every tip, or a regional desk.

    Readers choose among the active regional desks; each tip is sealed to the active
    key of the general desk and of the chosen desk. Who is on a desk, with which
    role and which key grants, is the staff side's business (``newsroom.models``).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_general = models.BooleanField(
        _("general desk"),
        default=False,
        help_text=_("The editors' triage desk: every tip is sealed to it."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive desks are not offered on the tip form.")
    )
    languages = models.CharField(
        _("working languages"),
        max_length=200,
        blank=True,
        help_text=_("The languages the desk works in, for example: Spanish, Portuguese."),
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_desks",
        help_text=_(
            "Assigns follow-ups and is told when a tip is accepted for the desk. "
            "Must be a member of the desk with the coordinator role."
        ),
    )

    class Meta:
        ordering: ClassVar = ["-is_general", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_general"], condition=Q(is_general=True), name="one_general_desk"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeskKey(models.Model):
    """One generation of a desk's key pair. Rotation retires it and starts another.

    The public half is stored in plain and is all the public side uses. The private
    half is stored only sealed: to the recovery key here, and to each member's
    personal key in ``newsroom.DeskKeyGrant``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="keys")
    public_key = models.BinaryField()
    #: The private half sealed to the newsroom recovery key.
    recovery_wrapped_private_key = models.BinaryField()
    recovery_key = models.ForeignKey(RecoveryKey, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["desk"], condition=Q(retired_at__isnull=True), name="one_active_desk_key"
            ),
        ]

    def __str__(self) -> str:
        state = "retired" if self.retired_at else "active"
        return f"{self.desk} key {self.fingerprint} ({state})"

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(bytes(self.public_key))


class KeyGeneration(models.Model):
    """One row whose token changes with every change of the keys tips are sealed to (a new
    desk key, a rotation, the recovery key), in the same transaction as the change.

    Each web process caches those public keys and compares this token (one small
    query) before using its copy (``intake.selectors.sealing_keys``). A random token,
    not a counter: a rolled-back or restored database can never match a stale copy.
    """

    token = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return f"Key generation {self.token}"


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
        Desk,
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
    #: Whether the reader's browser solved the form's proof of work (``intake.pow``).
    #: Without JavaScript there is none: the tip is kept all the same, in a lane of its own.
    arrived_with_proof = models.BooleanField(
        _("arrived with proof of work"), default=False, editable=False
    )
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
        DeskKey, null=True, on_delete=models.CASCADE, related_name="sealed_keys"
    )
    recovery_key = models.ForeignKey(
        RecoveryKey, null=True, on_delete=models.PROTECT, related_name="+"
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
        DeskKey, null=True, on_delete=models.CASCADE, related_name="message_keys"
    )
    recovery_key = models.ForeignKey(
        RecoveryKey, null=True, on_delete=models.PROTECT, related_name="+"
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
