"""Reads of tips, always narrowed to what the viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final

from django.contrib.auth.models import User
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from newsroom.exceptions import KeyLocked
from newsroom.models import Desk, DeskKeyGrant, DeskMembership
from newsroom.services import desk_private_key_from_grant

from . import crypto, labels
from .models import SealedKey, Tip

PREVIEW_LENGTH: Final = 90
#: How many of the viewer's tips a content search decrypts at most (newest first).
CONTENT_SEARCH_LIMIT: Final = 2_000


def tips_visible_to(user: User) -> QuerySet[Tip]:
    """Tips sent to a desk ``user`` is a member of (whatever their grant state).

    Every tip is sealed to the general desk and to its regional desk
    (``Tip.desk``), and moving a tip re-seals it, so desk membership decides
    visibility with a plain indexed filter. Superusers are not exempt: being an
    administrator does not make someone a reader of tips.
    """
    desks = DeskMembership.objects.filter(user=user).values_list("desk__is_general", "desk_id")
    if any(is_general for is_general, _ in desks):
        return Tip.objects.all()
    return Tip.objects.filter(desk_id__in=[desk_id for _, desk_id in desks])


def tip_previews(
    *, tips: Sequence[Tip], user: User, personal_private_key: bytes | None
) -> dict[object, str]:
    """First line of each tip's text, decrypted for ``user``; tips they cannot open are left out.

    Work is proportional to ``len(tips)`` (one page), never to the queue: two
    queries, one desk-key unwrap per desk key, one unseal and decrypt per tip.
    """
    if personal_private_key is None or not tips:
        return {}
    contents = tip_bodies(tips=tips, user=user, personal_private_key=personal_private_key)
    previews = {}
    for tip_id, body in contents.items():
        line = " ".join(body.split())
        previews[tip_id] = line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "…"
    return previews


def tip_bodies(
    *, tips: Sequence[Tip], user: User, personal_private_key: bytes
) -> dict[object, str]:
    """Decrypt the body of each of ``tips`` that ``user`` holds a desk key for."""
    by_id = {tip.pk: tip for tip in tips}
    grants: dict[object, DeskKeyGrant] = {
        grant.desk_key_id: grant
        for grant in DeskKeyGrant.objects.filter(user=user).select_related("desk_key__desk")
    }
    seals = SealedKey.objects.filter(tip_id__in=by_id, desk_key_id__in=grants).only(
        "tip_id", "desk_key_id", "sealed_content_key"
    )
    desk_private_keys: dict[object, bytes | None] = {}
    bodies: dict[object, str] = {}
    for sealed in seals:
        if sealed.tip_id in bodies:
            continue
        if sealed.desk_key_id not in desk_private_keys:
            try:
                desk_private_keys[sealed.desk_key_id] = desk_private_key_from_grant(
                    desk_key=grants[sealed.desk_key_id].desk_key,
                    user=user,
                    personal_private_key=personal_private_key,
                    grant=grants[sealed.desk_key_id],
                )
            except KeyLocked:
                desk_private_keys[sealed.desk_key_id] = None
        desk_private_key = desk_private_keys[sealed.desk_key_id]
        if desk_private_key is None:
            continue
        tip = by_id[sealed.tip_id]
        content_key = crypto.unseal(
            bytes(sealed.sealed_content_key), desk_private_key, label=labels.tip_content_key(tip.id)
        )
        bodies[tip.pk] = crypto.decrypt_text(
            bytes(tip.body), content_key, label=labels.tip_field(tip.id, "body")
        )
    return bodies


def tips_matching_text(
    *, queryset: QuerySet[Tip], text: str, user: User, personal_private_key: bytes
) -> tuple[list[object], int]:
    """Search tip text in memory over the newest :data:`CONTENT_SEARCH_LIMIT` tips of
    ``queryset``; return the matching ids and how many tips were searched."""
    candidates = list(queryset.order_by("-received_at")[:CONTENT_SEARCH_LIMIT])
    bodies = tip_bodies(tips=candidates, user=user, personal_private_key=personal_private_key)
    needle = text.casefold()
    return [tip_id for tip_id, body in bodies.items() if needle in body.casefold()], len(bodies)


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


def dashboard_for(user: User, *, waiting: frozenset[str], days: int = 30) -> Dashboard:
    """Figures for the admin index, over the tips ``user`` may see."""
    tips = tips_visible_to(user)
    waiting_tips = tips.filter(status__in=waiting)
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


def regional_desks_for_move() -> QuerySet[Desk]:
    return Desk.objects.filter(is_general=False, is_active=True).order_by("name")
