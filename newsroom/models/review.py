"""The review of a tip: its status changes, and staff notes sealed under its content key."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from intake.models import Tip


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


class SealedText(models.Model):
    """Staff-written text encrypted under a tip's content key: readable exactly by those
    who can read the tip. ``body`` is ciphertext; the label names the record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.BinaryField()

    class Meta:
        abstract = True
        ordering: ClassVar = ["created_at", "id"]


class Note(SealedText):
    """An internal note on a tip (label ``note``)."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")

    def __str__(self) -> str:
        return f"Note on {self.tip_id}"
