"""Domain errors of the staff side, in the hierarchy rooted at ``intake.exceptions``.

Each message says what happened and what to do. Staff pages turn every one of
them into a page message in one place (``newsroom.admin.errors``).
"""

from __future__ import annotations

from intake.exceptions import PistaError


class AlreadyInitialised(PistaError):
    def __init__(self) -> None:
        super().__init__("The newsroom already has a recovery key; it is created only once.")


class MissingPersonalKey(PistaError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username} has no personal key yet: they must log in once (or be created with "
            "`python manage.py staff_create`) before they can be given a desk key."
        )


class WrongRecoveryKey(PistaError):
    def __init__(self) -> None:
        super().__init__(
            "The recovery key given does not open this desk's key. Check that it is the "
            "newsroom's current recovery key file, complete and unmodified."
        )


class KeyLocked(PistaError):
    """The viewer cannot decrypt: their key is not unlocked, or they hold no usable grant."""


class NotAllowed(PistaError):
    """The user's place on the desk does not allow this; the message says whose it is."""


class ReviewError(PistaError):
    """A review action that is not allowed; the message says why and what to do."""


class ClaimError(ReviewError):
    """A claim that cannot be taken, released or taken over as asked."""


class FollowUpError(PistaError):
    """A follow-up change that cannot be made as asked (bad transition, missing reason...)."""


class LoginRefused(PistaError):
    """A staff login that is not let in; the message says what to do (never which part of
    the username and password was wrong)."""
