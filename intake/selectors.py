"""Reads of tips, always narrowed to what the viewer may see."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from newsroom.models import DeskMembership

from .models import SealedKey, Tip


def tips_visible_to(user: AbstractBaseUser) -> QuerySet[Tip]:
    """Tips sealed to a desk that ``user`` is a member of (whatever their grant state).

    Superusers are not exempt: being an administrator does not make someone a
    reader of tips.
    """
    member_desks = DeskMembership.objects.filter(user=user).values("desk_id")
    sealed_to_my_desks = SealedKey.objects.filter(
        tip=OuterRef("pk"), desk_key__desk_id__in=member_desks
    )
    return Tip.objects.filter(Exists(sealed_to_my_desks)).select_related("desk")
