"""Purpose labels bound into every ciphertext (HPKE ``info`` / AEAD associated data).

One place for all of them, so each ciphertext names who it is for and which
record and field it belongs to: a blob copied to another record or field fails
to open. Changing a label is a format change and needs a new version suffix.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

TipField = Literal["body", "links", "contact"]


def tip_field(tip_id: UUID, field: TipField) -> bytes:
    """Label for a tip's field encrypted under its content key."""
    return f"tip-{field}:v1:{tip_id}".encode()


def tip_content_key(tip_id: UUID) -> bytes:
    """Label for a tip's content key sealed to a desk key or the recovery key."""
    return f"tip-content-key:v1:{tip_id}".encode()


def personal_key(user_id: int) -> bytes:
    """Label for a staff member's personal private key wrapped under their password."""
    return f"personal-key:v1:{user_id}".encode()


def session_unlocked_key(user_id: int) -> bytes:
    """Label for a personal private key held in the session store for one login."""
    return f"session-keyring:v1:{user_id}".encode()


def desk_key_grant(desk_key_id: UUID, user_id: int) -> bytes:
    """Label for a desk private key sealed to one member's personal public key."""
    return f"desk-key-grant:v1:{desk_key_id}:{user_id}".encode()


def desk_key_recovery(desk_key_id: UUID) -> bytes:
    """Label for a desk private key sealed to the newsroom recovery key."""
    return f"desk-key-recovery:v1:{desk_key_id}".encode()


def status_reason(tip_id: UUID, change_id: UUID) -> bytes:
    """Label for the reason of one status change, under the tip's content key."""
    return f"tip-status-reason:v1:{tip_id}:{change_id}".encode()


def note(tip_id: UUID, note_id: UUID) -> bytes:
    """Label for an internal note, under the tip's content key."""
    return f"tip-note:v1:{tip_id}:{note_id}".encode()


def message_body(tip_id: UUID, message_id: UUID) -> bytes:
    """Label for one conversation message's text, under that message's own content key."""
    return f"message-body:v1:{tip_id}:{message_id}".encode()


def message_content_key(tip_id: UUID, message_id: UUID) -> bytes:
    """Label for a message's content key sealed to a desk key, the recovery key or the
    reader's receipt key."""
    return f"message-content-key:v1:{tip_id}:{message_id}".encode()


def reader_visit() -> bytes:
    """Label for a reader's check-back visit (tip id and receipt private key) held in the
    session store for one visit. No record id: the blob must not name the tip."""
    return b"reader-visit:v1"


def receipt_hold() -> bytes:
    """Label for a new tip's receipt passphrase held in the session store from the POST
    that made the tip to the one page that shows it. No record id: it must not name the tip."""
    return b"receipt-hold:v1"


def followup_brief(tip_id: UUID, followup_id: UUID) -> bytes:
    """Label for a follow-up's brief, under the tip's content key."""
    return f"followup-brief:v1:{tip_id}:{followup_id}".encode()


def followup_drop_reason(tip_id: UUID, followup_id: UUID) -> bytes:
    """Label for the reason a follow-up was dropped, under the tip's content key."""
    return f"followup-drop-reason:v1:{tip_id}:{followup_id}".encode()


def followup_comment(tip_id: UUID, comment_id: UUID) -> bytes:
    """Label for a comment on a follow-up, under the tip's content key."""
    return f"followup-comment:v1:{tip_id}:{comment_id}".encode()
