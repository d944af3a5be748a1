"""Ending a staff member's sessions: "log out everywhere", and after a change of password
or factors. Ending a session deletes its row, and with it the server half of its
unlocked key."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from ..models import AuditEvent, StaffSession
from .audit import audit


@transaction.atomic
def staff_sessions_end(
    *, user: User, keep_session_key: str | None, actor: User | None, reason: str
) -> int:
    """End every session of ``user`` but ``keep_session_key`` (the one acting, if any);
    return how many ended. Audited when any did."""
    others = StaffSession.objects.filter(user_id=user.pk)
    if keep_session_key:
        others = others.exclude(session_key=keep_session_key)
    ended, _ = others.delete()
    if ended:
        audit(
            action=AuditEvent.Action.SESSIONS_ENDED,
            actor=actor,
            subject_user=user,
            detail=f"{reason}: {ended} session(s) ended",
        )
    return ended
