"""The review queue (``newsroom.admin.tips``): which tips it lists and counts, its filters,
previews, search and bulk actions. Ciphertext is never listed, searched or filtered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake import crypto
from intake.models import Message, SealedKey, Tip
from intake.services import received_hour
from newsroom.admin.tips import TipAdmin
from newsroom.exceptions import KeyLocked
from newsroom.models import AuditEvent, Note, StatusChange
from newsroom.services.desks import desk_member_add
from newsroom.services.review import tip_claim
from newsroom.services.tips import tip_open
from tests.factories import Newsroom, logged_in_client, make_staff
from tests.helpers import (
    QUEUE,
    bulk_action,
    ciphertext_forms,
    locked_client,
    messages_of,
    queue_search,
    tip_status_set,
    unlocked_key_of,
)

Status = Tip.Status
Action = AuditEvent.Action
#: Queries behind one queue page, whatever the number of rows: session, user, the device
#: that verified the session's second factor (django-otp), permissions
#: (2), the viewer's desks (2), status counts, the proof-of-work lane's counts (2: the
#: viewer's desks again, then the counts), desk filter (2), row count, the page's rows,
#: the viewer's desk-key grants, the page's sealed content keys; and for the sidebar's
#: desk and follow-up entries, the viewer's roles (once per request) and whether they
#: already have notification preferences; and the audit row recording the previews.
QUEUE_QUERIES = 19


def _refs(response: Any) -> list[str]:
    return [tip.reference for tip in response.context["cl"].result_list]


def _received(tip: Tip, when: datetime) -> None:
    Tip.objects.filter(pk=tip.pk).update(received_at=when)


def _preview_cells(content: bytes) -> list[str]:
    return re.findall(r'<td class="field-preview">(.*?)</td>', content.decode())


# --- who sees which tips ----------------------------------------------------------------


def test_tip_list_shows_only_tips_of_my_desks(newsroom: Newsroom) -> None:
    latam_tip = newsroom.submit("For Latin America", desk=newsroom.latam).tip
    europe_tip = newsroom.submit("For Europe", desk=newsroom.europe).tip
    general_tip = newsroom.submit("Not sure", desk=None).tip

    editor_page = logged_in_client("editor").get("/admin/intake/tip/").content
    for tip in (latam_tip, europe_tip, general_tip):
        assert tip.reference.encode() in editor_page

    latam_page = logged_in_client("latam_journalist").get("/admin/intake/tip/").content
    assert latam_tip.reference.encode() in latam_page
    assert europe_tip.reference.encode() not in latam_page
    assert general_tip.reference.encode() not in latam_page


def test_a_superuser_on_no_desk_sees_no_tips(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Admins are not readers", desk=newsroom.latam).tip
    make_staff("root", is_superuser=True)
    client = logged_in_client("root")
    assert tip.reference.encode() not in client.get("/admin/intake/tip/").content
    page = client.get(f"/admin/intake/tip/{tip.pk}/change/", follow=True).content
    assert b"Admins are not readers" not in page


def test_tips_cannot_be_added_or_edited_in_the_admin(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Read only", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    assert client.get("/admin/intake/tip/add/").status_code == 403
    client.post(f"/admin/intake/tip/{tip.pk}/change/", {"status": "spam"})
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


# --- the default queue and its counts ----------------------------------------------------


def test_default_queue_is_tips_needing_action_oldest_first(newsroom: Newsroom) -> None:
    now = received_hour()
    tips = {}
    for name, status, age_hours in [
        ("fresh", Status.NEW, 1),
        ("old_new", Status.NEW, 72),
        ("reviewing", Status.IN_REVIEW, 120),
        ("accepted", Status.ACCEPTED, 200),
        ("spam", Status.SPAM, 300),
        ("archived", Status.ARCHIVED, 400),
    ]:
        tip = newsroom.submit(f"Tip {name}", desk=newsroom.latam).tip
        tip_status_set(tip, status)
        _received(tip, now - timedelta(hours=age_hours))
        tips[name] = tip

    response = logged_in_client("editor").get(QUEUE)

    assert response.status_code == 200
    assert _refs(response) == [tips[n].reference for n in ("reviewing", "old_new", "fresh")]
    for name in ("accepted", "spam", "archived"):
        assert tips[name].reference.encode() not in response.content
    every = logged_in_client("editor").get(QUEUE, {"status": "all"})
    assert len(_refs(every)) == 6


def test_status_filter_counts_each_status_of_my_desks(newsroom: Newsroom) -> None:
    for status, desk in [
        (Status.NEW, newsroom.latam),
        (Status.NEW, newsroom.latam),
        (Status.IN_REVIEW, newsroom.latam),
        (Status.SPAM, newsroom.latam),
        (Status.ARCHIVED, newsroom.europe),
        (Status.NEW, newsroom.europe),
        (Status.NEW, None),
    ]:
        tip_status_set(newsroom.submit("Counted", desk=desk).tip, status)

    editor_page = logged_in_client("editor").get(QUEUE).content.decode()
    for label in [
        "Needs action (5)",
        "New (4)",
        "In review (1)",
        "Accepted (0)",
        "Rejected (0)",
        "Spam (1)",
        "Duplicate (0)",
        "Archived (1)",
        "All (7)",
    ]:
        assert label in editor_page

    latam_page = logged_in_client("latam_coord").get(QUEUE).content.decode()
    for label in ["Needs action (3)", "New (2)", "In review (1)", "Spam (1)", "Archived (0)"]:
        assert label in latam_page
    assert "All (4)" in latam_page


@pytest.mark.parametrize(
    ("status", "expected"),
    [("new", ["n"]), ("in_review", ["r"]), ("spam", ["s"]), ("all", ["s", "r", "n"])],
)
def test_status_filter_narrows_to_one_status(
    newsroom: Newsroom, status: str, expected: list[str]
) -> None:
    now = received_hour()
    tips = {}
    for offset, (name, value) in enumerate([("s", Status.SPAM), ("r", Status.IN_REVIEW)]):
        tip = newsroom.submit(name, desk=newsroom.latam).tip
        tip_status_set(tip, value)
        _received(tip, now - timedelta(hours=10 - offset))
        tips[name] = tip
    tips["n"] = newsroom.submit("n", desk=newsroom.latam).tip
    response = logged_in_client("editor").get(QUEUE, {"status": status})
    assert _refs(response) == [tips[name].reference for name in expected]


# --- filters -----------------------------------------------------------------------------


def test_age_buckets_split_at_one_and_seven_days(newsroom: Newsroom) -> None:
    now = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    ages = {
        "23h": timedelta(hours=23),
        "24h": timedelta(hours=24),
        "6d23h": timedelta(days=6, hours=23),
        "7d": timedelta(days=7),
        "30d": timedelta(days=30),
    }
    with time_machine.travel(now, tick=False):
        tips = {name: newsroom.submit(name, desk=newsroom.latam).tip for name in ages}
        for name, age in ages.items():
            _received(tips[name], now - age)
        client = logged_in_client("editor")
        buckets = {
            age: set(_refs(client.get(QUEUE, {"age": age}))) for age in ("day", "week", "older")
        }
        unfiltered = set(_refs(client.get(QUEUE)))

    def refs(*names: str) -> set[str]:
        return {tips[name].reference for name in names}

    assert buckets["day"] == refs("23h")
    assert buckets["week"] == refs("24h", "6d23h")
    assert buckets["older"] == refs("7d", "30d")
    assert unfiltered == refs(*ages)


def test_claim_filter_finds_mine_unclaimed_and_others(newsroom: Newsroom) -> None:
    editor = newsroom.users["editor"]
    other = make_staff("other_holder")
    mine = newsroom.submit("Mine", desk=newsroom.latam).tip
    tip_claim(tip=mine, actor=editor)
    theirs = newsroom.submit("Theirs", desk=newsroom.latam).tip
    Tip.objects.filter(pk=theirs.pk).update(claimed_by=other)
    free = newsroom.submit("Free", desk=newsroom.latam).tip

    client = logged_in_client("editor")
    assert _refs(client.get(QUEUE, {"claim": "mine"})) == [mine.reference]
    assert _refs(client.get(QUEUE, {"claim": "none"})) == [free.reference]
    assert _refs(client.get(QUEUE, {"claim": "others"})) == [theirs.reference]
    page = client.get(QUEUE).content.decode()
    assert '<td class="field-holder">editor</td>' in page
    assert '<td class="field-holder">other_holder</td>' in page


def test_has_contact_filter(newsroom: Newsroom) -> None:
    reachable = newsroom.submit("Call me", desk=newsroom.latam, contact="signal +57 300").tip
    anonymous = newsroom.submit("Anonymous", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    assert _refs(client.get(QUEUE, {"has_contact__exact": "1"})) == [reachable.reference]
    assert _refs(client.get(QUEUE, {"has_contact__exact": "0"})) == [anonymous.reference]


def _desk_choices(response: Any) -> list[str]:
    (desk_filter,) = [
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "desk"
    ]
    return [str(label) for _, label in desk_filter.lookup_choices]


def test_desk_filter_offers_only_the_viewers_desks(newsroom: Newsroom) -> None:
    latam_tip = newsroom.submit("Latam", desk=newsroom.latam).tip
    europe_tip = newsroom.submit("Europe", desk=newsroom.europe).tip
    general_tip = newsroom.submit("Not sure", desk=None).tip

    editor = logged_in_client("editor")
    assert _desk_choices(editor.get(QUEUE)) == [
        "Europe",
        "Latin America",
        "General only (reader not sure)",
    ]
    assert _refs(editor.get(QUEUE, {"desk": newsroom.europe.pk})) == [europe_tip.reference]
    assert _refs(editor.get(QUEUE, {"desk": "none"})) == [general_tip.reference]

    coord = logged_in_client("latam_coord")
    page = coord.get(QUEUE)
    assert _desk_choices(page) == ["Latin America"]
    assert b"Europe" not in page.content
    assert _refs(coord.get(QUEUE, {"desk": newsroom.latam.pk})) == [latam_tip.reference]
    # Asking for another desk's id directly shows nothing of it.
    other_desk = coord.get(QUEUE, {"desk": newsroom.europe.pk})
    assert _refs(other_desk) == []
    assert europe_tip.reference.encode() not in other_desk.content


@pytest.mark.parametrize("value", ["garbage", "1; DROP TABLE", "-"])
def test_a_malformed_desk_filter_is_refused_not_a_server_error(
    newsroom: Newsroom, value: str
) -> None:
    newsroom.submit("Latam", desk=newsroom.latam)
    response = logged_in_client("editor").get(QUEUE, {"desk": value})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?e=1"


# --- previews ----------------------------------------------------------------------------


def test_preview_is_the_decrypted_text_on_one_line(newsroom: Newsroom) -> None:
    newsroom.submit("Minister took bribes\n\nat the   port", desk=newsroom.latam)
    long_tip = newsroom.submit("word " * 60, desk=newsroom.latam).tip
    _received(long_tip, received_hour() - timedelta(hours=1))
    page = logged_in_client("editor").get(QUEUE).content
    long_preview, short_preview = _preview_cells(page)
    assert short_preview == "Minister took bribes at the port"
    assert len(long_preview) == 90
    assert long_preview.endswith("…")
    assert long_preview.startswith("word word")


def test_preview_is_locked_without_the_keyring_cookie_and_never_shows_ciphertext(
    newsroom: Newsroom,
) -> None:
    tips = [
        newsroom.submit("Port bribes", desk=newsroom.latam, contact="a@b.example").tip,
        newsroom.submit("Rail contracts", desk=newsroom.europe, links="https://x.example").tip,
    ]
    client = logged_in_client("editor")
    unlocked = client.get(QUEUE).content
    assert sorted(_preview_cells(unlocked)) == ["Port bribes", "Rail contracts"]

    del client.cookies["pista_key"]
    locked = client.get(QUEUE).content
    assert b"Port bribes" not in locked
    assert b"Rail contracts" not in locked
    cells = _preview_cells(locked)
    assert len(cells) == 2
    assert all("locked" in cell for cell in cells)
    for tip in tips:
        assert tip.reference.encode() in locked
        for form in ciphertext_forms(tip):
            assert form not in unlocked
            assert form not in locked


def test_preview_is_locked_for_a_member_still_waiting_for_the_desk_key(
    newsroom: Newsroom,
) -> None:
    desk_member_add(desk=newsroom.latam, user=make_staff("newcomer"), role="journalist", actor=None)
    newsroom.submit("Waiting for a grant", desk=newsroom.latam)
    page = logged_in_client("newcomer").get(QUEUE).content
    assert b"Waiting for a grant" not in page
    (cell,) = _preview_cells(page)
    assert "locked" in cell


def test_previews_and_text_searches_are_audited_without_the_search_words(
    newsroom: Newsroom,
) -> None:
    tips = [newsroom.submit(f"Mayor Alvarez {i}", desk=newsroom.latam).tip for i in range(3)]
    client = logged_in_client("latam_coord")
    client.get("/admin/intake/tip/")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIPS_PREVIEWED)
    assert event.actor == newsroom.users["latam_coord"]
    assert set(event.detail.split()) == {tip.reference for tip in tips}
    assert "Alvarez" not in event.detail

    queue_search(client, "alvarez")
    search = AuditEvent.objects.get(action=AuditEvent.Action.TIPS_SEARCHED)
    assert search.detail == "searched the text of 3 tip(s); 3 matched"
    assert "alvarez" not in search.detail.lower()

    del client.cookies["pista_key"]
    AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_PREVIEWED).delete()
    client.get("/admin/intake/tip/")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_PREVIEWED).exists()


# --- the query count does not grow with the rows -----------------------------------------


def _fill_queue(newsroom: Newsroom, count: int, holders: list[Any]) -> None:
    desks = [newsroom.latam, newsroom.europe, None]
    for i in range(count):
        tip = newsroom.submit(f"Queue tip {i}", desk=desks[i % 3], contact="x" * (i % 2)).tip
        if i % 4 == 0:
            Tip.objects.filter(pk=tip.pk).update(claimed_by=holders[i % len(holders)])


def test_queue_query_count_is_pinned_and_does_not_grow_with_rows(
    newsroom: Newsroom, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    holders = [newsroom.users["editor"], make_staff("holder_a"), make_staff("holder_b")]
    client = logged_in_client("editor")
    client.get(QUEUE)  # warm up: session, content types

    _fill_queue(newsroom, 5, holders)
    with django_assert_num_queries(QUEUE_QUERIES):
        small = client.get(QUEUE)
    assert len(_refs(small)) == 5

    _fill_queue(newsroom, 55, holders)
    decrypted = []
    real_decrypt_text = crypto.decrypt_text

    def counting_decrypt_text(*args: Any, **kwargs: Any) -> str:
        decrypted.append(1)
        return real_decrypt_text(*args, **kwargs)

    monkeypatch.setattr(crypto, "decrypt_text", counting_decrypt_text)
    with django_assert_num_queries(QUEUE_QUERIES):
        large = client.get(QUEUE)
    assert len(_refs(large)) == 50
    previews = _preview_cells(large.content)
    assert len(previews) == 50
    assert all(cell.startswith("Queue tip ") for cell in previews)
    # Decryption is for the page's rows only, never for the whole queue.
    assert len(decrypted) == 50


def test_queue_query_count_is_the_same_for_a_regional_member(newsroom: Newsroom) -> None:
    client = logged_in_client("latam_coord")
    client.get(QUEUE)
    counts, rows = [], []
    for batch in (3, 57):
        for i in range(batch):
            newsroom.submit(f"Latam {i}", desk=newsroom.latam)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE)
            assert response.status_code == 200
        counts.append(len(queries.captured_queries))
        rows.append(_preview_cells(response.content))
    assert counts[0] == counts[1]
    # The pages really listed the desk's tips, decrypted: 3, then a full page of 50.
    assert [len(page) for page in rows] == [3, 50]
    assert all(cell.startswith("Latam ") for page in rows for cell in page)


# --- search ------------------------------------------------------------------------------


def test_search_by_reference_finds_that_tip_in_any_case(newsroom: Newsroom) -> None:
    wanted = newsroom.submit("Wanted", desk=newsroom.latam).tip
    newsroom.submit("Other", desk=newsroom.latam)
    client = logged_in_client("editor")
    assert _refs(queue_search(client, wanted.reference)) == [wanted.reference]
    assert _refs(queue_search(client, wanted.reference.lower())) == [wanted.reference]


def test_search_by_reference_finds_a_closed_tip_from_the_default_queue(
    newsroom: Newsroom,
) -> None:
    archived = newsroom.submit("Old business", desk=newsroom.latam).tip
    tip_status_set(archived, Status.ARCHIVED)
    response = queue_search(logged_in_client("editor"), archived.reference)
    assert _refs(response) == [archived.reference]


def test_search_by_reference_does_not_reach_another_desks_tip(newsroom: Newsroom) -> None:
    europe_tip = newsroom.submit("Europe only body", desk=newsroom.europe).tip
    response = queue_search(logged_in_client("latam_coord"), europe_tip.reference)
    assert _refs(response) == []
    assert b"Europe only body" not in response.content
    assert f"/admin/intake/tip/{europe_tip.pk}/".encode() not in response.content


def test_text_search_decrypts_in_memory_and_says_how_many_it_searched(
    newsroom: Newsroom,
) -> None:
    port = newsroom.submit("Bribes at the PORT of Callao", desk=newsroom.latam).tip
    newsroom.submit("Rail contracts", desk=newsroom.latam)
    newsroom.submit("Port strike in Rotterdam", desk=newsroom.europe)

    coord = queue_search(logged_in_client("latam_coord"), "port")
    assert _refs(coord) == [port.reference]
    assert "Searched the text of 2 tip(s) (your desks' most recent), in memory." in messages_of(
        coord
    )

    editor = queue_search(logged_in_client("editor"), "port")
    assert len(_refs(editor)) == 2
    assert "Searched the text of 3 tip(s) (your desks' most recent), in memory." in messages_of(
        editor
    )


def test_text_search_while_locked_finds_nothing_and_says_why(newsroom: Newsroom) -> None:
    newsroom.submit("Bribes at the port", desk=newsroom.latam)
    client = locked_client("editor")
    response = queue_search(client, "port")
    assert _refs(response) == []
    assert any("Only references can be looked up" in m for m in messages_of(response))


def test_ciphertext_is_never_listed_searched_or_filtered(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Search me not", desk=newsroom.latam).tip
    sealed_fields = {"body", "links", "contact", "receipt_lookup", "receipt_public_key"}
    assert not sealed_fields & set(TipAdmin.list_display)
    assert not sealed_fields & {f.lstrip("=^@") for f in TipAdmin.search_fields}
    assert not sealed_fields & {f if isinstance(f, str) else "" for f in TipAdmin.list_filter}
    client = logged_in_client("editor")
    listing = client.get("/admin/intake/tip/").content
    for form in ciphertext_forms(tip):
        assert form not in listing
    assert tip.reference.encode() in queue_search(client, tip.reference).content
    # Words search the decrypted text in memory, never the stored bytes.
    found = queue_search(client, "search me").content
    assert tip.reference.encode() in found
    assert b"Searched the text of 1 tip(s)" in found
    assert tip.reference.encode() not in queue_search(client, "absent").content
    del client.cookies["pista_key"]
    locked = queue_search(client, "search me").content
    assert tip.reference.encode() not in locked
    assert b"Only references can be looked up while your key is locked" in locked


# --- bulk actions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [("mark_spam", "spam"), ("mark_rejected", "rejected"), ("mark_archived", "archived")],
)
def test_bulk_status_action_confirms_then_changes_and_audits_each_tip(
    newsroom: Newsroom, action: str, status: str
) -> None:
    chosen = [
        newsroom.submit("First", desk=newsroom.latam).tip,
        newsroom.submit("Second", desk=newsroom.europe).tip,
    ]
    tip_status_set(chosen[1], Status.IN_REVIEW)
    bystander = newsroom.submit("Not chosen", desk=newsroom.latam).tip
    client = logged_in_client("editor")

    confirmation = bulk_action(client, action, chosen, index="0")
    assert confirmation.status_code == 200
    listed = re.findall(r"<li>(\w{10}) — ", confirmation.content.decode())
    assert sorted(listed) == sorted(t.reference for t in chosen)
    assert bystander.reference.encode() not in confirmation.content
    assert b'name="confirm" value="yes"' in confirmation.content
    assert {t.status for t in Tip.objects.all()} <= {Status.NEW, Status.IN_REVIEW}
    assert not StatusChange.objects.exists()

    done = bulk_action(client, action, chosen, confirm="yes")
    assert done.status_code == 302
    for tip in chosen:
        tip.refresh_from_db()
        assert tip.status == status
        change = StatusChange.objects.get(tip=tip)
        assert (change.actor, change.to_status) == (newsroom.users["editor"], status)
        event = AuditEvent.objects.get(action=Action.STATUS_CHANGED, tip=tip)
        assert event.actor == newsroom.users["editor"]
    assert Tip.objects.get(pk=bystander.pk).status == Status.NEW
    assert "2 tip(s) updated." in messages_of(client.get(done["Location"]))


def test_bulk_action_with_one_invalid_tip_changes_nothing_and_names_it(
    newsroom: Newsroom,
) -> None:
    fresh = newsroom.submit("Fresh", desk=newsroom.latam).tip
    accepted = newsroom.submit("Accepted", desk=newsroom.latam).tip
    tip_status_set(accepted, Status.ACCEPTED)
    client = logged_in_client("editor")

    response = bulk_action(client, "mark_spam", [fresh, accepted], confirm="yes")

    assert response.status_code == 302
    assert Tip.objects.get(pk=fresh.pk).status == Status.NEW
    assert Tip.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.STATUS_CHANGED).exists()
    (message,) = messages_of(client.get(response["Location"]))
    assert message.startswith("Nothing was changed")
    assert f"{accepted.reference}: A tip that is accepted cannot become spam." in message
    assert fresh.reference not in message


def test_bulk_move_confirms_with_a_desk_choice_then_reseals(newsroom: Newsroom) -> None:
    moving = [
        newsroom.submit("Move one", desk=newsroom.latam).tip,
        newsroom.submit("Move two", desk=None).tip,
    ]
    client = logged_in_client("editor")

    confirmation = bulk_action(client, "move_to_desk", moving, index="0")
    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    select = re.search(r'<select name="target"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select.group(1))
    assert options == [
        (str(newsroom.europe.pk), "Europe"),
        (str(newsroom.latam.pk), "Latin America"),
    ]
    for tip in moving:
        assert tip.reference in page
    assert {t.desk_id for t in Tip.objects.filter(pk__in=[t.pk for t in moving])} == {
        newsroom.latam.pk,
        None,
    }

    done = bulk_action(
        client, "move_to_desk", moving, confirm="yes", target=str(newsroom.europe.pk)
    )
    assert done.status_code == 302
    assert "2 tip(s) updated." in messages_of(client.get(done["Location"]))
    for tip, body in zip(moving, ("Move one", "Move two"), strict=True):
        tip = Tip.objects.get(pk=tip.pk)
        assert tip.desk == newsroom.europe
        for name in ("europe_journalist", "editor"):
            user = newsroom.users[name]
            assert (
                tip_open(tip=tip, user=user, personal_private_key=unlocked_key_of(user)).body
                == body
            )
        coord = newsroom.users["latam_coord"]
        with pytest.raises(KeyLocked):
            tip_open(tip=tip, user=coord, personal_private_key=unlocked_key_of(coord))
    assert AuditEvent.objects.filter(action=Action.TIP_MOVED).count() == 2


def test_bulk_move_without_a_desk_asks_again_and_moves_nothing(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Stay", desk=newsroom.latam).tip
    response = bulk_action(logged_in_client("editor"), "move_to_desk", [tip], confirm="yes")
    assert response.status_code == 200
    assert b'<select name="target"' in response.content
    assert Tip.objects.get(pk=tip.pk).desk == newsroom.latam
    assert not AuditEvent.objects.filter(action=Action.TIP_MOVED).exists()


def test_bulk_move_with_a_locked_key_moves_nothing(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Locked", desk=newsroom.latam).tip
    client = locked_client("editor")
    response = bulk_action(client, "move_to_desk", [tip], confirm="yes", target=newsroom.europe.pk)
    assert response.status_code == 302
    assert Tip.objects.get(pk=tip.pk).desk == newsroom.latam
    (message,) = messages_of(client.get(response["Location"]))
    assert message.startswith("Nothing was changed")
    assert tip.reference in message


@pytest.mark.parametrize("username", ["latam_coord", "latam_journalist"])
def test_bulk_actions_are_not_offered_to_non_editors(newsroom: Newsroom, username: str) -> None:
    tip = newsroom.submit("Theirs", desk=newsroom.latam).tip
    client = logged_in_client(username)
    page = client.get(QUEUE)
    assert page.context["action_form"] is None
    assert b"mark_spam" not in page.content
    bulk_action(client, "mark_spam", [tip], confirm="yes")
    assert Tip.objects.get(pk=tip.pk).status == Status.NEW


def test_editors_delete_tips_for_good_after_a_warning(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Delete this one", desk=newsroom.latam).tip
    kept = newsroom.submit("Keep this one", desk=newsroom.latam).tip
    editor = logged_in_client("editor")
    editor.post(f"/admin/intake/tip/{tip.pk}/note/", {"text": "A sealed note"})
    selection = {"action": "delete_for_good", "_selected_action": [str(tip.pk)]}

    confirm = editor.post("/admin/intake/tip/?status=all", selection)
    assert b"Delete these tips for good?" in confirm.content
    assert b"Database backups made before today still hold them" in confirm.content
    assert Tip.objects.filter(pk=tip.pk).exists()

    editor.post("/admin/intake/tip/?status=all", {**selection, "confirm": "yes"})
    assert not Tip.objects.filter(pk=tip.pk).exists()
    assert not SealedKey.objects.filter(tip_id=tip.pk).exists()
    assert not Note.objects.filter(tip_id=tip.pk).exists()
    assert not Message.objects.filter(tip_id=tip.pk).exists()
    assert Tip.objects.filter(pk=kept.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_DELETED)
    assert (event.actor, event.tip_reference) == (newsroom.users["editor"], tip.reference)


def test_a_journalist_cannot_delete_tips(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Not yours to delete", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    selection = {"action": "delete_for_good", "_selected_action": [str(tip.pk)], "confirm": "yes"}
    client.post("/admin/intake/tip/?status=all", selection)
    assert Tip.objects.filter(pk=tip.pk).exists()


# --- the lane of tips sent without a proof of work -------------------------------------


def test_tips_sent_without_a_proof_of_work_have_their_own_lane(newsroom: Newsroom) -> None:
    proofless = newsroom.submit("Sent with JavaScript off", arrived_with_proof=False).tip
    proven = newsroom.submit("Sent by a browser that did the work", arrived_with_proof=True).tip
    client = logged_in_client("editor")

    lane = client.get(f"{QUEUE}?proof=without")
    assert _refs(lane) == [proofless.reference]
    assert _refs(client.get(f"{QUEUE}?proof=with")) == [proven.reference]
    assert set(_refs(client.get(QUEUE))) == {proofless.reference, proven.reference}
    html = lane.content.decode()
    assert "No proof of work (sent without JavaScript) (1)" in html
    assert "With proof of work (1)" in html


def test_the_queue_marks_tips_without_a_proof_of_work(newsroom: Newsroom) -> None:
    proofless = newsroom.submit("No proof", arrived_with_proof=False).tip
    proven = newsroom.submit("Proof", arrived_with_proof=True).tip
    html = logged_in_client("editor").get(QUEUE).content.decode()
    rows = {
        ref: row
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
        for ref in (proofless.reference, proven.reference)
        if ref in row
    }
    assert re.search(r'class="field-proof"><img[^>]*alt="False"', rows[proofless.reference])
    assert re.search(r'class="field-proof"><img[^>]*alt="True"', rows[proven.reference])
