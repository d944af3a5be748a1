"""Who may do what on a desk, decided by desk membership and role alone.

Model permissions (Django groups) only open admin pages; these checks decide
which desk's members, tips and follow-ups a person sees and acts on. Superusers
may manage desk membership (they run the newsroom) but are not readers: they see
no follow-up, brief or comment unless they are members of the desk.

Every function takes the acting user and returns a bool or a queryset; none
raises, and none logs anything.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from intake.models import Desk, Tip

from .actor import acting_user
from .models import DeskMembership, FollowUp

Role = DeskMembership.Role

#: Roles that run a desk: they manage its members and see all of its follow-ups.
MANAGING_ROLES = (Role.COORDINATOR, Role.EDITOR)


def request_roles(request: HttpRequest) -> list[str]:
    """The roles the request's user holds across their desks, read once per request.

    The admin asks "may this person see desks / follow-ups at all?" for every
    sidebar entry of every page; answering from one query keeps that cost flat.
    """
    cached: list[str] | None = getattr(request, "_pista_roles", None)
    if cached is None:
        if not request.user.is_authenticated:  # the login page builds the app list too
            cached = []
        else:
            cached = list(
                DeskMembership.objects.filter(user_id=acting_user(request).pk).values_list(
                    "role", flat=True
                )
            )
        request._pista_roles = cached  # type: ignore[attr-defined]
    return cached


def desk_role(user: User, desk: Desk) -> str | None:
    """The user's role on ``desk``, or ``None`` when they are not a member."""
    return (
        DeskMembership.objects.filter(desk=desk, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def desks_visible_to(user: User) -> QuerySet[Desk]:
    """Desks whose page (details and members) the user may see."""
    if user.is_superuser:
        return Desk.objects.all()
    return Desk.objects.filter(memberships__user_id=user.pk)


def desks_managed_by(user: User) -> QuerySet[Desk]:
    """Desks whose membership the user may change."""
    if user.is_superuser:
        return Desk.objects.all()
    return Desk.objects.filter(memberships__user_id=user.pk, memberships__role__in=MANAGING_ROLES)


def can_manage_members(user: User, desk: Desk) -> bool:
    return desks_managed_by(user).filter(pk=desk.pk).exists()


def desks_coordinated_by(user: User) -> QuerySet[Desk]:
    """Desks on which the user may create and reassign follow-ups."""
    return Desk.objects.filter(memberships__user_id=user.pk, memberships__role=Role.COORDINATOR)


def can_coordinate(user: User, desk: Desk) -> bool:
    return desks_coordinated_by(user).filter(pk=desk.pk).exists()


def followups_visible_to(user: User) -> QuerySet[FollowUp]:
    """Follow-ups of desks the user runs, and their own assignments on desks they are on.

    Someone removed from a desk loses sight of its follow-ups at once, even those
    still assigned to them.
    """
    managed = DeskMembership.objects.filter(user_id=user.pk, role__in=MANAGING_ROLES).values(
        "desk_id"
    )
    member_of = DeskMembership.objects.filter(user_id=user.pk).values("desk_id")
    return FollowUp.objects.filter(
        Q(desk_id__in=managed) | Q(desk_id__in=member_of, assignee_id=user.pk)
    )


def can_see_followup(user: User, followup: FollowUp) -> bool:
    return followups_visible_to(user).filter(pk=followup.pk).exists()


def can_manage_followup(user: User, followup: FollowUp) -> bool:
    """Reassign, reschedule: the desk's coordinators."""
    return can_coordinate(user, followup.desk)


def can_review(tip: Tip, actor: User) -> bool:
    """Whether ``actor`` is an editor on a desk ``tip`` was sent to.

    Decided per desk, never by a global permission: an editor of one desk is not
    an editor of another, and a journalist of a desk is not its editor.
    """
    if not actor.has_perm("intake.change_tip"):
        return False
    desks = (
        Q(desk__is_general=True) | Q(desk_id=tip.desk_id)
        if tip.desk_id
        else Q(desk__is_general=True)
    )
    return DeskMembership.objects.filter(
        desks, user=actor, role=DeskMembership.Role.EDITOR
    ).exists()
