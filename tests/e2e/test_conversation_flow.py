"""The full follow-up loop in a real browser: a reader sends a tip, an editor asks a
question, the reader checks back with the passphrase and answers, the editor reads it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from intake.models import Message, Tip
from tests.factories import Newsroom
from tests.helpers import admin_login, fill_tip, passphrase_words, send_tip

pytestmark = pytest.mark.browser

QUESTION = "Thank you. Do you have a copy of invoice 4471, or know who signed it?"
ANSWER = "I have a photo of it. It was signed by the deputy mayor's office."
DETAILS = "The bank transfer went out on the 14th of March."


def messy(passphrase: str) -> str:
    """How a reader might type the words back: capitals, line breaks, stray spaces."""
    words = passphrase.split(" ")
    return "  " + " ".join(words[:3]).upper() + "\n\n" + "   ".join(words[3:]).title() + " \n"


def check_in(page: Page, base_url: str, passphrase: str) -> None:
    page.goto(f"{base_url}/en/check/")
    page.get_by_label("Your passphrase").fill(passphrase)
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url(f"{base_url}/en/check/conversation/")


def test_reader_and_editor_talk_through_the_check_back_page(
    live_server,
    committed_newsroom: Newsroom,
    page: Page,
    new_page: Callable[[], Page],
    screenshot: Callable[[Page, str], None],
) -> None:
    base = live_server.url
    # The reader sends a tip and keeps the passphrase.
    page.goto(base)
    fill_tip(page)
    send_tip(page)
    passphrase = " ".join(passphrase_words(page))
    expect(page.get_by_text("Check back later at")).to_contain_text("/check/")
    tip = Tip.objects.get()

    # An editor asks a question from the conversation page.
    editor = new_page()
    admin_login(editor, base, "editor")
    conversation_url = f"{base}/admin/intake/tip/{tip.pk}/conversation/"
    editor.goto(conversation_url)
    expect(editor.get_by_text("No messages yet.")).to_be_visible()
    editor.get_by_label("Message to the reader").fill(QUESTION)
    editor.get_by_role("button", name="Send to the reader").click()
    expect(editor.locator(".messagelist")).to_contain_text("Message sealed and sent.")
    expect(editor.locator(".conversation-newsroom .message-body")).to_have_text(QUESTION)

    # The reader follows the receipt's link, types the passphrase untidily, reads it.
    page.locator(".check-back a").click()
    page.get_by_label("Your passphrase").fill(messy(passphrase))
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url(f"{base}/en/check/conversation/")
    expect(page.locator(".tip-status")).to_have_text("Received")
    expect(page.locator(".from-newsroom .message-body")).to_have_text(QUESTION)
    assert "editor" not in page.locator(".conversation-item").inner_text()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert set(cookies) == {"csrftoken", "sessionid", "pista_visit"}
    visit = cookies["pista_visit"]
    assert visit["httpOnly"]
    assert visit["sameSite"] == "Strict"
    assert visit["expires"] == -1, "a browser-session cookie"
    screenshot(page, "check-back-conversation")

    # The reader answers and adds a detail.
    page.get_by_label("Your reply").fill(ANSWER)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".sent-notice")).to_have_text(
        "Your reply was sealed and sent to the newsroom."
    )
    page.get_by_label("More details about your tip").fill(DETAILS)
    page.get_by_role("button", name="Add details").click()
    expect(page.locator(".sent-notice")).to_contain_text("added to your tip")
    expect(page.locator(".from-reader")).to_have_count(2)
    assert ANSWER not in page.content(), "the reader's own words are sealed to the newsroom"
    tip.refresh_from_db()
    assert tip.has_unread_reply

    # The queue marks the unread reply; the editor reads the answer.
    editor.goto(f"{base}/admin/intake/tip/")
    row = editor.locator("tr", has=editor.get_by_role("link", name=tip.reference))
    expect(row.locator("td.field-unread img")).to_have_attribute("alt", "True")
    editor.goto(conversation_url)
    expect(editor.locator(".conversation-reader .message-body").first).to_have_text(ANSWER)
    expect(editor.locator(".conversation-reader .message-body").last).to_have_text(DETAILS)
    screenshot(editor, "admin-conversation")
    tip.refresh_from_db()
    assert not tip.has_unread_reply
    assert Message.objects.count() == 3

    # The reader leaves: nothing of the visit remains in the browser.
    page.get_by_role("button", name="Leave").first.click()
    page.wait_for_url(f"{base}/en/check/?from=left")
    expect(page.locator(".check-notice")).to_contain_text("You have left.")
    assert {cookie["name"] for cookie in page.context.cookies()} <= {"csrftoken"}
    page.goto(f"{base}/en/check/conversation/")
    assert page.url == f"{base}/en/check/"
    assert QUESTION not in page.content()


def test_check_back_works_with_javascript_turned_off(
    live_server, committed_newsroom: Newsroom, page_no_js: Page
) -> None:
    base = live_server.url
    page_no_js.goto(base)
    fill_tip(page_no_js)
    send_tip(page_no_js)
    passphrase = " ".join(passphrase_words(page_no_js))

    check_in(page_no_js, base, messy(passphrase))
    expect(page_no_js.locator(".tip-status")).to_have_text("Received")
    expect(page_no_js.locator(".no-messages")).to_be_visible()
    page_no_js.get_by_label("Your reply").fill(ANSWER)
    page_no_js.get_by_role("button", name="Send reply").click()
    expect(page_no_js.locator(".sent-notice")).to_be_visible()
    assert Message.objects.get().author_kind == "reader"
    page_no_js.get_by_role("button", name="Leave").first.click()
    expect(page_no_js.locator(".check-notice")).to_contain_text("You have left.")


def test_a_wrong_passphrase_gets_one_plain_message(
    live_server, committed_newsroom: Newsroom, page: Page, screenshot: Callable[[Page, str], None]
) -> None:
    committed_newsroom.submit("A tip", desk=None)
    page.goto(f"{live_server.url}/en/check/")
    screenshot(page, "check-back-form")
    page.get_by_label("Your passphrase").fill("these are not the seven words you want")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Check", exact=True).click()
    assert navigation.value is not None
    assert navigation.value.status == 400
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"No tip matches this passphrase\."))
    expect(page.get_by_label("Your passphrase")).to_have_value("")
