"""A tip's timeline: status changes, notes, the reader's messages and audit events, in
time order, with repeated reads folded so that real events are not buried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.utils.translation import gettext_lazy

from intake import labels
from intake.models import Message, Tip

from ..models import AuditEvent
from ..unsealing import sealed_text_open

Status = Tip.Status
Action = AuditEvent.Action


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a tip's history, decrypted for the viewer when it carries text."""

    at: datetime
    kind: str  # "status", "note", "reader" or "audit"
    actor: str
    summary: str
    text: str = ""


_REPLY_RECEIVED: Final = gettext_lazy("Message received from the reader")
_DETAILS_ADDED: Final = gettext_lazy("Details added by the reader")


def tip_timeline(*, tip: Tip, content_key: bytes | None) -> list[TimelineEntry]:
    """Status changes, notes and audit events of ``tip`` in time order.

    Reasons and notes are decrypted when ``content_key`` is given, else shown as locked.
    """
    locked_text = "(locked)"
    entries: list[TimelineEntry] = []
    for change in tip.status_changes.select_related("actor"):
        text = ""
        if bytes(change.reason):
            text = (
                sealed_text_open(
                    bytes(change.reason),
                    content_key,
                    label=labels.status_reason(tip.id, change.id),
                    what="reason",
                )
                if content_key
                else locked_text
            )
        entries.append(
            TimelineEntry(
                at=change.created_at,
                kind="status",
                actor=change.actor.get_username() if change.actor else "",
                summary=f"{Status(change.from_status).label} → {Status(change.to_status).label}",
                text=text,
            )
        )
    for note in tip.notes.select_related("author"):
        text = (
            sealed_text_open(
                bytes(note.body), content_key, label=labels.note(tip.id, note.id), what="note"
            )
            if content_key
            else locked_text
        )
        entries.append(
            TimelineEntry(
                at=note.created_at,
                kind="note",
                actor=note.author.get_username() if note.author else "",
                summary="Note",
                text=text,
            )
        )
    # The reader's messages: their rows are the record (hour-rounded, like the tip).
    for message in tip.messages.filter(author_kind=Message.Author.READER):
        entries.append(
            TimelineEntry(
                at=message.created_at,
                kind="reader",
                actor="",
                summary=str(
                    _DETAILS_ADDED if message.kind == Message.Kind.DETAILS else _REPLY_RECEIVED
                ),
            )
        )
    shown_elsewhere = {Action.STATUS_CHANGED, Action.NOTE_ADDED}
    for event in tip.audit_events.exclude(action__in=shown_elsewhere).select_related("actor"):
        entries.append(
            TimelineEntry(
                at=event.created_at,
                kind="audit",
                actor=event.actor.get_username() if event.actor else "",
                summary=event.get_action_display(),
                text=event.detail,
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return _fold_repeated_reads(entries)


#: Audit events that repeat on every page view; a run of them by one person folds into one line.
_READS: Final = frozenset({str(Action.TIP_READ.label), str(Action.CONVERSATION_READ.label)})


def _fold_repeated_reads(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Fold consecutive identical reads by the same person on the same day into one line,
    so that real events are not buried; the audit trail itself keeps every row."""
    folded: list[tuple[TimelineEntry, int]] = []
    for entry in entries:
        if folded:
            last, count = folded[-1]
            if (
                entry.kind == last.kind == "audit"
                and entry.summary == last.summary
                and entry.summary in _READS
                and entry.actor == last.actor
                and entry.at.date() == last.at.date()
            ):
                folded[-1] = (last, count + 1)
                continue
        folded.append((entry, 1))
    return [
        entry
        if count == 1
        else TimelineEntry(
            at=entry.at,
            kind=entry.kind,
            actor=entry.actor,
            summary=f"{entry.summary} ({count} times that day)",
            text=entry.text,
        )
        for entry, count in folded
    ]
