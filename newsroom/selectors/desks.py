"""Reads of desks for the desk page: members with their grant state, pending grants
explained, and what is still sealed to retired keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from intake.models import Desk, DeskKey, MessageKey, SealedKey
from intake.selectors import desk_key_active

from ..models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey

_ADDED_OR_RESET = (
    AuditEvent.Action.MEMBER_ADDED,
    AuditEvent.Action.PERSONAL_KEY_RESET,
    AuditEvent.Action.FACTORS_RESET,
)


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


def desk_pending_member(desk: Desk, user_id: int) -> DeskMembership | None:
    """The membership of ``user_id`` on ``desk`` if their grant of its current key is
    pending, with the user joined; ``None`` otherwise."""
    active = desk_key_active(desk)
    granted_ids = DeskKeyGrant.objects.filter(desk_key=active).values("user_id")
    return (
        DeskMembership.objects.filter(desk=desk, user_id=user_id)
        .exclude(user_id__in=granted_ids)
        .select_related("user")
        .first()
    )


def member_key_events(desk: Desk, user: User) -> tuple[AuditEvent | None, AuditEvent | None]:
    """Who added ``user`` to ``desk`` and when, and the latest reset of their account."""
    events = AuditEvent.objects.filter(
        action__in=_ADDED_OR_RESET, desk=desk, subject_user=user
    ).select_related("actor")
    added = events.filter(action=AuditEvent.Action.MEMBER_ADDED).order_by("-created_at").first()
    reset = events.exclude(action=AuditEvent.Action.MEMBER_ADDED).order_by("-created_at").first()
    return added, reset


def holds_active_desk_key(desk: Desk, user: User) -> bool:
    """Whether ``user`` holds a copy (a grant) of the desk's current key."""
    return DeskKeyGrant.objects.filter(
        desk_key__desk=desk, desk_key__retired_at__isnull=True, user_id=user.pk
    ).exists()


def pending_grant_explanation(
    membership: DeskMembership, holders: list[str], has_personal_key: bool, desk: Desk
) -> str:
    """Say exactly what a pending grant waits for, and why, in words a coordinator can act on."""
    name = membership.user.get_username()
    if not has_personal_key:
        return _(
            "%(name)s has no personal key yet (they have never logged in), so the desk key "
            "cannot be sealed to them. Waiting for: their first login; then a member who "
            "holds the desk key presses “Grant the desk key” on their row."
        ) % {"name": name}
    command = f"manage.py desk_grant {desk.slug} {name} --recovery-key FILE"
    if not holders:
        return _(
            "%(name)s holds no copy of the desk key, and no member holds it either. Waiting "
            "for: an administrator with the offline recovery key to run “%(command)s”."
        ) % {"name": name, "command": command}
    return _(
        "%(name)s is on the desk but holds no copy of its current key, so they cannot read "
        "its tips or follow-ups yet. Passing the key on needs the desk's private key, which "
        "only a member holding it can open, with their own key unlocked by logging in; "
        "nobody holding it was unlocked when %(name)s was added (or their password was "
        "reset since). Waiting for: %(holders)s to check who they are and press “Grant "
        "the desk key” on their row, or an administrator with the recovery key to run "
        "“%(command)s”."
    ) % {"name": name, "holders": _(" or ").join(holders), "command": command}


@dataclass(frozen=True)
class MemberRow:
    """One member on the desk page; ``pending`` explains a grant still waiting."""

    membership: DeskMembership
    pending: str
    #: The audit event that added a member whose grant is pending (who, when).
    added: AuditEvent | None
    #: The latest reset of their password or second factors, with who did it and when.
    reset: AuditEvent | None = None


def desk_member_rows(desk: Desk) -> list[MemberRow]:
    """The desk page's members, pending grants explained: three queries for any size."""
    memberships = list(memberships_with_grant_state(desk))
    holders = [m.user.get_username() for m in memberships if m.has_grant]  # type: ignore[attr-defined]
    with_personal_key = set(
        PersonalKey.objects.filter(user__desk_memberships__desk=desk).values_list(
            "user_id", flat=True
        )
    )
    pending_ids = [m.user_id for m in memberships if not m.has_grant]  # type: ignore[attr-defined]
    added: dict[int, AuditEvent] = {}
    reset: dict[int, AuditEvent] = {}
    if pending_ids:
        for event in (
            AuditEvent.objects.filter(
                action__in=_ADDED_OR_RESET, desk=desk, subject_user_id__in=pending_ids
            )
            .select_related("actor")
            .order_by("created_at", "id")
        ):
            found = added if event.action == AuditEvent.Action.MEMBER_ADDED else reset
            found[event.subject_user_id] = event  # type: ignore[index]  # the latest wins
    rows = []
    for membership in memberships:
        pending = ""
        if not membership.has_grant:  # type: ignore[attr-defined]
            pending = pending_grant_explanation(
                membership, holders, membership.user_id in with_personal_key, desk
            )
        rows.append(
            MemberRow(
                membership=membership,
                pending=pending,
                added=added.get(membership.user_id) if pending else None,
                reset=reset.get(membership.user_id) if pending else None,
            )
        )
    return rows


@dataclass(frozen=True)
class RetiredKeys:
    keys: int
    #: Tips whose content key is still sealed to one of them (waiting for a re-seal).
    tips: int
    #: Conversation messages whose content key is still sealed to one of them.
    messages: int = 0

    @property
    def seals(self) -> int:
        return self.tips + self.messages


def desk_retired_keys(desk: Desk) -> RetiredKeys:
    """How far a desk's re-sealing has come: three counts."""
    retired = DeskKey.objects.filter(desk=desk, retired_at__isnull=False)
    return RetiredKeys(
        keys=retired.count(),
        tips=SealedKey.objects.filter(desk_key__in=retired).count(),
        messages=MessageKey.objects.filter(desk_key__in=retired).count(),
    )
