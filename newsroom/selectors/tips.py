"""Reads of tips for staff, always narrowed to what the viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from django.contrib.auth.models import User
from django.db.models import QuerySet

from intake import labels
from intake.models import SealedKey, Tip

from ..exceptions import KeyLocked
from ..models import DeskKeyGrant, DeskMembership
from ..unsealing import content_key_unseal, desk_private_key_from_grant, sealed_text_open

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
        content_key = content_key_unseal(bytes(sealed.sealed_content_key), desk_private_key, tip)
        bodies[tip.pk] = sealed_text_open(
            bytes(tip.body),
            content_key,
            label=labels.tip_field(tip.id, "body"),
            what=f"text of tip {tip.reference}",
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
