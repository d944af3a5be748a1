"""Shared helpers for the follow-up tests: accepted tips and unlocked keys."""

from __future__ import annotations

from datetime import date
from typing import Any

from intake.models import Desk, Tip
from intake.selectors import desk_key_active
from newsroom.models import FollowUp
from newsroom.services.desks import desk_member_add
from newsroom.services.followups import followup_create
from newsroom.services.personal_keys import personal_key_unlock
from newsroom.unsealing import desk_private_key_from_recovery
from tests.factories import PASSWORD, Newsroom, make_staff


def key_of(user: Any) -> bytes:
    """The user's personal private key, as a login would unlock it."""
    return personal_key_unlock(user=user, password=PASSWORD)


def accepted_tip(newsroom: Newsroom, body: str = "A tip", *, desk: Desk | None = None) -> Tip:
    """A tip submitted for ``desk`` (Latin America by default) and accepted by the editors.

    The review queue's accept transition is another feature; the status is set directly.
    """
    tip = newsroom.submit(body, desk=desk or newsroom.latam).tip
    Tip.objects.filter(pk=tip.pk).update(status=Tip.Status.ACCEPTED)
    tip.refresh_from_db()
    return tip


def assign(
    newsroom: Newsroom,
    tip: Tip,
    *,
    brief: str = "Call the port authority",
    due: date = date(2026, 3, 10),
    assignee: str = "latam_journalist",
    coordinator: str = "latam_coord",
    priority: int = FollowUp.Priority.NORMAL,
) -> FollowUp:
    actor = newsroom.users[coordinator]
    return followup_create(
        tip=tip,
        assignee=newsroom.users[assignee],
        brief=brief,
        due_date=due,
        priority=priority,
        actor=actor,
        personal_private_key=key_of(actor),
    )


def add_member(newsroom: Newsroom, desk: Desk, username: str, role: str = "journalist") -> Any:
    """A new staff user added to ``desk`` holding its key (granted with the recovery key)."""
    user = make_staff(username)
    desk_private_key = desk_private_key_from_recovery(
        desk_key=desk_key_active(desk), recovery_private_key=newsroom.recovery.private_key
    )
    desk_member_add(desk=desk, user=user, role=role, actor=None, desk_private_key=desk_private_key)
    return user
