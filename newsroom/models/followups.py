"""Follow-ups: a desk member's assignment on an accepted tip, its history and comments."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from intake.models import Desk, Tip

from .review import SealedText


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
        Tip, verbose_name=_("tip"), on_delete=models.CASCADE, related_name="followups"
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


class FollowUpComment(SealedText):
    """A comment on a follow-up, under the tip's content key (label ``followup_comment``)."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="comments")

    def __str__(self) -> str:
        return f"Comment on {self.followup_id}"
