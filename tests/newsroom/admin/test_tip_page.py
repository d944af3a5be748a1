"""A tip's page in the admin (``newsroom.admin.tip_page``): who reaches it, what it shows
and records, the buttons that claim, review, annotate and move the tip, and the
cross-desk access matrix of every view of a tip."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from intake.models import SealedKey, Tip
from newsroom.models import AuditEvent, Note, StatusChange
from newsroom.services.desks import desk_member_add
from newsroom.services.review import note_add, tip_claim, tip_transition
from tests.factories import Newsroom, logged_in_client, make_staff
from tests.helpers import (
    QUEUE,
    accepted_tip,
    assign,
    bulk_action,
    ciphertext_forms,
    locked_client,
    messages_of,
    tip_page,
    tip_status_set,
    unlocked_key_of,
)

Status = Tip.Status
TIP_URLS = ("change", "history", "delete")


# --- who reaches it, and what is recorded ------------------------------------------------


@pytest.mark.parametrize("view", TIP_URLS)
def test_another_desks_tip_is_unreachable_by_direct_url(newsroom: Newsroom, view: str) -> None:
    tip = newsroom.submit("Latin America secret", desk=newsroom.latam).tip
    client = logged_in_client("europe_journalist")
    response = client.get(f"/admin/intake/tip/{tip.pk}/{view}/", follow=True)
    assert b"Latin America secret" not in response.content
    assert tip.reference.encode() not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_reading_a_tip_records_who_and_which(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Audited reading", desk=newsroom.latam).tip
    page = logged_in_client("latam_coord").get(f"/admin/intake/tip/{tip.pk}/change/").content
    assert b"Audited reading" in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_READ)
    assert event.actor == newsroom.users["latam_coord"]
    assert event.tip_id == tip.pk
    assert event.tip_reference == tip.reference


def test_locked_tip_page_explains_in_plain_words(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Locked words", desk=newsroom.latam).tip
    client = locked_client("editor")
    response = client.get(f"/admin/intake/tip/{tip.pk}/change/")
    assert response.status_code == 200
    assert b"This tip is locked for you" in response.content
    assert b"Log out and log in again" in response.content
    assert b"Traceback" not in response.content
    for form in ciphertext_forms(tip):
        assert form not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_tip_page_links_to_its_follow_ups_for_those_who_may_see_them(newsroom: Newsroom) -> None:
    tip = accepted_tip(newsroom, "Port invoices")
    url = f"/admin/intake/tip/{tip.pk}/change/"
    coordinator = logged_in_client("latam_coord")
    page = coordinator.get(url).content.decode()
    assert "No follow-up yet." in page
    assert f"/admin/newsroom/followup/add/?tip={tip.pk}" in page

    followup = assign(newsroom, tip)
    page = coordinator.get(url).content.decode()
    assert f"/admin/newsroom/followup/{followup.pk}/change/" in page
    assert "latam_journalist, due 2026-03-10" in page

    journalist_page = logged_in_client("latam_journalist").get(url).content.decode()
    assert f"/admin/newsroom/followup/{followup.pk}/change/" in journalist_page  # their own
    assert "/admin/newsroom/followup/add/" not in journalist_page  # only coordinators assign


def test_another_desks_original_is_not_named_on_a_duplicate(newsroom: Newsroom) -> None:
    europe_tip = newsroom.submit("Europe original", desk=newsroom.europe).tip
    latam_tip = newsroom.submit("Latin America copy", desk=newsroom.latam).tip
    tip_transition(
        tip=latam_tip,
        actor=newsroom.users["editor"],
        to_status=Status.DUPLICATE,
        duplicate_of=europe_tip,
    )
    page = logged_in_client("latam_journalist").get(f"/admin/intake/tip/{latam_tip.pk}/change/")
    assert europe_tip.reference.encode() not in page.content
    assert str(europe_tip.pk).encode() not in page.content
    editor_page = logged_in_client("editor").get(f"/admin/intake/tip/{latam_tip.pk}/change/")
    assert europe_tip.reference.encode() in editor_page.content


@pytest.mark.parametrize("bad", ["not-a-uuid", "²"])
def test_malformed_staff_urls_are_not_found_not_server_errors(newsroom: Newsroom, bad: str) -> None:
    client = logged_in_client("editor")
    assert client.post(f"/admin/intake/tip/{bad}/claim/").status_code == 404
    # The admin's "invalid filter" answer: back to the queue with ?e=1, not a 500.
    response = client.get(f"/admin/intake/tip/?desk={bad}")
    assert (response.status_code, response["Location"]) == (302, "/admin/intake/tip/?e=1")


# --- the timeline and the buttons --------------------------------------------------------


_TAGS = re.compile(r"<[^>]+>")


def _timeline_rows(content: bytes) -> list[str]:
    table = content.decode().split('class="module timeline"', 1)[1]
    rows = re.findall(r'<tr class="timeline-(\w+)">(.*?)</tr>', table, re.S)
    return [f"{kind}: {' '.join(_TAGS.sub(' ', cells).split())}" for kind, cells in rows]


def test_tip_page_timeline_is_in_time_order_and_decrypts_for_the_desk(
    newsroom: Newsroom,
) -> None:
    editor = newsroom.users["editor"]
    key = unlocked_key_of(editor)
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        tip = newsroom.submit("Timeline page", desk=newsroom.latam).tip
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        tip_transition(tip=tip, actor=editor, to_status=Status.REJECTED)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        note_add(tip=tip, actor=editor, text="Asked Juan Perez", personal_private_key=key)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        tip_claim(tip=tip, actor=editor)
    with time_machine.travel(start + timedelta(hours=4), tick=False):
        tip_transition(
            tip=tip,
            actor=editor,
            to_status=Status.IN_REVIEW,
            reason="Juan sent documents",
            personal_private_key=key,
        )

    page = logged_in_client("latam_coord").get(f"{QUEUE}{tip.pk}/change/")
    assert page.status_code == 200
    rows = _timeline_rows(page.content)
    assert rows[:4] == [
        "status: 2024-03-01 10:00 editor New → Rejected",
        "note: 2024-03-01 11:00 editor Note Asked Juan Perez",
        "audit: 2024-03-01 12:00 editor Tip claimed",
        "status: 2024-03-01 13:00 editor Rejected → In review Juan sent documents",
    ]
    # Then this very reading, recorded now.
    assert rows[4].startswith("audit: ")
    assert rows[4].endswith("latam_coord Tip read")

    locked = tip_page(locked_client("latam_coord"), tip.pk)
    assert b"Juan" not in locked
    assert locked.decode().count("(locked)") == 2


def test_duplicate_link_is_navigable_both_ways(newsroom: Newsroom) -> None:
    original = newsroom.submit("The original", desk=newsroom.latam).tip
    repeat = newsroom.submit("The repeat", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    response = client.post(
        f"{QUEUE}{repeat.pk}/transition/",
        {"to_status": "duplicate", "duplicate_of": original.reference.lower()},
    )
    assert response.status_code == 302
    repeat.refresh_from_db()
    assert (repeat.status, repeat.duplicate_of) == (Status.DUPLICATE, original)

    repeat_page = client.get(f"{QUEUE}{repeat.pk}/change/").content.decode()
    assert (
        f'class="duplicate-of" href="/admin/intake/tip/{original.pk}/change/">'
        f"{original.reference}</a>"
    ) in repeat_page
    original_page = client.get(f"{QUEUE}{original.pk}/change/").content.decode()
    assert (
        f'class="duplicated-by" href="/admin/intake/tip/{repeat.pk}/change/">{repeat.reference}</a>'
    ) in original_page


def test_duplicate_of_an_unknown_reference_is_refused_on_the_page(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Repeat of something hidden", desk=newsroom.europe).tip
    client = logged_in_client("editor")
    response = client.post(
        f"{QUEUE}{tip.pk}/transition/", {"to_status": "duplicate", "duplicate_of": "ZZZZZZZZZZ"}
    )
    assert Tip.objects.get(pk=tip.pk).status == Status.NEW
    assert "No tip of yours has the reference ZZZZZZZZZZ." in messages_of(
        client.get(response["Location"])
    )


def test_status_choices_on_the_page_are_the_allowed_ones(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Accepted", desk=newsroom.latam).tip
    tip_status_set(tip, Status.ACCEPTED)
    page = logged_in_client("editor").get(f"{QUEUE}{tip.pk}/change/").content.decode()
    select = re.search(r'<select name="to_status"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert re.findall(r'<option value="(\w+)">', select.group(1)) == ["in_review", "archived"]


def test_refused_transition_on_the_page_says_why_and_changes_nothing(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("Spam", desk=newsroom.latam).tip
    tip_status_set(tip, Status.SPAM)
    client = logged_in_client("editor")
    response = client.post(f"{QUEUE}{tip.pk}/transition/", {"to_status": "in_review"})
    assert Tip.objects.get(pk=tip.pk).status == Status.SPAM
    assert "Reopening a tip needs a reason: say why it goes back to review." in messages_of(
        client.get(response["Location"])
    )


def test_tip_page_shows_who_holds_the_tip_and_the_matching_button(newsroom: Newsroom) -> None:
    second = make_staff("second_editor")
    desk_member_add(desk=newsroom.general, user=second, role="editor", actor=None)
    tip = newsroom.submit("Hold it", desk=newsroom.latam).tip
    url = f"{QUEUE}{tip.pk}/change/"
    client = logged_in_client("editor")
    page = client.get(url).content.decode()
    assert "Nobody holds this tip." in page
    assert f'action="{QUEUE}{tip.pk}/claim/"' in page

    client.post(f"{QUEUE}{tip.pk}/claim/")
    page = client.get(url).content.decode()
    assert "You hold this tip." in page
    assert f'action="{QUEUE}{tip.pk}/release/"' in page

    others_page = logged_in_client("second_editor").get(url).content.decode()
    assert "editor holds this tip (for" in others_page
    assert f'action="{QUEUE}{tip.pk}/take-over/"' in others_page

    coord_page = logged_in_client("latam_coord").get(url).content.decode()
    # The holder's name in plain text: a link to the user admin would be a 403 for them.
    assert re.search(r'<div class="readonly">editor</div>', coord_page)
    assert "review-actions" not in coord_page  # sees the holder, gets no review buttons
    assert f'action="{QUEUE}{tip.pk}/note/"' in coord_page


def test_tip_page_refuses_a_post_to_itself(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Read only", desk=newsroom.latam).tip
    response = logged_in_client("editor").post(f"{QUEUE}{tip.pk}/change/", {"status": "spam"})
    assert response.status_code == 405
    assert Tip.objects.get(pk=tip.pk).status == Status.NEW


# --- the cross-desk access matrix --------------------------------------------------------

USER_DESKS = {
    "editor": {"latam", "europe"},
    "latam_coord": {"latam"},
    "latam_journalist": {"latam"},
    "europe_journalist": {"europe"},
}
POST_VIEWS = ("claim", "release", "take-over", "transition", "note", "move")
MATRIX_URLS = ("changelist", "change", "history", *POST_VIEWS, "bulk")


def _snapshot(tip: Tip) -> tuple[object, ...]:
    stored = Tip.objects.get(pk=tip.pk)
    return (
        stored.status,
        stored.desk_id,
        stored.claimed_by_id,
        stored.duplicate_of_id,
        Note.objects.filter(tip=tip).count(),
        StatusChange.objects.filter(tip=tip).count(),
        sorted(str(pk) for pk in SealedKey.objects.filter(tip=tip).values_list("pk", flat=True)),
    )


def _request(client: Client, url: str, tip: Tip, other_desk: Any) -> Any:
    base = f"{QUEUE}{tip.pk}"
    if url == "changelist":
        return client.get(QUEUE, {"status": "all"})
    if url in ("change", "history"):
        return client.get(f"{base}/{url}/")
    if url == "bulk":
        return bulk_action(client, "mark_spam", [tip], confirm="yes")
    data = {
        "take-over": {"reason": "Holder is away"},
        "transition": {"to_status": "in_review"},
        "note": {"text": "A desk note"},
        "move": {"target": str(other_desk.pk)},
    }.get(url, {})
    return client.post(f"{base}/{url}/", data)


@pytest.mark.parametrize("url", MATRIX_URLS)
@pytest.mark.parametrize("username", list(USER_DESKS))
def test_cross_desk_access_matrix(newsroom: Newsroom, username: str, url: str) -> None:
    user = newsroom.users[username]
    holder = make_staff("holder")
    desks = {"latam": newsroom.latam, "europe": newsroom.europe}
    other = {"latam": newsroom.europe, "europe": newsroom.latam}
    bodies = {"latam": "Latin America secret body", "europe": "Europe secret body"}
    tips = {slug: newsroom.submit(bodies[slug], desk=desks[slug]).tip for slug in desks}
    for tip in tips.values():
        if url == "take-over":
            Tip.objects.filter(pk=tip.pk).update(claimed_by=holder)
        if url == "release":
            is_editor = user.has_perm("intake.change_tip")
            Tip.objects.filter(pk=tip.pk).update(claimed_by=user if is_editor else holder)
    client = logged_in_client(username)

    for slug, tip in tips.items():
        before = _snapshot(tip)
        response = _request(client, url, tip, other[slug])
        after = _snapshot(tip)
        content = response.content
        stored = Tip.objects.get(pk=tip.pk)

        if slug not in USER_DESKS[username]:
            assert bodies[slug].encode() not in content, (username, url, slug)
            assert tip.reference.encode() not in content, (username, url, slug)
            assert after == before, (username, url, slug)
            expected_code = {"changelist": 200, "bulk": 200, "change": 302, "history": 302}
            assert response.status_code == expected_code.get(url, 404), (username, url, slug)
            continue

        if url == "changelist":
            assert response.status_code == 200
            assert tip.reference.encode() in content
        elif url == "change":
            assert response.status_code == 200
            assert bodies[slug].encode() in content
        elif url == "history":
            assert response.status_code == 200
            assert tip.reference.encode() in content
        elif username == "editor":
            assert response.status_code == 302, (url, slug)
            effect = {
                "claim": stored.claimed_by == user,
                "release": stored.claimed_by is None,
                "take-over": stored.claimed_by == user and after[4] == before[4] + 1,
                "transition": stored.status == Status.IN_REVIEW,
                "note": after[4] == before[4] + 1,
                "move": stored.desk == other[slug],
                "bulk": stored.status == Status.SPAM,
            }[url]
            assert effect, (url, slug)
        elif url == "note":
            # Every member of the tip's desk may add an internal note.
            assert response.status_code == 302
            assert after[4] == before[4] + 1
            assert after[:4] == before[:4]
        else:
            # Coordinators and journalists see their desk's tips but do not review them.
            assert response.status_code == (200 if url == "bulk" else 302), (url, slug)
            assert after == before, (username, url, slug)


def test_an_editor_of_one_regional_desk_cannot_reach_another_desks_tip(
    newsroom: Newsroom,
) -> None:
    europe_editor = make_staff("europe_editor")
    desk_member_add(desk=newsroom.europe, user=europe_editor, role="editor", actor=None)
    tip = newsroom.submit("Latam for editors", desk=newsroom.latam).tip
    before = _snapshot(tip)
    client = logged_in_client("europe_editor")
    for url in POST_VIEWS:
        response = _request(client, url, tip, newsroom.europe)
        assert response.status_code == 404, url
    assert client.get(f"{QUEUE}{tip.pk}/change/").status_code == 302
    bulk_action(client, "mark_spam", [tip], confirm="yes")
    assert _snapshot(tip) == before
