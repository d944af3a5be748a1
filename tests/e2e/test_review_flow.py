"""An editor works a tip from its page in Chromium: every button on the page does its job."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from intake.models import Tip
from newsroom.models import Note
from tests.factories import Newsroom
from tests.helpers import admin_login

pytestmark = pytest.mark.browser


def test_editor_claims_notes_moves_and_accepts_a_tip_with_the_page_buttons(
    live_server, committed_newsroom: Newsroom, page: Page
) -> None:
    tip = committed_newsroom.submit(
        "The harbour master takes cash", desk=committed_newsroom.latam
    ).tip
    admin_login(page, live_server.url, "editor")
    page.goto(f"{live_server.url}/admin/intake/tip/{tip.pk}/change/")
    expect(page.get_by_text("The harbour master takes cash")).to_be_visible()

    page.get_by_role("button", name="Claim it").click()
    expect(page.get_by_text("You now hold this tip.")).to_be_visible()
    tip.refresh_from_db()
    assert tip.claimed_by == committed_newsroom.users["editor"]

    page.get_by_role("button", name="Release it").click()
    expect(page.get_by_text("Claim released.")).to_be_visible()
    tip.refresh_from_db()
    assert tip.claimed_by is None

    page.locator("textarea[name=text]").fill("Call the port union first.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    expect(page.get_by_text("Call the port union first.")).to_be_visible()  # in the timeline
    assert Note.objects.filter(tip=tip).count() == 1

    page.get_by_label("Move to desk").select_option(label="Europe")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Tip moved to Europe.")).to_be_visible()

    page.get_by_label("New status").select_option(label="Accepted")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Status changed to Accepted.")).to_be_visible()
    tip.refresh_from_db()
    assert (tip.status, tip.desk) == (Tip.Status.ACCEPTED, committed_newsroom.europe)
