"""The staff side's records: desks and their keys, personal keyrings, audit events.

Public keys are stored in plain. Private keys are only ever stored wrapped:
a personal key under Argon2id(password), a desk key sealed to each member's
personal public key and to the newsroom recovery key.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake import crypto


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
    """A desk: the general desk of editors who triage every tip, or a regional desk."""

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
    members: models.ManyToManyField[User, DeskMembership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="DeskMembership", related_name="desks"
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


class DeskMembership(models.Model):
    """A staff member's place on a desk. Access to tips comes from a key grant."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        COORDINATOR = "coordinator", _("Coordinator")
        JOURNALIST = "journalist", _("Journalist")

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["desk", "user"], name="one_membership_per_desk"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.desk} ({self.get_role_display()})"


class DeskKey(models.Model):
    """One generation of a desk's key pair. Rotation retires it and starts another."""

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


class DeskKeyGrant(models.Model):
    """A desk private key sealed to one member's personal public key."""

    desk_key = models.ForeignKey(DeskKey, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_key_grants"
    )
    wrapped_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["desk_key", "user"], name="one_grant_per_key_and_user"),
        ]

    def __str__(self) -> str:
        return f"Grant of {self.desk_key.desk} key to {self.user}"


class Keyring(models.Model):
    """A staff member's personal key pair; the private half is wrapped under their password."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="keyring"
    )
    public_key = models.BinaryField()
    wrapped_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Keyring of {self.user}"

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(bytes(self.public_key))


class AuditEvent(models.Model):
    """Who did what, to which tip or desk, and when. Never holds tip content."""

    class Action(models.TextChoices):
        NEWSROOM_INITIALISED = "newsroom_initialised", _("Newsroom initialised")
        DESK_CREATED = "desk_created", _("Desk created")
        MEMBER_ADDED = "member_added", _("Member added to desk")
        MEMBER_REMOVED = "member_removed", _("Member removed from desk")
        KEY_GRANTED = "key_granted", _("Desk key granted")
        DESK_KEY_ROTATED = "desk_key_rotated", _("Desk key rotated")
        TIPS_RESEALED = "tips_resealed", _("Tips re-sealed to the new desk key")
        KEYRING_CREATED = "keyring_created", _("Personal key created")
        KEYRING_REWRAPPED = "keyring_rewrapped", _("Personal key re-wrapped (password change)")
        KEYRING_RESET = "keyring_reset", _("Personal key replaced (password reset)")
        TIP_READ = "tip_read", _("Tip read")
        TIP_DELETED = "tip_deleted", _("Tip deleted")
        STATUS_CHANGED = "status_changed", _("Status changed")
        TIP_CLAIMED = "tip_claimed", _("Tip claimed")
        TIP_RELEASED = "tip_released", _("Claim released")
        TIP_TAKEN_OVER = "tip_taken_over", _("Claim taken over")
        NOTE_ADDED = "note_added", _("Note added")
        TIP_MOVED = "tip_moved", _("Tip moved to another desk")
        MESSAGE_SENT = "message_sent", _("Message sent to the reader")
        MESSAGE_RECEIVED = "message_received", _("Message received from the reader")
        MESSAGE_WITHDRAWN = "message_withdrawn", _("Message withdrawn from the reader")
        CONVERSATION_READ = "conversation_read", _("Conversation read")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text=_("Empty when a management command acted."),
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    tip = models.ForeignKey(
        "intake.Tip", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    #: Kept after a tip is deleted so the trail still says which tip it was.
    tip_reference = models.CharField(max_length=16, blank=True)
    desk = models.ForeignKey(Desk, null=True, blank=True, on_delete=models.SET_NULL)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"
