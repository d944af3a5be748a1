"""Reads of the staff side, shaped for the admin pages that show them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet

from .models import Desk, DeskKeyGrant, DeskMembership


def memberships_with_grant_state(desk: Desk) -> QuerySet[DeskMembership]:
    """A desk's members, each annotated ``has_grant``: False means a pending grant."""
    active_grant = DeskKeyGrant.objects.filter(
        desk_key__desk=desk, desk_key__retired_at__isnull=True, user=OuterRef("user")
    )
    return (
        DeskMembership.objects.filter(desk=desk)
        .select_related("user")
        .annotate(has_grant=Exists(active_grant))
        .order_by("role", "user__username")
    )


def desks_of(user: User) -> QuerySet[Desk]:
    return Desk.objects.filter(memberships__user=user)
