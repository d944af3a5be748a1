"""Review rules in the service layer: transitions, reasons, duplicates, claims, moves, notes
and the timeline (``newsroom.services.review``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection

from intake.models import Desk, SealedKey, Tip
from intake.selectors import desk_key_active
from newsroom.exceptions import ClaimError, KeyLocked, ReviewError
from newsroom.models import AuditEvent, Note, StatusChange
from newsroom.selectors.timeline import tip_timeline
from newsroom.services.desks import desk_member_add
from newsroom.services.review import (
    note_add,
    tip_claim,
    tip_move,
    tip_release,
    tip_take_over,
    tip_transition,
    tips_move,
    tips_transition,
)
from newsroom.services.tips import tip_open
from newsroom.unsealing import desk_private_key_from_grant, tip_content_key
from newsroom.workflow import ALLOWED_TRANSITIONS
from tests.factories import Newsroom, make_staff
from tests.helpers import accepted_tip, all_at_once, assign, tip_status_set, unlocked_key_of

# The claim race commits its data.
pytestmark = pytest.mark.usefixtures("role_groups_restored")

Status = Tip.Status
Action = AuditEvent.Action

#: The rules as the issue states them, written out so a change to the table is a visible change.
EXPECTED_RULES: dict[str, set[str]] = {
    "new": {"in_review", "accepted", "rejected", "spam", "duplicate", "archived"},
    "in_review": {"accepted", "rejected", "spam", "duplicate", "archived"},
    "accepted": {"in_review", "archived"},
    "rejected": {"in_review"},
    "spam": {"in_review"},
    "duplicate": {"in_review"},
    "archived": {"in_review"},
}
ALLOWED = sorted((str(f), str(t)) for f, targets in ALLOWED_TRANSITIONS.items() for t in targets)
REOPENABLE = ("accepted", "rejected", "spam", "duplicate", "archived")


def _general_editor(newsroom: Newsroom, username: str) -> Any:
    """Another editor on the general desk, holding the desk key."""
    editor = newsroom.users["editor"]
    general_private_key = desk_private_key_from_grant(
        desk_key=desk_key_active(newsroom.general),
        user=editor,
        personal_private_key=unlocked_key_of(editor),
    )
    user = make_staff(username)
    desk_member_add(
        desk=newsroom.general,
        user=user,
        role="editor",
        actor=editor,
        desk_private_key=general_private_key,
    )
    return user


def _europe_only_editor() -> Any:
    """An editor (``change_tip``) whose only desk is Europe."""
    user = make_staff("europe_editor")
    desk_member_add(desk=Desk.objects.get(slug="europe"), user=user, role="editor", actor=None)
    assert user.has_perm("intake.change_tip")
    return user


# --- the transition table ---------------------------------------------------------------


def test_transition_table_is_the_one_the_issue_describes() -> None:
    assert {str(k): {str(v) for v in vs} for k, vs in ALLOWED_TRANSITIONS.items()} == (
        EXPECTED_RULES
    )
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(
    ("from_status", "to_status"), ALLOWED, ids=[f"{f}->{t}" for f, t in ALLOWED]
)
def test_every_allowed_transition_changes_the_status_and_records_who_and_what(
    newsroom: Newsroom, from_status: str, to_status: str
) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Moving through review", desk=newsroom.latam).tip
    original = newsroom.submit("The first report", desk=newsroom.latam).tip
    tip_status_set(tip, from_status)
    reopening = to_status == "in_review" and from_status != "new"
    change = tip_transition(
        tip=tip,
        actor=editor,
        to_status=to_status,
        reason="Back for another look" if reopening else "",
        duplicate_of=original if to_status == "duplicate" else None,
        personal_private_key=unlocked_key_of(editor),
    )

    tip.refresh_from_db()
    assert tip.status == to_status
    assert tip.duplicate_of == (original if to_status == "duplicate" else None)
    stored = StatusChange.objects.get(tip=tip)
    assert stored.pk == change.pk
    assert (stored.actor, stored.from_status, stored.to_status) == (editor, from_status, to_status)
    assert stored.created_at is not None
    event = AuditEvent.objects.get(action=Action.STATUS_CHANGED)
    assert event.actor == editor
    assert event.tip_id == tip.pk
    assert event.tip_reference == tip.reference
    assert event.detail == f"{from_status} -> {to_status}"


def test_every_transition_outside_the_table_is_refused_and_changes_nothing(
    newsroom: Newsroom,
) -> None:
    editor = newsroom.users["editor"]
    key = unlocked_key_of(editor)
    tip = newsroom.submit("Stays put", desk=newsroom.latam).tip
    original = newsroom.submit("Original", desk=newsroom.latam).tip
    refused = 0
    for from_status in Status.values:
        for to_status in Status.values:
            if to_status in EXPECTED_RULES[from_status]:
                continue
            tip_status_set(tip, from_status)
            # A reason and an original are given, so only the rule itself can refuse.
            with pytest.raises(ReviewError, match="cannot become"):
                tip_transition(
                    tip=tip,
                    actor=editor,
                    to_status=to_status,
                    reason="Some reason",
                    duplicate_of=original if to_status == "duplicate" else None,
                    personal_private_key=key,
                )
            tip.refresh_from_db()
            assert tip.status == from_status
            refused += 1
    assert refused == 7 * 7 - sum(len(targets) for targets in EXPECTED_RULES.values())
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.STATUS_CHANGED).exists()


@pytest.mark.parametrize(
    ("from_status", "to_status", "message"),
    [
        ("accepted", "spam", "A tip that is accepted cannot become spam."),
        ("new", "new", "A tip that is new cannot become new."),
        ("spam", "accepted", "A tip that is spam cannot become accepted."),
        ("in_review", "new", "A tip that is in review cannot become new."),
        ("archived", "rejected", "A tip that is archived cannot become rejected."),
        ("duplicate", "duplicate", "A tip that is duplicate cannot become duplicate."),
    ],
)
def test_forbidden_transition_says_from_what_to_what(
    newsroom: Newsroom, from_status: str, to_status: str, message: str
) -> None:
    tip = newsroom.submit("Forbidden", desk=newsroom.latam).tip
    tip_status_set(tip, from_status)
    with pytest.raises(ReviewError) as raised:
        tip_transition(tip=tip, actor=newsroom.users["editor"], to_status=to_status)
    assert str(raised.value) == message


def test_unknown_status_is_refused_by_name(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Unknown", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="“published” is not a tip status"):
        tip_transition(tip=tip, actor=newsroom.users["editor"], to_status="published")
    tip.refresh_from_db()
    assert tip.status == Status.NEW


def test_transition_checks_the_stored_status_not_the_callers_copy(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Stale copy", desk=newsroom.latam).tip
    stale = Tip.objects.get(pk=tip.pk)
    tip_transition(tip=tip, actor=editor, to_status=Status.SPAM)
    # ``stale`` still says "new"; new -> accepted would be allowed, spam -> accepted is not.
    with pytest.raises(ReviewError, match="spam cannot become accepted"):
        tip_transition(tip=stale, actor=editor, to_status=Status.ACCEPTED)
    assert Tip.objects.get(pk=tip.pk).status == Status.SPAM


# --- reasons -----------------------------------------------------------------------------


@pytest.mark.parametrize("from_status", REOPENABLE)
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reopening_without_a_reason_is_refused(
    newsroom: Newsroom, from_status: str, reason: str
) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Closed", desk=newsroom.latam).tip
    tip_status_set(tip, from_status)
    with pytest.raises(ReviewError, match="Reopening a tip needs a reason"):
        tip_transition(
            tip=tip,
            actor=editor,
            to_status=Status.IN_REVIEW,
            reason=reason,
            personal_private_key=unlocked_key_of(editor),
        )
    tip.refresh_from_db()
    assert tip.status == from_status
    assert not StatusChange.objects.exists()


def test_reopening_reason_is_sealed_and_readable_only_by_the_tips_desks(
    newsroom: Newsroom,
) -> None:
    editor, coord = newsroom.users["editor"], newsroom.users["latam_coord"]
    tip = newsroom.submit("Reopen me", desk=newsroom.latam).tip
    tip_status_set(tip, Status.REJECTED)
    reason = "Maria Quispe at the port authority called back with documents"
    change = tip_transition(
        tip=tip,
        actor=editor,
        to_status=Status.IN_REVIEW,
        reason=f"  {reason}\n",
        personal_private_key=unlocked_key_of(editor),
    )

    raw = bytes(StatusChange.objects.get(pk=change.pk).reason)
    assert raw
    assert reason.encode() not in raw
    assert b"Quispe" not in raw

    content_key = tip_content_key(tip=tip, user=coord, personal_private_key=unlocked_key_of(coord))
    (entry,) = [e for e in tip_timeline(tip=tip, content_key=content_key) if e.kind == "status"]
    assert entry.text == reason
    assert entry.actor == "editor"
    assert entry.summary == "Rejected → In review"

    (locked,) = [e for e in tip_timeline(tip=tip, content_key=None) if e.kind == "status"]
    assert locked.text == "(locked)"

    europe = newsroom.users["europe_journalist"]
    with pytest.raises(KeyLocked):
        tip_content_key(tip=tip, user=europe, personal_private_key=unlocked_key_of(europe))


def test_an_optional_reason_on_a_closing_transition_is_sealed_too(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Reject with a reason", desk=newsroom.latam).tip
    change = tip_transition(
        tip=tip,
        actor=editor,
        to_status=Status.REJECTED,
        reason="Same story as Pedro's",
        personal_private_key=unlocked_key_of(editor),
    )
    assert b"Pedro" not in bytes(change.reason)
    content_key = tip_content_key(
        tip=tip, user=editor, personal_private_key=unlocked_key_of(editor)
    )
    texts = [e.text for e in tip_timeline(tip=tip, content_key=content_key) if e.kind == "status"]
    assert texts == ["Same story as Pedro's"]


def test_a_transition_without_a_reason_stores_no_ciphertext(newsroom: Newsroom) -> None:
    tip = newsroom.submit("No reason", desk=newsroom.latam).tip
    change = tip_transition(tip=tip, actor=newsroom.users["editor"], to_status=Status.SPAM)
    assert bytes(StatusChange.objects.get(pk=change.pk).reason) == b""
    (entry,) = tip_timeline(tip=tip, content_key=None)
    assert entry.text == ""


def test_reopening_with_a_locked_key_changes_nothing(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Locked reopen", desk=newsroom.latam).tip
    tip_status_set(tip, Status.ARCHIVED)
    with pytest.raises(KeyLocked):
        tip_transition(
            tip=tip,
            actor=newsroom.users["editor"],
            to_status=Status.IN_REVIEW,
            reason="Needs sealing",
            personal_private_key=None,
        )
    tip.refresh_from_db()
    assert tip.status == Status.ARCHIVED
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.STATUS_CHANGED).exists()


# --- duplicates --------------------------------------------------------------------------


def test_duplicate_needs_the_tip_it_repeats(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A repeat", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="Say which tip this one repeats"):
        tip_transition(tip=tip, actor=newsroom.users["editor"], to_status=Status.DUPLICATE)
    tip.refresh_from_db()
    assert tip.status == Status.NEW


def test_a_tip_cannot_duplicate_itself(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Myself", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="cannot be a duplicate of itself"):
        tip_transition(
            tip=tip, actor=newsroom.users["editor"], to_status=Status.DUPLICATE, duplicate_of=tip
        )
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of) == (Status.NEW, None)


def test_the_original_must_be_a_tip_the_actor_can_see(newsroom: Newsroom) -> None:
    europe_editor = _europe_only_editor()
    tip = newsroom.submit("Europe repeat", desk=newsroom.europe).tip
    hidden = newsroom.submit("Latam original", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="original tip must be one you can see"):
        tip_transition(
            tip=tip, actor=europe_editor, to_status=Status.DUPLICATE, duplicate_of=hidden
        )
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of) == (Status.NEW, None)

    visible = newsroom.submit("Europe original", desk=newsroom.europe).tip
    tip_transition(tip=tip, actor=europe_editor, to_status=Status.DUPLICATE, duplicate_of=visible)
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of) == (Status.DUPLICATE, visible)
    assert list(visible.duplicates.all()) == [tip]


def test_only_a_duplicate_links_to_another_tip(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Not a duplicate", desk=newsroom.latam).tip
    other = newsroom.submit("Other", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="Only a duplicate links"):
        tip_transition(
            tip=tip, actor=newsroom.users["editor"], to_status=Status.SPAM, duplicate_of=other
        )
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of) == (Status.NEW, None)


def test_reopening_a_duplicate_drops_the_link(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Repeat", desk=newsroom.latam).tip
    original = newsroom.submit("Original", desk=newsroom.latam).tip
    tip_transition(tip=tip, actor=editor, to_status=Status.DUPLICATE, duplicate_of=original)
    tip_transition(
        tip=tip,
        actor=editor,
        to_status=Status.IN_REVIEW,
        reason="Not the same story after all",
        personal_private_key=unlocked_key_of(editor),
    )
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of) == (Status.IN_REVIEW, None)


# --- who may review ----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["latam_journalist", "latam_coord"])
def test_desk_members_who_are_not_editors_cannot_review(newsroom: Newsroom, username: str) -> None:
    user = newsroom.users[username]
    tip = newsroom.submit("Their own desk's tip", desk=newsroom.latam).tip
    key = unlocked_key_of(user)
    attempts = [
        lambda: tip_transition(tip=tip, actor=user, to_status=Status.SPAM),
        lambda: tip_claim(tip=tip, actor=user),
        lambda: tip_move(tip=tip, actor=user, target=newsroom.europe, personal_private_key=key),
    ]
    for attempt in attempts:
        with pytest.raises(ReviewError, match="Only the editors"):
            attempt()
    Tip.objects.filter(pk=tip.pk).update(claimed_by=newsroom.users["editor"])
    with pytest.raises(ReviewError, match="Only the editors"):
        tip_take_over(tip=tip, actor=user, reason="Mine now", personal_private_key=key)

    tip.refresh_from_db()
    assert (tip.status, tip.desk, tip.claimed_by) == (
        Status.NEW,
        newsroom.latam,
        newsroom.users["editor"],
    )
    assert not StatusChange.objects.exists()
    assert not Note.objects.exists()


def test_an_editor_cannot_touch_a_tip_outside_their_desks(newsroom: Newsroom) -> None:
    europe_editor = _europe_only_editor()
    tip = newsroom.submit("Latam only", desk=newsroom.latam).tip
    attempts = [
        lambda: tip_transition(tip=tip, actor=europe_editor, to_status=Status.SPAM),
        lambda: tip_claim(tip=tip, actor=europe_editor),
        lambda: tip_move(
            tip=tip, actor=europe_editor, target=newsroom.europe, personal_private_key=None
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ReviewError, match="not sent to any of your desks"):
            attempt()
    Tip.objects.filter(pk=tip.pk).update(claimed_by=newsroom.users["editor"])
    with pytest.raises(ReviewError, match="not sent to any of your desks"):
        tip_take_over(tip=tip, actor=europe_editor, reason="Mine", personal_private_key=None)

    tip.refresh_from_db()
    assert (tip.status, tip.desk, tip.claimed_by) == (
        Status.NEW,
        newsroom.latam,
        newsroom.users["editor"],
    )
    assert not AuditEvent.objects.filter(tip=tip).exists()


def test_an_editor_elsewhere_is_only_a_journalist_on_this_desk(newsroom: Newsroom) -> None:
    """Review rights follow the role on the tip's desks, not a global permission."""
    user = newsroom.users["latam_journalist"]
    desk_member_add(desk=newsroom.europe, user=user, role="editor", actor=None)
    assert user.has_perm("intake.change_tip")  # the Editors group opens the pages...
    latam_tip = newsroom.submit("Latin America tip", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="Only the editors"):  # ...but not this desk's tips
        tip_move(
            tip=latam_tip,
            actor=user,
            target=newsroom.europe,
            personal_private_key=unlocked_key_of(user),
        )
    latam_tip.refresh_from_db()
    assert latam_tip.desk == newsroom.latam


# --- claims ------------------------------------------------------------------------------


def test_claiming_records_the_holder_and_an_audit_event(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Claim me", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=editor)
    assert tip.claimed_by == editor
    stored = Tip.objects.get(pk=tip.pk)
    assert stored.claimed_by == editor
    assert stored.claimed_at is not None
    event = AuditEvent.objects.get(action=Action.TIP_CLAIMED)
    assert (event.actor, event.tip_id, event.tip_reference) == (editor, tip.pk, tip.reference)


def test_claiming_a_held_tip_names_the_holder_and_keeps_them(newsroom: Newsroom) -> None:
    other = _general_editor(newsroom, "second_editor")
    tip = newsroom.submit("Held", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=newsroom.users["editor"])
    with pytest.raises(ClaimError, match=r"^editor already holds this tip"):
        tip_claim(tip=Tip.objects.get(pk=tip.pk), actor=other)
    assert Tip.objects.get(pk=tip.pk).claimed_by == newsroom.users["editor"]
    assert AuditEvent.objects.filter(action=Action.TIP_CLAIMED).count() == 1


def test_claiming_twice_is_refused_even_for_the_holder(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Twice", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=editor)
    with pytest.raises(ClaimError):
        tip_claim(tip=tip, actor=editor)


def test_only_the_holder_can_release(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    other = _general_editor(newsroom, "second_editor")
    tip = newsroom.submit("Release me", desk=newsroom.latam).tip
    with pytest.raises(ClaimError, match="nothing to release"):
        tip_release(tip=tip, actor=editor)
    tip_claim(tip=tip, actor=editor)
    with pytest.raises(ClaimError, match="You do not hold this tip"):
        tip_release(tip=tip, actor=other)
    assert Tip.objects.get(pk=tip.pk).claimed_by == editor

    tip_release(tip=tip, actor=editor)
    stored = Tip.objects.get(pk=tip.pk)
    assert (stored.claimed_by, stored.claimed_at) == (None, None)
    event = AuditEvent.objects.get(action=Action.TIP_RELEASED)
    assert (event.actor, event.tip_id) == (editor, tip.pk)


def test_taking_over_moves_the_claim_and_keeps_the_reason_as_a_sealed_note(
    newsroom: Newsroom,
) -> None:
    editor = newsroom.users["editor"]
    other = _general_editor(newsroom, "second_editor")
    tip = newsroom.submit("Take it over", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=editor)

    tip_take_over(
        tip=tip,
        actor=other,
        reason="  Editor is away until Monday ",
        personal_private_key=unlocked_key_of(other),
    )

    stored = Tip.objects.get(pk=tip.pk)
    assert stored.claimed_by == other
    assert tip.claimed_by == other
    note = Note.objects.get(tip=tip)
    assert note.author == other
    assert b"away until Monday" not in bytes(note.body)
    content_key = tip_content_key(
        tip=tip, user=editor, personal_private_key=unlocked_key_of(editor)
    )
    notes = [e.text for e in tip_timeline(tip=tip, content_key=content_key) if e.kind == "note"]
    assert notes == ["Took over from editor: Editor is away until Monday"]
    event = AuditEvent.objects.get(action=Action.TIP_TAKEN_OVER)
    assert (event.actor, event.tip_id, event.detail) == (other, tip.pk, "from editor")
    assert AuditEvent.objects.filter(action=Action.NOTE_ADDED, actor=other).count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_taking_over_needs_a_reason(newsroom: Newsroom, reason: str) -> None:
    editor = newsroom.users["editor"]
    other = _general_editor(newsroom, "second_editor")
    tip = newsroom.submit("No reason given", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=editor)
    with pytest.raises(ClaimError, match="needs a reason"):
        tip_take_over(
            tip=tip, actor=other, reason=reason, personal_private_key=unlocked_key_of(other)
        )
    assert Tip.objects.get(pk=tip.pk).claimed_by == editor
    assert not Note.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.TIP_TAKEN_OVER).exists()


def test_taking_over_an_unclaimed_or_own_tip_is_refused(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Nobody's", desk=newsroom.latam).tip
    with pytest.raises(ClaimError, match="Nobody holds this tip"):
        tip_take_over(
            tip=tip, actor=editor, reason="Why not", personal_private_key=unlocked_key_of(editor)
        )
    tip_claim(tip=tip, actor=editor)
    with pytest.raises(ClaimError, match="You already hold this tip"):
        tip_take_over(
            tip=tip, actor=editor, reason="Why not", personal_private_key=unlocked_key_of(editor)
        )
    assert not Note.objects.exists()


def test_taking_over_with_a_locked_key_leaves_the_claim_alone(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    other = _general_editor(newsroom, "second_editor")
    tip = newsroom.submit("Locked take-over", desk=newsroom.latam).tip
    tip_claim(tip=tip, actor=editor)
    with pytest.raises(KeyLocked):
        tip_take_over(tip=tip, actor=other, reason="Urgent", personal_private_key=None)
    assert Tip.objects.get(pk=tip.pk).claimed_by == editor
    assert not Note.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.TIP_TAKEN_OVER).exists()


def _claim_at_once(tip: Tip, contenders: list[Any]) -> dict[str, object]:
    """Let each contender claim ``tip`` from its own thread (its own connection), all at
    once; return each one's outcome: "won" or the exception raised (SQLite may refuse
    the second writer outright: "database is locked")."""

    def claim(user: Any) -> str:
        try:
            tip_claim(tip=Tip.objects.get(pk=tip.pk), actor=user)
            return "won"
        finally:
            connection.close()

    outcomes = all_at_once([lambda user=user: claim(user) for user in contenders], timeout=30)
    return {user.username: outcome for user, outcome in zip(contenders, outcomes, strict=True)}


def test_two_editors_claiming_at_once_exactly_one_wins(committed_newsroom: Newsroom) -> None:
    newsroom = committed_newsroom
    contenders = [newsroom.users["editor"], _general_editor(newsroom, "second_editor")]
    for round_number in range(5):
        tip = newsroom.submit(f"Race {round_number}", desk=newsroom.latam).tip

        outcomes = _claim_at_once(tip, contenders)

        assert len(outcomes) == len(contenders), outcomes
        winners = [name for name, outcome in outcomes.items() if outcome == "won"]
        assert len(winners) == 1, outcomes
        (loser,) = [outcome for outcome in outcomes.values() if outcome != "won"]
        assert isinstance(loser, ClaimError | OperationalError), loser
        if isinstance(loser, ClaimError):
            assert str(loser).startswith(f"{winners[0]} already holds this tip")
        assert Tip.objects.get(pk=tip.pk).claimed_by.username == winners[0]
        claims = AuditEvent.objects.filter(action=Action.TIP_CLAIMED, tip=tip)
        assert [event.actor.username for event in claims] == winners


# --- moving to another desk --------------------------------------------------------------


def test_moving_a_tip_reseals_it_to_the_target_desk_only(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Belongs in Europe", desk=newsroom.latam).tip
    tip_move(
        tip=tip, actor=editor, target=newsroom.europe, personal_private_key=unlocked_key_of(editor)
    )

    tip = Tip.objects.get(pk=tip.pk)
    assert tip.desk == newsroom.europe
    for name in ("europe_journalist", "editor"):
        user = newsroom.users[name]
        assert tip_open(tip=tip, user=user, personal_private_key=unlocked_key_of(user)).body == (
            "Belongs in Europe"
        )
    for name in ("latam_coord", "latam_journalist"):
        user = newsroom.users[name]
        with pytest.raises(KeyLocked):
            tip_open(tip=tip, user=user, personal_private_key=unlocked_key_of(user))
    seals = SealedKey.objects.filter(tip=tip)
    assert {s.desk_key.desk.slug for s in seals if s.desk_key} == {"general", "europe"}
    assert seals.filter(recovery_key__isnull=False).count() == 1
    event = AuditEvent.objects.get(action=Action.TIP_MOVED)
    assert (event.actor, event.desk, event.tip_id) == (editor, newsroom.europe, tip.pk)
    assert event.detail == "from Latin America to Europe"


def test_moving_a_general_only_tip_gives_it_a_regional_desk(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Reader was not sure", desk=None).tip
    tip_move(
        tip=tip, actor=editor, target=newsroom.latam, personal_private_key=unlocked_key_of(editor)
    )
    coord = newsroom.users["latam_coord"]
    assert tip_open(tip=tip, user=coord, personal_private_key=unlocked_key_of(coord)).body == (
        "Reader was not sure"
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [("general", "already with the general desk"), ("latam", "already with Latin America")],
)
def test_moving_to_the_general_or_same_desk_is_refused(
    newsroom: Newsroom, target: str, message: str
) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Stay", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match=message):
        tip_move(
            tip=tip,
            actor=editor,
            target=getattr(newsroom, target),
            personal_private_key=unlocked_key_of(editor),
        )
    assert Tip.objects.get(pk=tip.pk).desk == newsroom.latam
    assert SealedKey.objects.filter(tip=tip).count() == 3


def test_moving_with_a_locked_key_keeps_every_seal(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Locked move", desk=newsroom.latam).tip
    before = set(SealedKey.objects.filter(tip=tip).values_list("pk", flat=True))
    with pytest.raises(KeyLocked):
        tip_move(
            tip=tip,
            actor=newsroom.users["editor"],
            target=newsroom.europe,
            personal_private_key=None,
        )
    assert Tip.objects.get(pk=tip.pk).desk == newsroom.latam
    assert set(SealedKey.objects.filter(tip=tip).values_list("pk", flat=True)) == before


def test_a_tip_with_follow_ups_in_progress_cannot_be_moved(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom, "Under way")
    assign(newsroom, tip)
    editor = newsroom.users["editor"]
    with pytest.raises(ReviewError, match="follow-ups in progress on Latin America"):
        tip_move(
            tip=tip,
            actor=editor,
            target=newsroom.europe,
            personal_private_key=unlocked_key_of(editor),
        )
    tip.refresh_from_db()
    assert tip.desk == newsroom.latam


def test_bulk_move_is_all_or_nothing(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    movable = newsroom.submit("Movable", desk=newsroom.latam).tip
    already = newsroom.submit("Already there", desk=newsroom.europe).tip
    moved, errors = tips_move(
        tips=[movable, already],
        actor=editor,
        target=newsroom.europe,
        personal_private_key=unlocked_key_of(editor),
    )
    assert moved == 0
    assert errors == [f"{already.reference}: This tip is already with Europe."]
    assert Tip.objects.get(pk=movable.pk).desk == newsroom.latam
    coord = newsroom.users["latam_coord"]
    assert (
        tip_open(tip=movable, user=coord, personal_private_key=unlocked_key_of(coord)).body
        == "Movable"
    )
    assert not AuditEvent.objects.filter(action=Action.TIP_MOVED).exists()


def test_bulk_transition_is_all_or_nothing_and_names_each_refusal(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    fresh = newsroom.submit("Fresh", desk=newsroom.latam).tip
    accepted = newsroom.submit("Accepted", desk=newsroom.latam).tip
    tip_status_set(accepted, Status.ACCEPTED)
    done, errors = tips_transition(tips=[fresh, accepted], actor=editor, to_status=Status.SPAM)
    assert done == 0
    assert errors == [f"{accepted.reference}: A tip that is accepted cannot become spam."]
    assert Tip.objects.get(pk=fresh.pk).status == Status.NEW
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.STATUS_CHANGED).exists()

    done, errors = tips_transition(tips=[fresh], actor=editor, to_status=Status.SPAM)
    assert (done, errors) == (1, [])
    assert Tip.objects.get(pk=fresh.pk).status == Status.SPAM


# --- notes and the timeline --------------------------------------------------------------


def test_notes_are_sealed_and_empty_notes_refused(newsroom: Newsroom) -> None:
    coord = newsroom.users["latam_coord"]
    tip = newsroom.submit("Note me", desk=newsroom.latam).tip
    with pytest.raises(ReviewError, match="cannot be empty"):
        note_add(tip=tip, actor=coord, text="  \n", personal_private_key=unlocked_key_of(coord))
    note = note_add(
        tip=tip,
        actor=coord,
        text="Called Ana Ruiz, she confirms",
        personal_private_key=unlocked_key_of(coord),
    )
    assert b"Ana Ruiz" not in bytes(Note.objects.get(pk=note.pk).body)
    europe = newsroom.users["europe_journalist"]
    with pytest.raises(KeyLocked):
        note_add(
            tip=tip, actor=europe, text="Not my desk", personal_private_key=unlocked_key_of(europe)
        )
    assert Note.objects.count() == 1
    event = AuditEvent.objects.get(action=Action.NOTE_ADDED)
    assert (event.actor, event.tip_id) == (coord, tip.pk)


def test_timeline_interleaves_changes_notes_and_events_in_time_order(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    key = unlocked_key_of(editor)
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def at(hours: int) -> Any:
        return time_machine.travel(start + timedelta(hours=hours), tick=False)

    with at(0):
        tip = newsroom.submit("Timeline", desk=newsroom.latam).tip
    with at(1):
        tip_claim(tip=tip, actor=editor)
    with at(2):
        note_add(tip=tip, actor=editor, text="First look: plausible", personal_private_key=key)
    with at(3):
        tip_transition(tip=tip, actor=editor, to_status=Status.IN_REVIEW)
    with at(4):
        tip_move(tip=tip, actor=editor, target=newsroom.europe, personal_private_key=key)
    with at(5):
        note_add(tip=tip, actor=editor, text="Europe has a source", personal_private_key=key)
    with at(6):
        tip_transition(
            tip=tip,
            actor=editor,
            to_status=Status.ACCEPTED,
            reason="Europe takes it",
            personal_private_key=key,
        )
    with at(7):
        tip_release(tip=tip, actor=editor)

    content_key = tip_content_key(tip=tip, user=editor, personal_private_key=key)
    entries = tip_timeline(tip=tip, content_key=content_key)
    assert [(e.kind, e.summary, e.text) for e in entries] == [
        ("audit", "Tip claimed", ""),
        ("note", "Note", "First look: plausible"),
        ("status", "New → In review", ""),
        ("audit", "Tip moved to another desk", "from Latin America to Europe"),
        ("note", "Note", "Europe has a source"),
        ("status", "In review → Accepted", "Europe takes it"),
        ("audit", "Claim released", ""),
    ]
    assert [e.at for e in entries] == [start + timedelta(hours=h) for h in range(1, 8)]
    assert {e.actor for e in entries} == {"editor"}


def test_timeline_of_a_tip_shows_only_its_own_history(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    tip = newsroom.submit("Mine", desk=newsroom.latam).tip
    other = newsroom.submit("Other", desk=newsroom.latam).tip
    tip_claim(tip=other, actor=editor)
    note_add(
        tip=other, actor=editor, text="Other's note", personal_private_key=unlocked_key_of(editor)
    )
    tip_transition(tip=other, actor=editor, to_status=Status.SPAM)
    assert tip_timeline(tip=tip, content_key=None) == []
    assert [e.summary for e in tip_timeline(tip=other, content_key=None)] == [
        "Tip claimed",
        "Note",
        "New → Spam",
    ]


def test_repeated_reads_fold_into_one_timeline_line(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Read often", desk=newsroom.latam).tip
    editor = newsroom.users["editor"]
    for _ in range(3):
        tip_open(tip=tip, user=editor, personal_private_key=unlocked_key_of(editor))
    note_add(
        tip=tip, actor=editor, text="Between reads", personal_private_key=unlocked_key_of(editor)
    )
    tip_open(tip=tip, user=editor, personal_private_key=unlocked_key_of(editor))
    summaries = [entry.summary for entry in tip_timeline(tip=tip, content_key=None)]
    assert summaries == ["Tip read (3 times that day)", "Note", "Tip read"]
