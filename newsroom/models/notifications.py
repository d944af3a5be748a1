"""E-mail notifications: each staff member's choices, and every delivery with its state."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
        #: Sent whatever the preferences: a security notice to the account's owner.
        ACCOUNT_RESET = "account_reset", _("Password or second factor reset")
        DESK_KEY_ROTATION_REQUESTED = (
            "desk_key_rotation_requested",
            _("Desk-key rotation requested"),
        )

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
