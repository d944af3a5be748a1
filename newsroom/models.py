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
from django.core.exceptions import ValidationError
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

    def clean(self) -> None:
        if self.coordinator_id is None:
            return
        is_coordinator = DeskMembership.objects.filter(
            desk_id=self.pk, user_id=self.coordinator_id, role=DeskMembership.Role.COORDINATOR
        ).exists()
        if not is_coordinator:
            raise ValidationError(
                {
                    "coordinator": _(
                        "The coordinator must be a member of this desk with the coordinator "
                        "role. Add them to the desk as a coordinator first."
                    )
                }
            )


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
        DESK_UPDATED = "desk_updated", _("Desk details changed")
        FOLLOWUP_CREATED = "followup_created", _("Follow-up created")
        FOLLOWUP_REASSIGNED = "followup_reassigned", _("Follow-up reassigned")
        FOLLOWUP_STATUS_CHANGED = "followup_status_changed", _("Follow-up status changed")
        FOLLOWUP_RESCHEDULED = "followup_rescheduled", _("Follow-up due date or priority changed")
        FOLLOWUP_COMMENTED = "followup_commented", _("Comment added to a follow-up")
        FOLLOWUP_READ = "followup_read", _("Follow-up read")
        NOTIFICATION_PREFERENCES_CHANGED = (
            "notification_prefs_changed",
            _("Notification preferences changed"),
        )
        TIPS_PREVIEWED = "tips_previewed", _("Tip previews decrypted (queue page)")
        TIPS_SEARCHED = "tips_searched", _("Tip text searched")

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
    #: Plain words and references only; wide enough for a queue page's 50 references.
    detail = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"


# --- follow-ups (issue 4) ----------------------------------------------------------------


class FollowUp(models.Model):
    """A desk member's assignment to follow up an accepted tip, set by the desk's coordinator.

    The brief and the drop reason are encrypted under the tip's content key, so
    they are readable exactly by those who can read the tip.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    #: Statuses in which the follow-up still needs work (and can be overdue).
    ACTIVE_STATUSES: ClassVar = (Status.OPEN, Status.IN_PROGRESS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tip = models.ForeignKey(
        "intake.Tip", verbose_name=_("tip"), on_delete=models.CASCADE, related_name="followups"
    )
    desk = models.ForeignKey(
        Desk, verbose_name=_("desk"), on_delete=models.PROTECT, related_name="followups"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Encrypted under the tip's content key (label ``followup_brief``).
    brief = models.BinaryField(editable=False)
    due_date = models.DateField(_("due date"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    #: Encrypted under the tip's content key (label ``followup_drop_reason``); empty unless dropped.
    drop_reason = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering: ClassVar = ["due_date", "-priority", "created_at"]
        indexes: ClassVar = [
            models.Index(fields=["assignee", "status", "due_date"], name="followup_mine_idx"),
            models.Index(fields=["desk", "status", "due_date"], name="followup_desk_idx"),
        ]

    def __str__(self) -> str:
        return f"Follow-up due {self.due_date:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class FollowUpEvent(models.Model):
    """One step of a follow-up's history: created, reassigned, status or schedule changed."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        REASSIGNED = "reassigned", _("Reassigned")
        STATUS = "status", _("Status changed")
        RESCHEDULED = "rescheduled", _("Due date or priority changed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=FollowUp.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=FollowUp.Status.choices, blank=True)
    #: Plain words about dates or priority only; never content.
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.followup_id}: {self.get_kind_display()}"


class FollowUpComment(models.Model):
    """A comment on a follow-up, encrypted under the tip's content key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.followup_id}"


class NotificationPreference(models.Model):
    """Which e-mail notifications a staff member wants. No row means all of them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    tip_accepted = models.BooleanField(
        _("a tip was accepted for a desk I coordinate"), default=True
    )
    followup_assigned = models.BooleanField(
        _("a follow-up was assigned or reassigned to me"), default=True
    )
    followup_due_soon = models.BooleanField(_("one of my follow-ups is due tomorrow"), default=True)
    followup_overdue = models.BooleanField(
        _("a follow-up on a desk I coordinate is overdue"), default=True
    )

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"


class Notification(models.Model):
    """One e-mail notification and its delivery state.

    Holds no content: the subject and body are rendered from ``kind`` at send
    time and only say that something is waiting. ``dedupe_key`` makes every
    notification unique, so a reminder run twice sends nothing twice.
    """

    class Kind(models.TextChoices):
        TIP_ACCEPTED = "tip_accepted", _("Tip accepted for the desk")
        FOLLOWUP_ASSIGNED = "followup_assigned", _("Follow-up assigned")
        FOLLOWUP_DUE_SOON = "followup_due_soon", _("Follow-up due tomorrow")
        FOLLOWUP_OVERDUE = "followup_overdue", _("Follow-up overdue")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        RETRYING = "retrying", _("Failed; will be retried")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed; gave up")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    #: The last failure's exception class and message (a mail server's words; never content).
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_status_display()})"
