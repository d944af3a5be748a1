"""The proof of work, the receipt and a lost CSRF cookie in a real browser: with JavaScript
the vendored ALTCHA widget solves the challenge and the tip arrives with proof; without it
the tip still arrives, in the queue's own lane; the receipt shows once; a form whose
cookies were cleared comes back with the text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from intake.models import Tip
from tests.factories import Newsroom
from tests.helpers import TIP_BODY, admin_login, fill_tip, passphrase_words, send_tip

pytestmark = pytest.mark.browser

RECEIVED = "Your tip has been received"


def test_with_javascript_the_widget_solves_the_challenge_and_the_tip_has_proof(
    live_server, committed_newsroom: Newsroom, page: Page
) -> None:
    requests: list[Request] = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("request", lambda request: requests.append(request))
    page.on("console", on_console)
    page.goto(live_server.url)
    fill_tip(page)
    send_tip(page)

    expect(page.get_by_role("heading", name=RECEIVED)).to_be_visible()
    assert len(passphrase_words(page)) == 7
    assert Tip.objects.get().arrived_with_proof is True
    urls = [request.url for request in requests]
    assert f"{live_server.url}/static/vendor/altcha/altcha.min.js" in urls
    assert f"{live_server.url}/static/vendor/altcha/workers/sha.js" in urls, "the widget worked"
    assert [url for url in urls if not url.startswith(live_server.url + "/")] == []
    assert problems == [], "no error and no CSP violation in the console"


def test_without_javascript_the_tip_lands_in_the_no_proof_lane(
    live_server, committed_newsroom: Newsroom, page_no_js: Page, new_page
) -> None:
    page_no_js.goto(live_server.url)
    # (Chromium with scripting switched off by the test driver does not render <noscript>;
    # a browser with JavaScript off does.)
    assert re.search(r"<noscript>.*JavaScript is off", page_no_js.content(), re.DOTALL)
    fill_tip(page_no_js)
    send_tip(page_no_js)
    expect(page_no_js.get_by_role("heading", name=RECEIVED)).to_be_visible()
    tip = Tip.objects.get()
    assert tip.arrived_with_proof is False

    editor = new_page()
    admin_login(editor, live_server.url, "editor")
    editor.goto(f"{live_server.url}/admin/intake/tip/")
    editor.get_by_role(
        "link", name=re.compile(r"No proof of work \(sent without JavaScript\)")
    ).click()
    row = editor.locator("tr", has=editor.get_by_role("link", name=tip.reference))
    expect(row).to_have_count(1)
    expect(row.locator("td.field-proof img")).to_have_attribute("alt", "False")


def test_the_receipt_shows_once_and_a_reload_makes_no_second_tip(
    live_server, committed_newsroom: Newsroom, page_no_js: Page
) -> None:
    page_no_js.goto(live_server.url)
    fill_tip(page_no_js)
    send_tip(page_no_js)
    assert page_no_js.url == f"{live_server.url}/en/receipt/"
    words = passphrase_words(page_no_js)
    assert len(words) == 7

    page_no_js.reload()
    expect(
        page_no_js.get_by_role("heading", name="Your passphrase was already shown")
    ).to_be_visible()
    assert " ".join(words) not in page_no_js.content()
    assert Tip.objects.count() == 1


def test_a_form_whose_cookies_were_cleared_comes_back_with_the_text(
    live_server, committed_newsroom: Newsroom, page: Page
) -> None:
    page.goto(live_server.url)
    fill_tip(page)
    page.context.clear_cookies()  # as Tor Browser's "New Identity" would, mid-writing
    send_tip(page)

    expect(page.locator(".form-notice")).to_contain_text("security check failed")
    expect(page.get_by_label("What happened?")).to_have_value(TIP_BODY)
    assert not Tip.objects.exists()
    send_tip(page)  # the page brought a fresh cookie and token: sending again works
    expect(page.get_by_role("heading", name=RECEIVED)).to_be_visible()
    assert Tip.objects.count() == 1
