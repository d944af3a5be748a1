"""The visitor's identifying request data (``intake.middleware``) is gone before any view,
log record or error report sees the request: on the public pages and the staff pages
alike, and nothing else of the request is touched."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from intake.middleware import IDENTIFYING_META, VisitorAnonymityMiddleware
from tests.factories import Newsroom, logged_in_client

#: A value for every identifying header, as a proxy in front of Pista might pass them on.
IDENTIFYING = {key: f"identifying-{key.lower()}" for key in IDENTIFYING_META}
#: Headers that identify nobody and that Django and the views rely on.
ORDINARY = {
    "HTTP_ACCEPT": "text/html",
    "HTTP_ACCEPT_LANGUAGE": "es-PE,es;q=0.9",
    "HTTP_X_REQUESTED_WITH": "nothing",
    "HTTP_X_FORWARDED_PROTO": "https",
}
PUBLIC_AND_STAFF_PATHS = [
    "/en/",
    "/en/check/",
    "/en/check/conversation/",
    "/admin/",
    "/admin/intake/tip/",
]

#: What the capturing view below saw of the request.
seen: list[dict[str, Any]] = []


def capture(request: HttpRequest, rest: str = "") -> HttpResponse:
    seen.append(dict(request.META))
    return HttpResponse("seen")


#: The same paths as the site's, every one answered by ``capture``: the whole middleware
#: stack of the settings runs in front of it (``@pytest.mark.urls`` below).
urlpatterns = [path("", capture), path("<path:rest>", capture)]


@pytest.fixture(autouse=True)
def _nothing_seen_yet() -> None:
    seen.clear()


def test_the_middleware_runs_before_anything_that_could_read_or_log_the_request() -> None:
    stack = list(settings.MIDDLEWARE)
    position = stack.index("intake.middleware.VisitorAnonymityMiddleware")
    # Only the security middleware (HTTPS redirect, headers) runs before it.
    assert stack[:position] == ["django.middleware.security.SecurityMiddleware"]


@pytest.mark.parametrize("url", PUBLIC_AND_STAFF_PATHS)
def test_every_identifying_header_is_removed_and_nothing_else(url: str) -> None:
    request = RequestFactory().get(url, **IDENTIFYING, **ORDINARY)
    sent = dict(request.META)
    assert set(IDENTIFYING) <= set(sent), "the request carries every identifying header"

    VisitorAnonymityMiddleware(capture)(request)

    (meta,) = seen
    assert not set(IDENTIFYING_META) & set(meta)
    assert meta == {key: value for key, value in sent.items() if key not in IDENTIFYING_META}


def test_a_request_without_identifying_headers_passes_unchanged() -> None:
    request = RequestFactory().post("/en/", {"body": "A tip"}, **ORDINARY)
    request.META.pop("REMOTE_ADDR", None)  # RequestFactory supplies one
    sent = dict(request.META)
    response = VisitorAnonymityMiddleware(capture)(request)
    assert seen == [sent]
    assert response.content == b"seen"


@pytest.mark.urls("tests.intake.test_middleware")
@pytest.mark.parametrize("url", PUBLIC_AND_STAFF_PATHS)
def test_through_the_whole_stack_the_view_never_sees_an_identifying_header(
    client: Client, url: str
) -> None:
    response = client.get(url, **IDENTIFYING, **ORDINARY)

    assert response.status_code == 200
    (meta,) = seen
    assert not set(IDENTIFYING_META) & set(meta)
    # Everything else the client sent reaches the view as sent (the same environ a
    # RequestFactory builds; the input and error streams are per-request objects).
    sent = RequestFactory().get(url, **IDENTIFYING, **ORDINARY).META
    kept = {k: v for k, v in sent.items() if k not in IDENTIFYING_META and "." not in k}
    assert {key: meta.get(key) for key in kept} == kept
    assert kept["HTTP_ACCEPT_LANGUAGE"] == ORDINARY["HTTP_ACCEPT_LANGUAGE"]


@pytest.mark.parametrize("url", ["/en/", "/en/check/"])
def test_the_real_public_pages_get_the_request_without_them(
    client: Client, newsroom: Newsroom, url: str
) -> None:
    response = client.get(url, **IDENTIFYING, **ORDINARY)
    assert response.status_code == 200
    meta = response.wsgi_request.META
    assert not set(IDENTIFYING_META) & set(meta)
    assert meta["HTTP_ACCEPT_LANGUAGE"] == ORDINARY["HTTP_ACCEPT_LANGUAGE"]


@pytest.mark.parametrize("url", ["/admin/", "/admin/intake/tip/"])
def test_the_real_staff_pages_get_the_request_without_them(newsroom: Newsroom, url: str) -> None:
    response = logged_in_client("editor").get(url, **IDENTIFYING, **ORDINARY)
    assert response.status_code == 200
    meta = response.wsgi_request.META
    assert not set(IDENTIFYING_META) & set(meta)
    assert meta["HTTP_ACCEPT_LANGUAGE"] == ORDINARY["HTTP_ACCEPT_LANGUAGE"]
