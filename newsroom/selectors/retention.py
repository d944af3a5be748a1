"""Reads for retention: when a tip entered its status, and which tips are due for deletion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from intake.models import Tip

from ..models import StatusChange

Status = Tip.Status

#: The statuses whose tips are deleted after a while, and the setting that says how long.
RETENTION_SETTINGS = {
    Status.SPAM: "PISTA_RETENTION_DAYS_SPAM",
    Status.REJECTED: "PISTA_RETENTION_DAYS_REJECTED",
    Status.DUPLICATE: "PISTA_RETENTION_DAYS_DUPLICATE",
    Status.ARCHIVED: "PISTA_RETENTION_DAYS_ARCHIVED",
}


def retention_days(status: str) -> int:
    """Days a tip in ``status`` is kept; 0 for never deleted automatically (new, in review,
    accepted, or a period the newsroom switched off)."""
    name = RETENTION_SETTINGS.get(Status(status))
    return max(0, int(getattr(settings, name))) if name else 0


def _entered_status_at() -> Coalesce:
    """When the row's tip entered its current status: its last change to that status, or
    its arrival (a tip can arrive as spam, from the honeypot)."""
    last_change = (
        StatusChange.objects.filter(tip=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(last_change), F("received_at"), output_field=DateTimeField())


@dataclass(frozen=True)
class RetentionPlan:
    """When ``tip`` will be deleted, and why; see :func:`tip_retention`."""

    status: str
    days: int
    entered_at: datetime

    @property
    def delete_at(self) -> datetime:
        return self.entered_at + timedelta(days=self.days)

    @property
    def delete_on(self) -> date:
        return timezone.localdate(self.delete_at)


def tip_retention(tip: Tip) -> RetentionPlan | None:
    """When ``tip`` will be deleted (``None``: never automatically). One query."""
    days = retention_days(tip.status)
    if not days:
        return None
    entered = Tip.objects.filter(pk=tip.pk).annotate(entered=_entered_status_at())
    entered_at = entered.values_list("entered", flat=True).first() or tip.received_at
    return RetentionPlan(status=tip.status, days=days, entered_at=entered_at)


def tips_due_for_deletion(now: datetime | None = None) -> QuerySet[Tip]:
    """Tips whose status's retention period has run out by ``now``, oldest first, each
    annotated ``entered_at``. Only the fields a purge needs are loaded."""
    now = now or timezone.now()
    due = [
        Q(status=status, entered_at__lte=now - timedelta(days=days))
        for status in RETENTION_SETTINGS
        if (days := retention_days(status))
    ]
    if not due:
        return Tip.objects.none()
    return (
        Tip.objects.filter(status__in=[status for status in RETENTION_SETTINGS])
        .annotate(entered_at=_entered_status_at())
        .filter(reduce(or_, due))
        .only("id", "reference", "status", "received_at")
        .order_by("entered_at", "id")
    )
