"""The admin index dashboard: waiting tips per status and desk, oldest wait, tips per day."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from intake.models import Tip
from newsroom.selectors.dashboard import Dashboard, dashboard_for
from tests.factories import Newsroom, logged_in_client, make_staff

Status = Tip.Status
NOW = datetime(2024, 5, 31, 15, 0, tzinfo=UTC)
FIRST_DAY = date(2024, 5, 2)  # 30 days ending today, today included


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _tip(newsroom: Newsroom, desk: Any, status: str, received_at: datetime) -> Tip:
    tip = newsroom.submit(f"{status} tip", desk=desk).tip
    Tip.objects.filter(pk=tip.pk).update(status=status, received_at=received_at)
    return tip


@pytest.fixture
def known_tips(newsroom: Newsroom, frozen: None) -> Newsroom:
    latam, europe = newsroom.latam, newsroom.europe
    _tip(newsroom, latam, Status.NEW, NOW - timedelta(days=2))
    _tip(newsroom, latam, Status.IN_REVIEW, NOW - timedelta(days=5))
    _tip(newsroom, latam, Status.ACCEPTED, NOW - timedelta(days=1))
    _tip(newsroom, latam, Status.REJECTED, datetime(2024, 5, 1, 23, 0, tzinfo=UTC))  # day before
    _tip(newsroom, europe, Status.NEW, NOW - timedelta(days=40))  # oldest waiting, off the chart
    _tip(newsroom, europe, Status.SPAM, NOW - timedelta(days=3))
    _tip(newsroom, europe, Status.ARCHIVED, datetime(2024, 5, 2, 0, 0, tzinfo=UTC))  # first day
    _tip(newsroom, None, Status.NEW, NOW)
    return newsroom


def _status_counts(dashboard: Dashboard) -> dict[str, int]:
    return {status: count for status, _, count in dashboard.waiting_by_status}


def _days(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [
        ((FIRST_DAY + timedelta(days=i)).isoformat(), counts.get(str(FIRST_DAY + timedelta(i)), 0))
        for i in range(30)
    ]


def test_editor_dashboard_counts_every_desks_waiting_tips(known_tips: Newsroom) -> None:
    dashboard = dashboard_for(known_tips.users["editor"])

    assert _status_counts(dashboard) == {"new": 3, "in_review": 1}
    assert [label for _, label, _ in dashboard.waiting_by_status] == ["New", "In review"]
    assert dict(dashboard.waiting_by_desk) == {"": 1, "Europe": 1, "Latin America": 2}
    assert dashboard.oldest_waiting == NOW - timedelta(days=40)
    assert dashboard.oldest_waiting_age == timedelta(days=40)


def test_per_day_counts_cover_exactly_thirty_days_with_zeros(known_tips: Newsroom) -> None:
    per_day = dashboard_for(known_tips.users["editor"]).per_day

    assert len(per_day) == 30
    assert per_day[0][0] == "2024-05-02"
    assert per_day[-1][0] == "2024-05-31"
    # Every status counts as received; the 1 May and 21 April tips are outside the window.
    assert per_day == _days(
        {
            "2024-05-02": 1,
            "2024-05-26": 1,
            "2024-05-28": 1,
            "2024-05-29": 1,
            "2024-05-30": 1,
            "2024-05-31": 1,
        }
    )


def test_a_regional_members_dashboard_counts_only_their_desk(known_tips: Newsroom) -> None:
    latam = dashboard_for(known_tips.users["latam_coord"])
    assert _status_counts(latam) == {"new": 1, "in_review": 1}
    assert latam.waiting_by_desk == [("Latin America", 2)]
    assert latam.oldest_waiting == NOW - timedelta(days=5)
    assert latam.per_day == _days({"2024-05-26": 1, "2024-05-29": 1, "2024-05-30": 1})

    europe = dashboard_for(known_tips.users["europe_journalist"])
    assert _status_counts(europe) == {"new": 1}
    assert europe.waiting_by_desk == [("Europe", 1)]
    assert europe.oldest_waiting == NOW - timedelta(days=40)
    assert europe.per_day == _days({"2024-05-02": 1, "2024-05-28": 1})


def test_dashboard_with_nothing_waiting(newsroom: Newsroom, frozen: None) -> None:
    _tip(newsroom, newsroom.latam, Status.ARCHIVED, NOW - timedelta(days=1))
    dashboard = dashboard_for(newsroom.users["editor"])
    assert dashboard.waiting_by_status == []
    assert dashboard.waiting_by_desk == []
    assert dashboard.oldest_waiting is None
    assert dashboard.oldest_waiting_age is None
    assert sum(count for _, count in dashboard.per_day) == 1
    assert len(dashboard.per_day) == 30


def test_a_user_on_no_desk_gets_empty_figures(newsroom: Newsroom, frozen: None) -> None:
    _tip(newsroom, newsroom.latam, Status.NEW, NOW)
    dashboard = dashboard_for(make_staff("root", is_superuser=True))
    assert dashboard.waiting_by_status == []
    assert dashboard.oldest_waiting is None
    assert [count for _, count in dashboard.per_day] == [0] * 30


def test_chart_bars_scale_to_the_busiest_day(newsroom: Newsroom, frozen: None) -> None:
    for _ in range(2):
        _tip(newsroom, newsroom.latam, Status.NEW, NOW)
    _tip(newsroom, newsroom.latam, Status.NEW, NOW - timedelta(days=1))
    bars = dashboard_for(newsroom.users["editor"]).bars
    assert len(bars) == 30
    assert [bar["x"] for bar in bars] == list(range(0, 300, 10))
    assert (bars[-1]["height"], bars[-1]["y"], bars[-1]["count"]) == (100, 0, 2)
    assert (bars[-2]["height"], bars[-2]["y"], bars[-2]["count"]) == (50, 50, 1)
    assert all(bar["height"] == 0 for bar in bars[:-2])


def test_days_follow_the_newsrooms_time_zone(newsroom: Newsroom, settings: Any) -> None:
    settings.TIME_ZONE = "America/Bogota"  # UTC-5: 02:00 UTC on 31 May is the evening of 30 May
    with time_machine.travel(datetime(2024, 5, 31, 2, 0, tzinfo=UTC), tick=False):
        newsroom.submit("Late evening in Bogotá", desk=newsroom.latam)
        per_day = dashboard_for(newsroom.users["editor"]).per_day
    assert len(per_day) == 30
    assert per_day[-1] == ("2024-05-30", 1)
    assert per_day[0][0] == "2024-05-01"


# --- on the admin index ------------------------------------------------------------------


def _dashboard_html(content: bytes) -> str:
    match = re.search(r'<div class="[^"]*" id="dashboard">(.*?)</svg>', content.decode(), re.S)
    assert match, "the index shows the dashboard"
    return match.group(1)


def _rows(html: str) -> dict[str, str]:
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="count">(\d+)</td>', html, re.S)
    return {re.sub(r"<[^>]+>", "", name).strip(): count for name, count in rows}


def test_admin_index_shows_the_dashboard_to_editors(known_tips: Newsroom) -> None:
    response = logged_in_client("editor").get("/admin/")
    assert response.status_code == 200
    html = _dashboard_html(response.content)
    assert _rows(html) == {
        "New": "3",
        "In review": "1",
        "General only": "1",
        "Europe": "1",
        "Latin America": "2",
    }
    assert "/admin/intake/tip/?status=new" in html
    oldest = re.search(r'<p class="oldest">(.*?)</p>', html)
    assert oldest is not None
    assert oldest.group(1) == "1\xa0month, 1\xa0week old"  # 21 April 15:00 to 31 May 15:00
    assert html.count("<rect ") == 30
    assert "2024-05-31: 1" in html
    page = response.content.decode()
    assert "From 2024-05-02 to 2024-05-31" in page


def test_admin_index_dashboard_of_a_regional_member_names_no_other_desk(
    known_tips: Newsroom,
) -> None:
    response = logged_in_client("latam_coord").get("/admin/")
    html = _dashboard_html(response.content)
    assert _rows(html) == {"New": "1", "In review": "1", "Latin America": "2"}
    assert "Europe" not in html
    assert "General only" not in html


def test_admin_index_renders_without_a_dashboard_for_staff_who_cannot_view_tips(
    newsroom: Newsroom,
) -> None:
    newsroom.submit("Not for them", desk=newsroom.latam)
    make_staff("plain_staff")
    response = logged_in_client("plain_staff").get("/admin/")
    assert response.status_code == 200
    assert b'id="dashboard"' not in response.content
    assert "dashboard" not in response.context


def test_admin_index_shows_no_dashboard_to_a_superuser_on_no_desk(newsroom: Newsroom) -> None:
    newsroom.submit("Admins are not readers", desk=newsroom.latam)
    make_staff("root", is_superuser=True)
    response = logged_in_client("root").get("/admin/")
    assert response.status_code == 200
    assert b'id="dashboard"' not in response.content
