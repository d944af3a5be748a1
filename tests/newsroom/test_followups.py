"""Follow-up lifecycle: creation, sealed brief and comments, statuses, history, selectors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.exceptions import SealBroken
from intake.models import Tip
from newsroom.exceptions import FollowUpError, KeyLocked, NotAllowed
from newsroom.models import AuditEvent, FollowUp, FollowUpComment, FollowUpEvent
from newsroom.selectors.followups import coordinator_overview, desk_inbox, my_followups
from newsroom.services.desks import desk_member_add, desk_member_remove
from newsroom.services.followups import (
    followup_comment_add,
    followup_create,
    followup_open,
    followup_reassign,
    followup_reschedule,
    followup_set_status,
)
from tests.factories import Newsroom, logged_in_client
from tests.helpers import accepted_tip, add_member, assign, unlocked_key_of

Status = FollowUp.Status
BRIEF = "Ask the harbour master about the manifest of 12 March"


def _open(followup: FollowUp, user: Any) -> Any:
    return followup_open(followup=followup, user=user, personal_private_key=unlocked_key_of(user))


# --- creation ------------------------------------------------------------------------------


def test_coordinator_creates_a_follow_up_with_a_sealed_brief(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom, "Invoices do not match")
    followup = assign(newsroom, tip, brief=BRIEF, due=date(2026, 3, 10))

    stored = FollowUp.objects.get(pk=followup.pk)
    assert BRIEF.encode() not in bytes(stored.brief)
    assert stored.desk == newsroom.latam
    assert stored.status == Status.OPEN
    assert stored.created_by == newsroom.users["latam_coord"]
    content = _open(stored, newsroom.users["latam_journalist"])
    assert content.brief == BRIEF
    assert content.tip.body == "Invoices do not match"
    event = FollowUpEvent.objects.get(followup=followup)
    assert (event.kind, event.to_assignee, event.to_status) == (
        FollowUpEvent.Kind.CREATED,
        newsroom.users["latam_journalist"],
        Status.OPEN,
    )
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.FOLLOWUP_CREATED,
        tip=tip,
        subject_user=newsroom.users["latam_journalist"],
    ).exists()


def test_a_brief_moved_to_another_follow_up_does_not_open(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom)
    first = assign(newsroom, tip, brief=BRIEF)
    second = assign(newsroom, tip, brief="Something else")
    FollowUp.objects.filter(pk=second.pk).update(brief=bytes(first.brief))

    with pytest.raises(SealBroken, match="brief"):
        _open(FollowUp.objects.get(pk=second.pk), newsroom.users["latam_coord"])


def test_several_follow_ups_per_tip_are_allowed(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom)
    assign(newsroom, tip, brief="Documents")
    assign(newsroom, tip, brief="Interviews", assignee="latam_coord")
    assert tip.followups.count() == 2


@pytest.mark.parametrize("who", ["latam_journalist", "europe_journalist", "editor"])
def test_only_a_coordinator_of_the_tips_desk_creates_follow_ups(
    newsroom: Newsroom, who: str
) -> None:
    tip = accepted_tip(newsroom)
    with pytest.raises(NotAllowed, match="Only a coordinator of Latin America"):
        assign(newsroom, tip, coordinator=who)
    assert not FollowUp.objects.exists()


def test_the_assignee_must_be_on_the_desk(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom)
    with pytest.raises(FollowUpError, match="europe_journalist is not a member of Latin America"):
        assign(newsroom, tip, assignee="europe_journalist")


@pytest.mark.parametrize("status", [Tip.Status.NEW, Tip.Status.REJECTED, Tip.Status.SPAM])
def test_only_accepted_tips_are_followed_up(newsroom: Newsroom, status: str) -> None:
    tip = accepted_tip(newsroom)
    Tip.objects.filter(pk=tip.pk).update(status=status)
    tip.refresh_from_db()
    with pytest.raises(FollowUpError, match="Only accepted tips"):
        assign(newsroom, tip)


def test_a_coordinator_with_a_locked_key_cannot_seal_a_brief(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom)
    with pytest.raises(KeyLocked, match="not unlocked"):
        followup_create(
            tip=tip,
            assignee=newsroom.users["latam_journalist"],
            brief=BRIEF,
            due_date=date(2026, 3, 10),
            actor=newsroom.users["latam_coord"],
            personal_private_key=None,
        )
    assert not FollowUp.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.FOLLOWUP_CREATED).exists()


def test_an_empty_brief_is_refused(newsroom: Newsroom) -> None:
    with pytest.raises(FollowUpError, match="Write a brief"):
        assign(newsroom, accepted_tip(newsroom), brief="   ")


def test_a_tip_without_region_is_followed_up_by_the_general_desk(newsroom: Newsroom) -> None:
    tip = newsroom.submit("No region").tip
    Tip.objects.filter(pk=tip.pk).update(status=Tip.Status.ACCEPTED)
    tip.refresh_from_db()
    editor = newsroom.users["editor"]
    desk_member_add(desk=newsroom.general, user=editor, role="coordinator", actor=None)
    followup = followup_create(
        tip=tip,
        assignee=editor,
        brief=BRIEF,
        due_date=date(2026, 3, 10),
        actor=editor,
        personal_private_key=unlocked_key_of(editor),
    )
    assert followup.desk == newsroom.general


# --- reassignment and history ----------------------------------------------------------------


def test_reassigning_keeps_the_history_and_moves_access(newsroom: Newsroom) -> None:
    newcomer = add_member(newsroom, newsroom.latam, "latam_second")
    followup = assign(newsroom, accepted_tip(newsroom))
    coordinator = newsroom.users["latam_coord"]

    followup_reassign(followup=followup, assignee=newcomer, actor=coordinator)

    followup.refresh_from_db()
    assert followup.assignee == newcomer
    history = list(followup.events.values_list("kind", "from_assignee", "to_assignee"))
    assert history == [
        (FollowUpEvent.Kind.CREATED, None, newsroom.users["latam_journalist"].pk),
        (FollowUpEvent.Kind.REASSIGNED, newsroom.users["latam_journalist"].pk, newcomer.pk),
    ]
    with pytest.raises(NotAllowed):
        _open(followup, newsroom.users["latam_journalist"])
    assert _open(followup, newcomer).brief == "Call the port authority"


def test_journalists_cannot_reassign(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    with pytest.raises(NotAllowed):
        followup_reassign(
            followup=followup,
            assignee=newsroom.users["latam_coord"],
            actor=newsroom.users["latam_journalist"],
        )


def test_reassigning_to_someone_off_the_desk_is_refused(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    with pytest.raises(FollowUpError, match="not a member"):
        followup_reassign(
            followup=followup,
            assignee=newsroom.users["europe_journalist"],
            actor=newsroom.users["latam_coord"],
        )
    with pytest.raises(FollowUpError, match="already has"):
        followup_reassign(
            followup=followup,
            assignee=newsroom.users["latam_journalist"],
            actor=newsroom.users["latam_coord"],
        )


def test_rescheduling_is_recorded_in_plain_words(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom), due=date(2026, 3, 10))
    followup_reschedule(
        followup=followup,
        due_date=date(2026, 3, 20),
        priority=FollowUp.Priority.URGENT,
        actor=newsroom.users["latam_coord"],
    )
    followup.refresh_from_db()
    assert followup.due_date == date(2026, 3, 20)
    event = followup.events.get(kind=FollowUpEvent.Kind.RESCHEDULED)
    assert event.detail == "due 2026-03-10 -> 2026-03-20; priority normal -> urgent"


# --- statuses ---------------------------------------------------------------------------------

ALLOWED = [
    (Status.OPEN, Status.IN_PROGRESS),
    (Status.OPEN, Status.DONE),
    (Status.IN_PROGRESS, Status.OPEN),
    (Status.IN_PROGRESS, Status.DONE),
    (Status.DONE, Status.OPEN),
    (Status.DROPPED, Status.OPEN),
]
FORBIDDEN = [
    (Status.OPEN, Status.OPEN),
    (Status.DONE, Status.IN_PROGRESS),
    (Status.DONE, Status.DROPPED),
    (Status.DROPPED, Status.DONE),
    (Status.DROPPED, Status.IN_PROGRESS),
]


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_allowed_status_changes_are_recorded(newsroom: Newsroom, start: str, target: str) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    FollowUp.objects.filter(pk=followup.pk).update(status=start)
    journalist = newsroom.users["latam_journalist"]

    followup_set_status(followup=followup, status=target, actor=journalist)

    followup.refresh_from_db()
    assert followup.status == target
    event = followup.events.get(kind=FollowUpEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.actor) == (start, target, journalist)


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_forbidden_status_changes_raise_a_clear_error(
    newsroom: Newsroom, start: str, target: str
) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    FollowUp.objects.filter(pk=followup.pk).update(status=start)
    with pytest.raises(FollowUpError, match="cannot be marked"):
        followup_set_status(followup=followup, status=target, actor=newsroom.users["latam_coord"])
    assert FollowUp.objects.get(pk=followup.pk).status == start


def test_dropping_needs_a_reason_which_is_sealed(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    journalist = newsroom.users["latam_journalist"]
    with pytest.raises(FollowUpError, match="Say why"):
        followup_set_status(
            followup=followup,
            status=Status.DROPPED,
            actor=journalist,
            reason=" ",
            personal_private_key=unlocked_key_of(journalist),
        )
    reason = "The source recanted on 4 March"
    followup_set_status(
        followup=followup,
        status=Status.DROPPED,
        actor=journalist,
        reason=reason,
        personal_private_key=unlocked_key_of(journalist),
    )
    stored = FollowUp.objects.get(pk=followup.pk)
    assert stored.status == Status.DROPPED
    assert reason.encode() not in bytes(stored.drop_reason)
    assert _open(stored, newsroom.users["latam_coord"]).drop_reason == reason

    followup_set_status(followup=stored, status=Status.OPEN, actor=newsroom.users["latam_coord"])
    reopened = FollowUp.objects.get(pk=followup.pk)
    assert bytes(reopened.drop_reason) == b""
    assert list(reopened.events.values_list("to_status", flat=True)) == [
        Status.OPEN,
        Status.DROPPED,
        Status.OPEN,
    ]


def test_dropping_with_a_locked_key_changes_nothing(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    with pytest.raises(KeyLocked):
        followup_set_status(
            followup=followup,
            status=Status.DROPPED,
            actor=newsroom.users["latam_journalist"],
            reason="gone",
            personal_private_key=None,
        )
    assert FollowUp.objects.get(pk=followup.pk).status == Status.OPEN


@pytest.mark.parametrize("who", ["europe_journalist", "editor"])
def test_people_off_the_desk_cannot_change_or_comment(newsroom: Newsroom, who: str) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    outsider = newsroom.users[who]
    with pytest.raises(NotAllowed):
        followup_set_status(followup=followup, status=Status.DONE, actor=outsider)
    with pytest.raises(NotAllowed):
        followup_comment_add(
            followup=followup,
            body="hi",
            actor=outsider,
            personal_private_key=unlocked_key_of(outsider),
        )
    with pytest.raises(NotAllowed):
        _open(followup, outsider)


# --- comments ---------------------------------------------------------------------------------


def test_comments_are_sealed_and_read_back_in_order(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    journalist, coordinator = newsroom.users["latam_journalist"], newsroom.users["latam_coord"]
    followup_comment_add(
        followup=followup,
        body="Harbour master will talk on Friday",
        actor=journalist,
        personal_private_key=unlocked_key_of(journalist),
    )
    followup_comment_add(
        followup=followup,
        body="Good, take a photographer",
        actor=coordinator,
        personal_private_key=unlocked_key_of(coordinator),
    )
    for comment in FollowUpComment.objects.all():
        assert b"Harbour" not in bytes(comment.body)
        assert b"photographer" not in bytes(comment.body)
    comments = _open(followup, journalist).comments
    assert [(c.author, text) for c, text in comments] == [
        (journalist, "Harbour master will talk on Friday"),
        (coordinator, "Good, take a photographer"),
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FOLLOWUP_COMMENTED).count() == 2


def test_reading_a_follow_up_is_audited(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    _open(followup, newsroom.users["latam_journalist"])
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.FOLLOWUP_READ, actor=newsroom.users["latam_journalist"]
    ).exists()


def test_a_member_removed_from_the_desk_loses_their_follow_ups(newsroom: Newsroom) -> None:
    followup = assign(newsroom, accepted_tip(newsroom))
    journalist = newsroom.users["latam_journalist"]
    desk_member_remove(desk=newsroom.latam, user=journalist, actor=None)
    assert not my_followups(journalist).exists()
    with pytest.raises(NotAllowed):
        _open(followup, journalist)


# --- selectors: inbox, my follow-ups, overview ------------------------------------------------


def test_the_desk_inbox_lists_accepted_tips_without_follow_up_oldest_first(
    newsroom: Newsroom,
) -> None:
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        oldest = accepted_tip(newsroom, "oldest")
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        followed = accepted_tip(newsroom, "already assigned")
        newest = accepted_tip(newsroom, "newest")
        newsroom.submit("not accepted yet", desk=newsroom.latam)
        accepted_tip(newsroom, "other desk", desk=newsroom.europe)
    assign(newsroom, followed)

    coordinator = newsroom.users["latam_coord"]
    assert list(desk_inbox(coordinator)) == [oldest, newest]
    assert not desk_inbox(newsroom.users["latam_journalist"]).exists()
    assert not desk_inbox(newsroom.users["europe_journalist"]).exists()


def test_the_desk_inbox_takes_one_query(newsroom: Newsroom, django_assert_num_queries: Any) -> None:
    for n in range(5):
        accepted_tip(newsroom, f"tip {n}")
    with django_assert_num_queries(1):
        rows = [(tip.reference, tip.desk.name) for tip in desk_inbox(newsroom.users["latam_coord"])]
    assert len(rows) == 5


def test_my_follow_ups_are_due_soonest_first_with_overdue_flagged(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom)
    later = assign(newsroom, tip, due=date(2026, 3, 20))
    overdue = assign(newsroom, tip, due=date(2026, 3, 5))
    today = assign(newsroom, tip, due=date(2026, 3, 10))
    done = assign(newsroom, tip, due=date(2026, 3, 1))
    followup_set_status(followup=done, status=Status.DONE, actor=newsroom.users["latam_journalist"])
    assign(newsroom, tip, assignee="latam_coord")

    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        rows = [(f.pk, f.is_overdue) for f in my_followups(newsroom.users["latam_journalist"])]
    assert rows == [(overdue.pk, True), (today.pk, False), (later.pk, False)]

    with time_machine.travel(datetime(2026, 3, 11, 0, 1, tzinfo=UTC), tick=False):
        flags = {f.pk: f.is_overdue for f in my_followups(newsroom.users["latam_journalist"])}
    assert flags[today.pk] is True, "due yesterday is overdue from midnight on"


def test_my_follow_ups_take_one_query_whatever_their_number(
    newsroom: Newsroom, django_assert_num_queries: Any
) -> None:
    tip = accepted_tip(newsroom)
    for day in range(1, 8):
        assign(newsroom, tip, due=date(2026, 3, day))
    journalist = newsroom.users["latam_journalist"]
    with django_assert_num_queries(1):
        rows = [
            (f.tip.reference, f.desk.name, f.assignee.username, f.is_overdue)
            for f in my_followups(journalist, today=date(2026, 3, 4))
        ]
    assert len(rows) == 7
    assert sum(overdue for *_, overdue in rows) == 3


def test_the_coordinator_overview_counts_per_member(
    newsroom: Newsroom, django_assert_num_queries: Any
) -> None:
    coordinator = newsroom.users["latam_coord"]
    tip = accepted_tip(newsroom)
    assign(newsroom, tip, due=date(2026, 3, 1))
    assign(newsroom, tip, due=date(2026, 3, 20))
    dropped = assign(newsroom, tip, due=date(2026, 3, 1))
    followup_set_status(followup=dropped, status=Status.DONE, actor=coordinator)
    assign(newsroom, tip, assignee="latam_coord", due=date(2026, 3, 2))
    accepted_tip(newsroom, "waiting one")
    accepted_tip(newsroom, "waiting two")
    accepted_tip(newsroom, "other desk", desk=newsroom.europe)

    with django_assert_num_queries(4):
        overview = coordinator_overview(coordinator, today=date(2026, 3, 10))
    assert [desk.desk for desk in overview] == [newsroom.latam]
    latam = overview[0]
    loads = {m.username: (m.open_count, m.overdue_count) for m in latam.members}
    assert loads == {"latam_coord": (1, 1), "latam_journalist": (2, 1)}
    assert (latam.open_count, latam.overdue_count, latam.waiting_tips) == (3, 2, 2)


def test_the_overview_query_count_does_not_grow_with_desks(
    newsroom: Newsroom, django_assert_num_queries: Any
) -> None:
    coordinator = newsroom.users["latam_coord"]
    desk_member_add(desk=newsroom.europe, user=coordinator, role="coordinator", actor=None)
    for desk in (newsroom.latam, newsroom.europe):
        accepted_tip(newsroom, desk=desk)
    with django_assert_num_queries(4):
        overview = coordinator_overview(coordinator)
    assert [(d.desk.slug, d.waiting_tips) for d in overview] == [("europe", 1), ("latam", 1)]


def test_the_overview_shows_open_work_of_someone_who_left(newsroom: Newsroom) -> None:
    assign(newsroom, accepted_tip(newsroom))
    desk_member_remove(desk=newsroom.latam, user=newsroom.users["latam_journalist"], actor=None)
    (latam,) = coordinator_overview(newsroom.users["latam_coord"], today=date(2026, 3, 1))
    gone = next(m for m in latam.members if m.username == "latam_journalist")
    assert (gone.open_count, gone.on_desk) == (1, False)


def test_journalists_and_outsiders_have_no_overview(newsroom: Newsroom) -> None:
    assert coordinator_overview(newsroom.users["latam_journalist"]) == []
    assert coordinator_overview(newsroom.users["europe_journalist"]) == []


# --- admin pages do not grow their query count with their rows ---------------------------------


def _queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/newsroom/followup/",
        "/admin/newsroom/followup/?assigned=all&state=any",
        "/admin/newsroom/followup/inbox/",
        "/admin/newsroom/followup/overview/",
        "/admin/",
    ],
)
def test_follow_up_pages_take_as_many_queries_for_many_rows_as_for_few(
    newsroom: Newsroom, url: str
) -> None:
    client = logged_in_client("latam_coord")
    tip = accepted_tip(newsroom)
    assign(newsroom, tip, assignee="latam_coord")
    accepted_tip(newsroom, "waiting")
    few = _queries_for(client, url)
    for day in range(1, 9):
        assign(newsroom, tip, assignee="latam_coord", due=date(2026, 3, day))
        accepted_tip(newsroom, f"waiting {day}")
    assert _queries_for(client, url) == few
