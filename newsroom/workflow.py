"""The review and follow-up workflows as data: which statuses wait, which close, and
which moves are allowed. Services enforce them; pages offer only what they allow."""

from __future__ import annotations

from typing import Final

from intake.models import Tip

from .models import FollowUp

Status = Tip.Status

#: Statuses that close a tip. Leaving one of them is a reopening and needs a reason.
CLOSED: Final = frozenset({Status.REJECTED, Status.SPAM, Status.DUPLICATE, Status.ARCHIVED})
#: Statuses still waiting for an editor's decision: the default queue.
WAITING: Final = frozenset({Status.NEW, Status.IN_REVIEW})

ALLOWED_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    Status.NEW: frozenset(
        {
            Status.IN_REVIEW,
            Status.ACCEPTED,
            Status.REJECTED,
            Status.SPAM,
            Status.DUPLICATE,
            Status.ARCHIVED,
        }
    ),
    Status.IN_REVIEW: frozenset(
        {Status.ACCEPTED, Status.REJECTED, Status.SPAM, Status.DUPLICATE, Status.ARCHIVED}
    ),
    Status.ACCEPTED: frozenset({Status.IN_REVIEW, Status.ARCHIVED}),
    # Reopening: any closed tip can go back to review, with a reason.
    Status.REJECTED: frozenset({Status.IN_REVIEW}),
    Status.SPAM: frozenset({Status.IN_REVIEW}),
    Status.DUPLICATE: frozenset({Status.IN_REVIEW}),
    Status.ARCHIVED: frozenset({Status.IN_REVIEW}),
}


def is_reopening(from_status: str, to_status: str) -> bool:
    return (
        from_status in CLOSED or from_status == Status.ACCEPTED
    ) and to_status == Status.IN_REVIEW


#: Allowed follow-up status changes. Done and dropped follow-ups can be reopened.
FOLLOWUP_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    FollowUp.Status.OPEN: frozenset(
        {FollowUp.Status.IN_PROGRESS, FollowUp.Status.DONE, FollowUp.Status.DROPPED}
    ),
    FollowUp.Status.IN_PROGRESS: frozenset(
        {FollowUp.Status.OPEN, FollowUp.Status.DONE, FollowUp.Status.DROPPED}
    ),
    FollowUp.Status.DONE: frozenset({FollowUp.Status.OPEN}),
    FollowUp.Status.DROPPED: frozenset({FollowUp.Status.OPEN}),
}
