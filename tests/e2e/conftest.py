"""Browser fixtures: Playwright's sync API driving Debian's Chromium against ``live_server``.

Never run ``playwright install``: the tests use the system browser at
``/usr/bin/chromium`` (Debian's ``chromium`` package) and nothing else.

Screenshots for ``docs/screenshots/`` are written only when ``PISTA_SCREENSHOTS=1``,
so an ordinary run (and CI) leaves the work tree untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an asyncio event loop registered in the main thread,
# so Django's async-safety guard would refuse every ORM call in a test body (and the
# transactional flush after it). The tests are synchronous; the guard is a false alarm.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # runs as root in a container
    # Keep the browser from calling home: every request must be to the live server.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's package (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _new_page(browser: Browser, *, javascript: bool = True) -> Page:
    context = browser.new_context(java_script_enabled=javascript, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context with JavaScript on."""
    page = _new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def page_no_js(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context with JavaScript turned off."""
    page = _new_page(browser, javascript=False)
    yield page
    page.context.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Open pages in further fresh contexts (JavaScript on), one per person in the test."""
    pages: list[Page] = []

    def open_page() -> Page:
        pages.append(_new_page(browser))
        return pages[-1]

    yield open_page
    for opened in pages:
        opened.context.close()


@pytest.fixture(scope="module", autouse=True)
def _role_groups_left_in_place(role_groups_restored: None) -> None:
    """Every test here commits (``committed_newsroom``): restore the groups after the module."""


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot to docs/screenshots/NAME.png when PISTA_SCREENSHOTS=1."""

    def take(page: Page, name: str) -> None:
        if os.environ.get("PISTA_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
