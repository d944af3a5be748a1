"""The only writer of audit rows."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import User
from django.utils import timezone

from intake.models import Desk

from ..models import AuditEvent


def audit(
    *,
    action: str,
    actor: User | None = None,
    desk: Desk | None = None,
    subject_user: User | None = None,
    detail: str = "",
    tip_id: UUID | None = None,
    tip_reference: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Record an audit event, now or at ``at`` (for example a time rounded to the hour).

    ``detail`` holds plain words and references only: never tip content, search
    words, IP addresses or anything typed by a reader.
    """
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        desk=desk,
        subject_user=subject_user,
        detail=detail,
        tip_id=tip_id,
        tip_reference=tip_reference,
        created_at=at or timezone.now(),
    )
