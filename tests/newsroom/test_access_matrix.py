"""Role by URL access matrix across two regional desks.

A coordinator or journalist of one desk must not see or act on another desk's tips,
follow-ups, comments or members: not through lists, direct URLs, search,
autocomplete endpoints, form targets or bulk actions. Every case is run for every
role against the *other* desk (denied) and, where the role allows it, against the
role's own desk (allowed), so a denial is never an artefact of a broken page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.test import Client

from intake.models import Desk
from newsroom.models import DeskMembership, FollowUp, FollowUpComment
from newsroom.services.followups import followup_comment_add
from tests.factories import Newsroom, logged_in_client
from tests.helpers import accepted_tip, add_member, assign, queue_search, unlocked_key_of

ROLES = ["latam_coord", "latam_journalist", "europe_coord", "europe_journalist"]


@dataclass
class DeskWorld:
    desk: Desk
    coordinator: Any
    journalist: Any
    tip: Any
    followup: FollowUp
    waiting_tip: Any
    #: Text that only this desk's members may ever see.
    secrets: list[str] = field(default_factory=list)


@dataclass
class World:
    desks: dict[str, DeskWorld]

    def own(self, username: str) -> DeskWorld:
        return self.desks[username.split("_")[0]]

    def other(self, username: str) -> DeskWorld:
        return self.desks["europe" if username.startswith("latam") else "latam"]

    def other_user_for(self, target: DeskWorld) -> Any:
        """Someone not on ``target``'s desk, to try adding."""
        return next(w for w in self.desks.values() if w is not target).journalist


def _desk_world(newsroom: Newsroom, desk: Desk, coordinator: Any, journalist: Any) -> DeskWorld:
    slug = desk.slug.upper()
    tip = accepted_tip(newsroom, f"TIPBODY-{slug}", desk=desk)
    followup = assign(
        newsroom,
        tip,
        brief=f"BRIEF-{slug}",
        assignee=journalist.username,
        coordinator=coordinator.username,
        due=date(2030, 1, 1),
    )
    followup_comment_add(
        followup=followup,
        body=f"COMMENT-{slug}",
        actor=journalist,
        personal_private_key=unlocked_key_of(journalist),
    )
    waiting = accepted_tip(newsroom, f"WAITING-{slug}", desk=desk)
    return DeskWorld(
        desk=desk,
        coordinator=coordinator,
        journalist=journalist,
        tip=tip,
        followup=followup,
        waiting_tip=waiting,
        secrets=[
            f"TIPBODY-{slug}",
            f"BRIEF-{slug}",
            f"COMMENT-{slug}",
            f"WAITING-{slug}",
            tip.reference,
            waiting.reference,
            str(followup.pk),
        ],
    )


@pytest.fixture
def world(newsroom: Newsroom) -> World:
    europe_coord = add_member(newsroom, newsroom.europe, "europe_coord", role="coordinator")
    newsroom.users["europe_coord"] = europe_coord
    return World(
        desks={
            "latam": _desk_world(
                newsroom,
                newsroom.latam,
                newsroom.users["latam_coord"],
                newsroom.users["latam_journalist"],
            ),
            "europe": _desk_world(
                newsroom, newsroom.europe, europe_coord, newsroom.users["europe_journalist"]
            ),
        }
    )


def _is_coordinator(username: str) -> bool:
    return username.endswith("_coord")


def _leaks(response: Any, desk: DeskWorld) -> list[str]:
    content = response.content.decode()
    return [secret for secret in desk.secrets if secret in content]


# --- direct URLs to one object ------------------------------------------------------------------

#: name -> (url builder, expected status on the own desk for a coordinator / a journalist,
#: expected status on the other desk)
ObjectUrl = Callable[[DeskWorld], str]
OBJECT_URLS: dict[str, tuple[ObjectUrl, int, int, set[int]]] = {
    "follow-up page": (
        lambda w: f"/admin/newsroom/followup/{w.followup.pk}/change/",
        200,
        200,
        {404},
    ),
    "follow-up history": (
        lambda w: f"/admin/newsroom/followup/{w.followup.pk}/history/",
        302,
        302,
        {404},
    ),
    "follow-up delete": (
        lambda w: f"/admin/newsroom/followup/{w.followup.pk}/delete/",
        403,
        403,
        {403, 404},
    ),
    "follow-up from tip": (
        lambda w: f"/admin/newsroom/followup/add/?tip={w.waiting_tip.pk}",
        200,
        403,
        {403, 404},
    ),
    "desk page": (lambda w: f"/admin/intake/desk/{w.desk.pk}/change/", 200, 200, {302}),
    "desk member removal": (
        lambda w: f"/admin/intake/desk/{w.desk.pk}/members/{w.journalist.pk}/remove/",
        200,
        403,
        {404},
    ),
    "tip page": (lambda w: f"/admin/intake/tip/{w.tip.pk}/change/", 200, 200, {302}),
}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(OBJECT_URLS))
def test_direct_urls_to_another_desks_objects_are_refused(
    world: World, username: str, case: str
) -> None:
    build, coord_status, journalist_status, denied = OBJECT_URLS[case]
    client = logged_in_client(username)

    own = client.get(build(world.own(username)))
    assert own.status_code == (coord_status if _is_coordinator(username) else journalist_status)

    other = client.get(build(world.other(username)))
    assert other.status_code in denied
    assert _leaks(other, world.other(username)) == []


# --- lists, search and autocomplete -----------------------------------------------------------

LIST_URLS = {
    "admin index": "/admin/",
    "newsroom index": "/admin/newsroom/",
    "all follow-ups": "/admin/newsroom/followup/?assigned=all&state=any",
    "my follow-ups": "/admin/newsroom/followup/",
    "desk inbox": "/admin/newsroom/followup/inbox/",
    "coordinator overview": "/admin/newsroom/followup/overview/",
    "desks": "/admin/intake/desk/",
    "tips": "/admin/intake/tip/",
    "audit trail": "/admin/newsroom/auditevent/",
}
#: Journalists are refused these pages outright (their role has no use for them).
COORDINATOR_ONLY = {"desk inbox", "coordinator overview", "audit trail"}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(LIST_URLS))
def test_lists_show_nothing_of_another_desk(world: World, username: str, case: str) -> None:
    response = logged_in_client(username).get(LIST_URLS[case])
    if case in COORDINATOR_ONLY and not _is_coordinator(username):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert _leaks(response, world.other(username)) == []
    assert world.other(username).desk.name not in response.content.decode() or case == "tips"


@pytest.mark.parametrize("username", ROLES)
def test_lists_do_show_the_own_desk(world: World, username: str) -> None:
    """The positive control for the list cases above."""
    client = logged_in_client(username)
    own = world.own(username)
    listing = client.get("/admin/newsroom/followup/?assigned=all").content.decode()
    assert own.tip.reference in listing
    if _is_coordinator(username):
        assert own.waiting_tip.reference in client.get(LIST_URLS["desk inbox"]).content.decode()
        overview = client.get(LIST_URLS["coordinator overview"]).content.decode()
        assert own.journalist.username in overview


@pytest.mark.parametrize("username", ROLES)
def test_searching_for_another_desks_reference_finds_nothing(world: World, username: str) -> None:
    client = logged_in_client(username)
    other = world.other(username)
    followups = client.get(
        "/admin/newsroom/followup/", {"q": other.tip.reference, "assigned": "all", "state": "any"}
    )
    assert followups.context["cl"].result_count == 0
    tips = queue_search(client, other.tip.reference)
    assert tips.context["cl"].result_count == 0
    own = client.get(
        "/admin/newsroom/followup/",
        {"q": world.own(username).tip.reference, "assigned": "all"},
    )
    assert own.context["cl"].result_count == 1


AUTOCOMPLETE = {
    # Fields whose remote admin has no search or no view permission for staff: refused.
    "follow-up assignee": ("newsroom", "followup", "assignee"),
    "desk coordinator": ("newsroom", "desk", "coordinator"),
    # Fields whose remote admin is searchable: answered from the viewer's narrowed queryset.
    "follow-up tip": ("newsroom", "followup", "tip"),
    "tip desk": ("intake", "tip", "desk"),
}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(AUTOCOMPLETE))
def test_autocomplete_endpoints_reveal_nothing_of_another_desk(
    world: World, username: str, case: str
) -> None:
    app_label, model_name, field_name = AUTOCOMPLETE[case]
    other = world.other(username)
    response = logged_in_client(username).get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
    )
    assert response.status_code in {200, 403}
    assert _leaks(response, other) == []
    if response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        assert str(other.tip.pk) not in ids
        assert str(other.waiting_tip.pk) not in ids
        assert str(other.desk.pk) not in ids
        assert ids, "the positive control: the viewer's own rows are offered"


def test_the_desk_filter_names_only_the_viewers_desks(world: World) -> None:
    page = logged_in_client("latam_coord").get("/admin/newsroom/followup/").content.decode()
    assert "?desk=" in page
    assert f"desk={world.desks['europe'].desk.pk}" not in page


# --- actions on another desk's objects ---------------------------------------------------


def _snapshot(world: World) -> dict[str, Any]:
    return {
        "followups": sorted(
            FollowUp.objects.values_list("pk", "assignee_id", "status", "due_date", "priority")
        ),
        "comments": FollowUpComment.objects.count(),
        "memberships": sorted(DeskMembership.objects.values_list("desk_id", "user_id", "role")),
        "desks": sorted(Desk.objects.values_list("pk", "name", "languages", "coordinator_id")),
    }


PostCase = Callable[[World, DeskWorld], tuple[str, dict[str, Any]]]
POSTS: dict[str, PostCase] = {
    "follow-up status": lambda world, w: (
        f"/admin/newsroom/followup/{w.followup.pk}/status/",
        {"status": "done"},
    ),
    "follow-up comment": lambda world, w: (
        f"/admin/newsroom/followup/{w.followup.pk}/comment/",
        {"body": "sneaky"},
    ),
    "follow-up reassign": lambda world, w: (
        f"/admin/newsroom/followup/{w.followup.pk}/reassign/",
        {"assignee": w.coordinator.pk},
    ),
    "follow-up reschedule": lambda world, w: (
        f"/admin/newsroom/followup/{w.followup.pk}/reschedule/",
        {"due_date": "2031-01-01", "priority": "4"},
    ),
    "follow-up create": lambda world, w: (
        f"/admin/newsroom/followup/add/?tip={w.waiting_tip.pk}",
        {
            "assignee": w.journalist.pk,
            "brief": "sneaky",
            "due_date": "2031-01-01",
            "priority": "2",
        },
    ),
    "follow-up bulk action": lambda world, w: (
        "/admin/newsroom/followup/?assigned=all",
        {"action": "mark_done", "_selected_action": [str(w.followup.pk)]},
    ),
    "desk details": lambda world, w: (
        f"/admin/intake/desk/{w.desk.pk}/change/",
        {"name": "Taken", "description": "", "languages": "x", "is_active": "on"},
    ),
    "desk member add": lambda world, w: (
        f"/admin/intake/desk/{w.desk.pk}/members/add/",
        {"user": world.other_user_for(w).pk, "role": "editor"},
    ),
    "desk member remove": lambda world, w: (
        f"/admin/intake/desk/{w.desk.pk}/members/{w.journalist.pk}/remove/",
        {},
    ),
    "desk pending grants": lambda world, w: (
        f"/admin/intake/desk/{w.desk.pk}/members/{w.journalist.pk}/grant/",
        {"compared": "on", "digits": "12345"},
    ),
    "desk re-seal": lambda world, w: (f"/admin/intake/desk/{w.desk.pk}/reseal/", {}),
}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("case", list(POSTS))
def test_no_action_reaches_another_desk(world: World, username: str, case: str) -> None:
    client = logged_in_client(username)
    other = world.other(username)
    before = _snapshot(world)
    url, data = POSTS[case](world, other)

    response = client.post(url, data)

    assert response.status_code in {302, 403, 404}
    assert _snapshot(world) == before
    assert _leaks(client.get("/admin/newsroom/followup/?assigned=all"), other) == []


# --- within one desk: journalists do not coordinate --------------------------------------


@pytest.mark.parametrize(
    "case", ["follow-up reassign", "follow-up reschedule", "follow-up create", "desk details"]
)
def test_a_journalist_cannot_do_the_coordinators_work_on_their_own_desk(
    world: World, case: str
) -> None:
    own = world.own("latam_journalist")
    client: Client = logged_in_client("latam_journalist")
    before = _snapshot(world)
    url, data = POSTS[case](world, own)
    response = client.post(url, data)
    assert response.status_code in {302, 403}
    assert _snapshot(world) == before
