"""Pista's domain errors: one hierarchy, rooted here.

Every error a person can meet carries a message that says what happened and
what to do about it. Staff pages turn them into page messages in one place
(``newsroom.admin.errors``); public pages show them beside what the reader
typed. The staff side's own errors live in ``newsroom.exceptions`` and derive
from :class:`PistaError` too. No message ever holds key material, ciphertext or
tip content.
"""

from __future__ import annotations


class PistaError(Exception):
    """Base class: a request that cannot be carried out as asked."""


class NotSetUp(PistaError):
    """The newsroom is not ready to receive tips (no recovery key or no triage desk)."""


class NotInitialised(NotSetUp):
    def __init__(self) -> None:
        super().__init__(
            "The newsroom has no recovery key yet. Run `python manage.py newsroom_init` first."
        )


class NoGeneralDesk(NotSetUp):
    def __init__(self) -> None:
        super().__init__(
            "There is no general (triage) desk, so tips cannot be sealed to the editors. "
            "Create one with `python manage.py desk_create --general`."
        )


class MessageRefused(PistaError):
    """A conversation message that cannot be sent as given; the text says what to change."""


class ReceiptKeyMismatch(PistaError):
    """The key derived from a receipt passphrase does not open this tip's conversation."""

    def __init__(self) -> None:
        super().__init__("This passphrase does not open this conversation.")


class SealBroken(PistaError):
    """A stored ciphertext did not open with a key that should open it: altered or corrupt."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The {what} could not be decrypted: the stored data was altered or is corrupt. "
            "Nothing was changed. Tell the newsroom's administrator; the recovery key may "
            "still open it."
        )
