"""Domain errors of the staff side. Each message says what happened and what to do."""

from __future__ import annotations


class NewsroomError(Exception):
    """Base class: a request that cannot be carried out as asked."""


class NotInitialised(NewsroomError):
    def __init__(self) -> None:
        super().__init__(
            "The newsroom has no recovery key yet. Run `python manage.py newsroom_init` first."
        )


class AlreadyInitialised(NewsroomError):
    def __init__(self) -> None:
        super().__init__("The newsroom already has a recovery key; it is created only once.")


class NoGeneralDesk(NewsroomError):
    def __init__(self) -> None:
        super().__init__(
            "There is no general (triage) desk, so tips cannot be sealed to the editors. "
            "Create one with `python manage.py desk_create --general`."
        )


class MissingKeyring(NewsroomError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username} has no personal key yet: they must log in once (or be created with "
            "`python manage.py staff_create`) before they can be given a desk key."
        )


class WrongRecoveryKey(NewsroomError):
    def __init__(self) -> None:
        super().__init__(
            "The recovery key given does not open this desk's key. Check that it is the "
            "newsroom's current recovery key file, complete and unmodified."
        )


class KeyLocked(NewsroomError):
    """The viewer cannot decrypt: no unlocked key, no grant, or not a member."""


class NotAllowed(NewsroomError):
    """The user's role on the desk does not allow this; the message says whose it is."""


class FollowUpError(NewsroomError):
    """A follow-up change that cannot be made as asked (bad transition, missing reason...)."""
