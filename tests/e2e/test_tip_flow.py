"""A reader sends a tip through a real browser; the right people, and only they, read it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

from intake.models import Tip
from tests.factories import Newsroom
from tests.helpers import TIP_BODY, admin_login, fill_tip, passphrase_words, send_tip

pytestmark = pytest.mark.browser

BOOTSTRAP_CSS = "/static/vendor/bootstrap/css/bootstrap.min.css"


def tip_text(page: Page) -> str:
    """The decrypted body as a person sees it (``linebreaksbr`` turns newlines into <br>)."""
    body = page.locator(".tip-body")
    expect(body).to_be_visible()
    return body.inner_text()


def test_reader_sends_a_tip_and_only_the_right_desks_can_read_it(
    live_server,
    committed_newsroom: Newsroom,
    page: Page,
    new_page: Callable[[], Page],
    screenshot: Callable[[Page, str], None],
) -> None:
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Send a tip")).to_be_visible()
    screenshot(page, "tip-form")
    fill_tip(page)
    send_tip(page)

    expect(page.get_by_role("heading", name="Your tip has been received")).to_be_visible()
    words = passphrase_words(page)
    assert len(words) == 7
    assert all(re.fullmatch(r"[a-z-]+", word) for word in words), words
    assert page.locator(".passphrase-line code").inner_text() == " ".join(words)
    screenshot(page, "receipt")

    tip = Tip.objects.get()
    assert tip.desk == committed_newsroom.latam
    assert not tip.has_contact

    editor = new_page()
    admin_login(editor, live_server.url, "editor")
    editor.goto(f"{live_server.url}/admin/intake/tip/")
    editor.get_by_role("link", name=tip.reference).click()
    assert tip_text(editor) == TIP_BODY
    expect(editor.get_by_text("None: the reader chose to stay anonymous")).to_be_visible()
    screenshot(editor, "admin-tip-read")

    journalist = new_page()
    admin_login(journalist, live_server.url, "latam_journalist")
    journalist.goto(f"{live_server.url}/admin/intake/tip/{tip.pk}/change/")
    assert tip_text(journalist) == TIP_BODY

    outsider = new_page()
    admin_login(outsider, live_server.url, "europe_journalist")
    outsider.goto(f"{live_server.url}/admin/intake/tip/")
    expect(outsider.get_by_role("link", name=tip.reference)).to_have_count(0)
    outsider.goto(f"{live_server.url}/admin/intake/tip/{tip.pk}/change/")
    assert outsider.url == f"{live_server.url}/admin/"
    expect(outsider.locator(".messagelist")).to_contain_text(re.compile(r"doesn.t exist"))
    assert "Banco Andino" not in outsider.content()


def test_reader_sends_a_tip_with_javascript_turned_off(
    live_server, committed_newsroom: Newsroom, page_no_js: Page
) -> None:
    page_no_js.goto(live_server.url)
    fill_tip(page_no_js)
    send_tip(page_no_js)

    expect(page_no_js.get_by_role("heading", name="Your tip has been received")).to_be_visible()
    assert len(passphrase_words(page_no_js)) == 7
    assert Tip.objects.get().desk == committed_newsroom.latam


def test_character_counter_counts_down_as_the_reader_types(
    live_server, committed_newsroom: Newsroom, page: Page
) -> None:
    page.goto(live_server.url)
    counter = page.get_by_text(re.compile(r"characters? left"))
    expect(counter).to_have_text("50,000 characters left")

    page.get_by_label("What happened?").press_sequentially("Bribes")
    expect(counter).to_have_text("49,994 characters left")

    # The counter is part of the field's accessible description.
    counter_id = counter.get_attribute("id")
    described_by = page.get_by_label("What happened?").get_attribute("aria-describedby") or ""
    assert counter_id in described_by.split()


def test_without_javascript_the_limit_is_still_enforced_by_the_browser(
    live_server, committed_newsroom: Newsroom, page_no_js: Page
) -> None:
    page_no_js.goto(live_server.url)
    expect(page_no_js.get_by_label("What happened?")).to_have_attribute("maxlength", "50000")
    expect(page_no_js.get_by_text(re.compile(r"characters? left"))).to_have_count(0)


def test_rejected_tip_shows_the_specific_error_and_keeps_what_was_typed(
    live_server,
    committed_newsroom: Newsroom,
    page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    page.goto(live_server.url)
    fill_tip(page)
    page.get_by_label("Supporting links (optional)").fill("https://example.org/tender.pdf")
    page.get_by_label("Yes, I will leave contact details").check()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Send the tip").click()

    assert navigation.value is not None
    assert navigation.value.status == 400
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing you typed has been lost")
    # The summary takes the focus and links to the field, which says what is wrong too.
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Contact details").click()
    contact = page.get_by_label("Contact details", exact=True)
    expect(contact).to_be_focused()
    expect(page.locator("#div_id_contact strong")).to_contain_text(
        "You chose to leave contact details"
    )
    expect(contact).to_have_attribute("aria-invalid", "true")
    expect(contact).to_have_accessible_description(
        re.compile("You chose to leave contact details: please write them here")
    )
    expect(page.get_by_label("What happened?")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("What happened?")).to_have_value(TIP_BODY)
    expect(page.get_by_label("Which region does it concern?")).to_have_value(
        str(committed_newsroom.latam.pk)
    )
    expect(page.get_by_label("Supporting links (optional)")).to_have_value(
        "https://example.org/tender.pdf"
    )
    expect(page.get_by_label("Yes, I will leave contact details")).to_be_checked()
    assert Tip.objects.count() == 0
    screenshot(page, "tip-form-errors")


def test_public_pages_load_nothing_from_another_origin(
    live_server, committed_newsroom: Newsroom, page: Page
) -> None:
    requests: list[Request] = []
    responses: list[Response] = []
    csp_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_errors.append(message.text)

    page.on("request", lambda request: requests.append(request))
    page.on("response", lambda response: responses.append(response))
    page.on("console", on_console)

    form = page.goto(live_server.url)
    assert form is not None
    # Without the header the "no CSP violation" check below would prove nothing.
    assert "default-src 'self'" in (form.header_value("content-security-policy") or "")
    fill_tip(page)
    send_tip(page)
    expect(page.get_by_role("heading", name="Your tip has been received")).to_be_visible()

    urls = [request.url for request in requests]
    assert urls, "no request was recorded"
    assert [url for url in urls if not url.startswith(live_server.url + "/")] == []
    assert f"{live_server.url}{BOOTSTRAP_CSS}" in urls
    failed = [(r.url, r.status) for r in responses if r.status >= 400]
    assert failed == []
    assert csp_errors == []
    # The style sheets really applied: Bootstrap's reboot drops the browser's 8px body
    # margin, and pista.css colours the header.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    header = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert header == "rgb(31, 41, 55)"


def test_tip_is_locked_when_the_keyring_cookie_is_gone(
    live_server,
    committed_newsroom: Newsroom,
    page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    tip = committed_newsroom.submit(TIP_BODY, desk=committed_newsroom.latam).tip
    admin_login(page, live_server.url, "editor")
    change_url = f"{live_server.url}/admin/intake/tip/{tip.pk}/change/"
    page.goto(change_url)
    assert tip_text(page) == TIP_BODY

    page.context.clear_cookies(name="pista_key")
    page.reload()

    expect(page.locator(".tip-locked")).to_contain_text("This tip is locked for you.")
    expect(page.locator(".tip-body")).to_have_count(0)
    assert "Banco Andino" not in page.content()
    screenshot(page, "admin-tip-locked")
