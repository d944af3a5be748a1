"""A coordinator assigns a follow-up in a real browser, and the journalist sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from intake.models import Tip
from newsroom.models import FollowUp, FollowUpEvent
from tests.factories import Newsroom
from tests.helpers import admin_login

pytestmark = pytest.mark.browser

TIP_BODY = "The port authority's invoices do not match the shipping logs for March."
BRIEF = "Ask the harbour master for the March manifests; compare them with invoice 4471."


def test_a_coordinator_assigns_a_follow_up_and_the_journalist_sees_it(
    live_server,
    committed_newsroom: Newsroom,
    page: Page,
    new_page: Callable[[], Page],
    screenshot: Callable[[Page, str], None],
) -> None:
    tip = committed_newsroom.submit(TIP_BODY, desk=committed_newsroom.latam).tip
    Tip.objects.filter(pk=tip.pk).update(status=Tip.Status.ACCEPTED)  # the editors accepted it
    due = timezone.localdate() + timedelta(days=7)

    # The coordinator finds the tip in the desk inbox and assigns it.
    coordinator = page
    admin_login(coordinator, live_server.url, "latam_coord")
    shortcuts = coordinator.locator("#followup-shortcuts")
    expect(shortcuts).to_contain_text("1 tip waiting for assignment")
    shortcuts.get_by_role("link", name="Desk inbox").click()
    row = coordinator.locator("#desk-inbox tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(tip.reference)
    screenshot(coordinator, "followup-desk-inbox")
    row.get_by_role("link", name="Assign a follow-up").click()

    expect(coordinator.locator(".tip-body")).to_contain_text("invoices do not match")
    coordinator.get_by_label("Assign to").select_option(label="latam_journalist")
    coordinator.get_by_label("Brief").fill(BRIEF)
    coordinator.get_by_label("Due date").fill(due.isoformat())
    coordinator.get_by_label("Priority").select_option(label="High")
    screenshot(coordinator, "followup-assign")
    coordinator.get_by_role("button", name="Assign").click()

    expect(coordinator.locator(".messagelist")).to_contain_text(
        f"Follow-up assigned to latam_journalist, due {due.isoformat()}."
    )
    expect(coordinator.locator(".followup-brief")).to_have_text(BRIEF)
    followup = FollowUp.objects.get(tip=tip)
    assert BRIEF.encode() not in bytes(followup.brief)
    assert followup.events.get().kind == FollowUpEvent.Kind.CREATED

    # The inbox is empty now: the tip has its follow-up.
    coordinator.goto(f"{live_server.url}/admin/newsroom/followup/inbox/")
    expect(coordinator.locator(".empty-inbox")).to_be_visible()

    # The journalist sees it under "My follow-ups" and can read the brief and the tip.
    journalist = new_page()
    admin_login(journalist, live_server.url, "latam_journalist")
    journalist.locator("#followup-shortcuts").get_by_role("link", name="My follow-ups").click()
    expect(journalist.get_by_role("heading", name="My follow-ups")).to_be_visible()
    result = journalist.locator("#result_list tbody tr")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(date_format(due))
    expect(result).to_contain_text("High")
    screenshot(journalist, "followup-mine")
    result.get_by_role("link", name=tip.reference).click()

    expect(journalist.locator(".followup-brief")).to_have_text(BRIEF)
    expect(journalist.locator(".tip-body")).to_contain_text("invoices do not match")

    # They start on it and leave a sealed comment; the history records both.
    journalist.get_by_label("New status").select_option(label="In progress")
    journalist.get_by_role("button", name="Change status").click()
    expect(journalist.locator(".followup-status")).to_have_text("In progress")
    journalist.get_by_label("Comment (sealed)").fill("Harbour master agreed to meet on Friday.")
    journalist.get_by_role("button", name="Add comment").click()
    expect(journalist.locator(".followup-comment")).to_contain_text("meet on Friday")
    expect(journalist.locator(".followup-history")).to_contain_text("Open → In progress")
    screenshot(journalist, "followup-detail")

    # Someone on another desk finds nothing of it.
    outsider = new_page()
    admin_login(outsider, live_server.url, "europe_journalist")
    outsider.goto(f"{live_server.url}/admin/newsroom/followup/?assigned=all&state=any")
    expect(outsider.locator("body")).not_to_contain_text(tip.reference)
    response = outsider.goto(f"{live_server.url}/admin/newsroom/followup/{followup.pk}/change/")
    assert response is not None
    assert response.status == 404
    expect(outsider.locator("body")).not_to_contain_text(BRIEF)
