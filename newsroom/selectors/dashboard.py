"""The figures on the admin index: what waits, where, since when, and tips per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from intake.models import Tip

from ..workflow import WAITING
from .tips import tips_visible_to


@dataclass(frozen=True)
class Dashboard:
    waiting_by_status: list[tuple[str, str, int]]  # (status, label, count)
    waiting_by_desk: list[tuple[str, int]]
    oldest_waiting: datetime | None
    per_day: list[tuple[str, int]]  # (ISO date, count) for the last 30 days, oldest first

    @property
    def oldest_waiting_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_waiting if self.oldest_waiting else None

    @property
    def per_day_max(self) -> int:
        return max((count for _, count in self.per_day), default=0)

    @property
    def bars(self) -> list[dict[str, object]]:
        """Bars of the per-day chart in a 300 x 100 SVG box (10 units per day)."""
        top = self.per_day_max or 1
        bars = []
        for index, (day, count) in enumerate(self.per_day):
            height = round(100 * count / top)
            bars.append(
                {"x": index * 10, "y": 100 - height, "height": height, "day": day, "count": count}
            )
        return bars


def dashboard_for(user: User, *, days: int = 30) -> Dashboard:
    """Figures for the admin index, over the tips ``user`` may see."""
    tips = tips_visible_to(user)
    waiting_tips = tips.filter(status__in=WAITING)
    counts = dict(waiting_tips.values_list("status").annotate(n=Count("*")).order_by())
    by_status = [
        (value, str(label), counts[value]) for value, label in Tip.Status.choices if value in counts
    ]
    by_desk = [
        (name or "", count)
        for name, count in waiting_tips.values_list("desk__name")
        .annotate(n=Count("*"))
        .order_by("desk__name")
    ]
    oldest = waiting_tips.aggregate(oldest=Min("received_at"))["oldest"]
    today = timezone.localdate()  # the day as TruncDate counts it: in the newsroom's time zone
    start = today - timedelta(days=days - 1)
    counted = dict(
        tips.filter(
            # A plain range on the indexed column; __date would defeat the index.
            received_at__gte=datetime.combine(
                start, time.min, tzinfo=timezone.get_current_timezone()
            )
        )
        .annotate(day=TruncDate("received_at"))
        .values_list("day")
        .annotate(n=Count("*"))
        .order_by()
    )
    per_day = [
        ((start + timedelta(days=i)).isoformat(), counted.get(start + timedelta(days=i), 0))
        for i in range(days)
    ]
    return Dashboard(
        waiting_by_status=by_status,
        waiting_by_desk=by_desk,
        oldest_waiting=oldest,
        per_day=per_day,
    )
