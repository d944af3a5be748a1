"""Opening a tip for a desk member (flow 2) and deleting one for good (flow 8)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from intake.models import Tip

from ..models import AuditEvent
from ..unsealing import TipContent, tip_content_key, tip_decrypt
from .audit import audit


@transaction.atomic
def tip_open(*, tip: Tip, user: User, personal_private_key: bytes | None) -> TipContent:
    """Decrypt a tip for a desk member and record that they read it."""
    content_key = tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    content = tip_decrypt(tip, content_key)
    audit(action=AuditEvent.Action.TIP_READ, actor=user, tip_id=tip.pk, tip_reference=tip.reference)
    return content


@transaction.atomic
def tip_delete(*, tip: Tip, actor: User | None, detail: str = "") -> None:
    """Delete a tip with every sealed copy of its content key, in one transaction (flow 8).

    Its notes, messages and follow-ups go with it (they cascade); the audit trail
    keeps its reference, and ``detail`` says why when no person did it (retention).
    """
    reference = tip.reference
    tip.delete()
    audit(action=AuditEvent.Action.TIP_DELETED, actor=actor, tip_reference=reference, detail=detail)


def tips_previewed_record(*, actor: User, references: list[str], count: int) -> None:
    """Record that a queue page decrypted ``count`` one-line previews for ``actor``: of the
    tips ``references`` names, or (after a text search) of tips it does not name."""
    detail = " ".join(references) if references else f"{count} preview(s) of search results"
    audit(action=AuditEvent.Action.TIPS_PREVIEWED, actor=actor, detail=detail)


def tips_searched_record(*, actor: User, searched: int, matched: int) -> None:
    """Record a text search over the decrypted tips: how many, never the words (they may
    be a source's name)."""
    audit(
        action=AuditEvent.Action.TIPS_SEARCHED,
        actor=actor,
        detail=f"searched the text of {searched} tip(s); {matched} matched",
    )
