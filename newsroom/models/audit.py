"""The audit trail: who did what, to which tip or desk, and when. Never tip content."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Desk, Tip


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
        PERSONAL_KEY_CREATED = "personal_key_created", _("Personal key created")
        PERSONAL_KEY_RESET = "personal_key_reset", _("Personal key replaced (password reset)")
        TIP_READ = "tip_read", _("Tip read")
        TIP_DELETED = "tip_deleted", _("Tip deleted")
        STATUS_CHANGED = "status_changed", _("Status changed")
        TIP_CLAIMED = "tip_claimed", _("Tip claimed")
        TIP_RELEASED = "tip_released", _("Claim released")
        TIP_TAKEN_OVER = "tip_taken_over", _("Claim taken over")
        NOTE_ADDED = "note_added", _("Note added")
        TIP_MOVED = "tip_moved", _("Tip moved to another desk")
        MESSAGE_SENT = "message_sent", _("Message sent to the reader")
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
        PERSONAL_KEY_ROTATED = (
            "personal_key_rotated",
            _("Personal key replaced and its grants re-sealed (password change)"),
        )
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGIN_LOCKED = "login_locked", _("Account locked after failed logins")
        LOGIN_UNLOCKED = "login_unlocked", _("Account unlocked")
        FACTOR_ADDED = "factor_added", _("Second factor added")
        FACTOR_REMOVED = "factor_removed", _("Second factor removed")
        FACTORS_RESET = "factors_reset", _("Second factors reset by an administrator")
        RECOVERY_CODES_CREATED = "recovery_codes_created", _("Recovery codes made")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        SESSIONS_ENDED = "sessions_ended", _("Other sessions ended")
        DESK_KEY_ROTATION_REQUESTED = (
            "desk_key_rotation_requested",
            _("Desk-key rotation requested"),
        )

    #: Set by ``newsroom.services.audit.audit`` (now, or a rounded time it is given).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
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
        Tip, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
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
