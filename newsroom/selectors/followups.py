"""Reads of follow-ups: the desk inbox, a person's assignments, history, the overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from intake.models import Desk, Tip

from ..access import desks_coordinated_by, followups_visible_to
from ..models import DeskMembership, FollowUp, FollowUpEvent


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def tips_assignable_by(user: User) -> QuerySet[Tip]:
    """Accepted tips of the desks ``user`` coordinates: those they may create follow-ups for.

    A tip without a regional desk belongs to the general desk.
    """
    coordinated = desks_coordinated_by(user)
    coordinates_general = Exists(coordinated.filter(is_general=True))
    return Tip.objects.filter(status=Tip.Status.ACCEPTED).filter(
        Q(desk__in=coordinated) | Q(desk__isnull=True) & Q(coordinates_general)
    )


def desk_inbox(user: User) -> QuerySet[Tip]:
    """Accepted tips of the desks ``user`` coordinates that have no follow-up yet, oldest first."""
    return (
        tips_assignable_by(user)
        .exclude(Exists(FollowUp.objects.filter(tip=OuterRef("pk"))))
        .select_related("desk")
        .order_by("received_at", "reference")
    )


def _with_overdue(queryset: QuerySet[FollowUp], today: date) -> QuerySet[FollowUp]:
    return queryset.annotate(
        is_overdue=Case(
            When(status__in=FollowUp.ACTIVE_STATUSES, due_date__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def followups_for_list(user: User, today: date | None = None) -> QuerySet[FollowUp]:
    """Every follow-up ``user`` may see, ready for a list: related rows joined, overdue flagged."""
    return _with_overdue(
        followups_visible_to(user).select_related("tip", "desk", "assignee"), _today(today)
    )


def my_followups(user: User, today: date | None = None) -> QuerySet[FollowUp]:
    """``user``'s open and in-progress assignments, due soonest first, overdue ones flagged."""
    return (
        followups_for_list(user, today)
        .filter(assignee_id=user.pk, status__in=FollowUp.ACTIVE_STATUSES)
        .order_by("due_date", "-priority", "created_at")
    )


def followup_history(followup: FollowUp) -> QuerySet[FollowUpEvent]:
    return followup.events.select_related("actor", "from_assignee", "to_assignee")


def desk_members(desk: Desk) -> QuerySet[User]:
    """Users on ``desk``, by username: who a follow-up may be assigned to."""
    return (
        get_user_model()
        .objects.filter(desk_memberships__desk=desk, is_active=True)
        .order_by("username")
    )


@dataclass
class MemberLoad:
    """One person's open follow-ups on a desk."""

    user_id: int
    username: str
    role: str
    open_count: int = 0
    overdue_count: int = 0
    #: False for someone who left the desk but still has open follow-ups there.
    on_desk: bool = True


@dataclass
class DeskOverview:
    desk: Desk
    members: list[MemberLoad] = field(default_factory=list)
    waiting_tips: int = 0

    @property
    def open_count(self) -> int:
        return sum(m.open_count for m in self.members)

    @property
    def overdue_count(self) -> int:
        return sum(m.overdue_count for m in self.members)


def coordinator_overview(user: User, today: date | None = None) -> list[DeskOverview]:
    """Per desk ``user`` coordinates: open and overdue follow-ups per member, tips waiting.

    Four queries however many desks, members and follow-ups there are.
    """
    today = _today(today)
    desks = list(desks_coordinated_by(user).order_by("name"))
    overview = {desk.pk: DeskOverview(desk=desk) for desk in desks}
    if not desks:
        return []
    loads: dict[tuple[int, int], MemberLoad] = {}
    for membership in (
        DeskMembership.objects.filter(desk__in=desks)
        .select_related("user")
        .order_by("user__username")
    ):
        load = MemberLoad(
            user_id=membership.user_id,
            username=membership.user.get_username(),
            role=membership.get_role_display(),
        )
        loads[membership.desk_id, membership.user_id] = load
        overview[membership.desk_id].members.append(load)
    counts = (
        FollowUp.objects.filter(desk__in=desks, status__in=FollowUp.ACTIVE_STATUSES)
        .values("desk_id", "assignee_id", "assignee__username")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
        .order_by("assignee__username")
    )
    for row in counts:
        key = (row["desk_id"], row["assignee_id"])
        if key not in loads:
            loads[key] = MemberLoad(
                user_id=row["assignee_id"],
                username=row["assignee__username"],
                role="",
                on_desk=False,
            )
            overview[row["desk_id"]].members.append(loads[key])
        loads[key].open_count = row["open"]
        loads[key].overdue_count = row["overdue"]
    general_id = next((desk.pk for desk in desks if desk.is_general), None)
    for row in desk_inbox(user).order_by().values("desk_id").annotate(n=Count("id")):
        desk_id = row["desk_id"] if row["desk_id"] is not None else general_id
        if desk_id in overview:
            overview[desk_id].waiting_tips += row["n"]
    return list(overview.values())


def followups_open_for(*, desk: Desk, user: User) -> int:
    """How many open or in-progress follow-ups of ``desk`` are assigned to ``user``."""
    return FollowUp.objects.filter(
        desk=desk, assignee=user, status__in=FollowUp.ACTIVE_STATUSES
    ).count()
