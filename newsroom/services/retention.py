"""Retention: a closed tip is deleted for good once its status's period has run out.

Spam, rejected, duplicate and archived tips are kept ``PISTA_RETENTION_DAYS_*``
days from the moment they entered that status (0 keeps them). New, in-review and
accepted tips are never deleted automatically, whatever their age, and so are
tips that arrived without a proof of work and are still new: they wait for an
editor. ``manage.py tips_purge`` runs it (from cron, or queued for the worker
with ``--background``); each tip goes in its own transaction, with every sealed
key, message, note and follow-up, and leaves an audit event that names only its
reference and the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from intake.models import Tip

from ..selectors.retention import retention_days, tips_due_for_deletion
from .tips import tip_delete

Status = Tip.Status


@dataclass
class PurgeReport:
    """What a purge deleted (or, in a dry run, would delete)."""

    dry_run: bool
    by_status: Counter[str] = field(default_factory=Counter)
    #: (reference, status) of each tip, oldest first.
    tips: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def summary(self) -> str:
        verb = "Would delete" if self.dry_run else "Deleted"
        counts = ", ".join(f"{status} {n}" for status, n in sorted(self.by_status.items()))
        return f"{verb} {self.total} tip(s)" + (f": {counts}." if counts else ".")


def retention_reason(status: str) -> str:
    """The audit trail's reason, in plain words and numbers only."""
    return f"retention: {Status(status).label.lower()} after {retention_days(status)} days"


def tips_purge(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete every tip whose retention period ran out by ``now``; ``dry_run`` only counts."""
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run)
    for due in tips_due_for_deletion(now):
        if dry_run or _tip_purge(tip_id=due.pk, now=now):
            report.by_status[due.status] += 1
            report.tips.append((due.reference, due.status))
    return report


@transaction.atomic
def _tip_purge(*, tip_id: UUID, now: datetime) -> bool:
    """Delete one tip if it is still due (an editor may have reopened it meanwhile)."""
    tip = Tip.objects.select_for_update().filter(pk=tip_id).first()
    if tip is None or not tips_due_for_deletion(now).filter(pk=tip_id).exists():
        return False
    tip_delete(tip=tip, actor=None, detail=retention_reason(tip.status))
    return True


@task()
def tips_purge_in_background() -> str:
    """The background task `manage.py tips_purge --background` queues for the worker."""
    return tips_purge().summary()
