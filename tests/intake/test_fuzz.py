"""Property-based tests: arbitrary posts to every public endpoint never get a server error.

Random field names and values (unicode, control characters, huge strings), missing
fields, odd content types and garbage cookies, with and without CSRF enforcement,
against ``/``, ``/receipt/``, ``/check/``, ``/check/conversation/`` and
``/check/leave/``. Bounded in examples and time so the suite stays fast.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import tokens
from tests.factories import Newsroom
from tests.helpers import tip_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cleared_cache")]

PUBLIC = ["/en/", "/en/receipt/", "/en/check/", "/en/check/conversation/", "/en/check/leave/"]
KNOWN_FIELDS = [
    "body",
    "desk",
    "links",
    "contact_choice",
    "contact",
    "website",
    "submission_token",
    "altcha",
    "passphrase",
    "kind",
    "reply-body",
    "details-body",
    "csrfmiddlewaretoken",
]
COOKIES = ["csrftoken", "sessionid", "pista_receipt", "pista_visit", "pista_key"]

FUZZ = settings(
    max_examples=40,
    deadline=2_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["", " ", "\x00", "\r\n" * 40, "<script>", "%00", "../../", "\U0001d54f" * 30]),
    st.integers(min_value=60_000, max_value=120_000).map(lambda n: "x" * n),
    st.just("1 OR 1=1"),
)
names = st.one_of(st.sampled_from(KNOWN_FIELDS), st.text(min_size=1, max_size=20))
form_data = st.dictionaries(names, st.one_of(text, st.lists(text, max_size=3)), max_size=8)


def _assert_no_server_error(response: Any) -> None:
    assert response.status_code < 500, response.content[:300]


@FUZZ
@given(path=st.sampled_from(PUBLIC), data=form_data, enforce=st.booleans())
def test_any_form_post_gets_an_answer_not_a_server_error(
    newsroom: Newsroom, path: str, data: dict[str, Any], enforce: bool
) -> None:
    client = Client(enforce_csrf_checks=enforce)
    _assert_no_server_error(client.post(path, data))


@FUZZ
@given(
    path=st.sampled_from(PUBLIC),
    body=st.one_of(st.binary(max_size=2_000), text.map(str.encode)),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/octet-stream",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "text/html; charset=nonexistent",
            "",
        ]
    ),
)
def test_any_body_and_content_type_gets_an_answer(
    newsroom: Newsroom, path: str, body: bytes, content_type: str
) -> None:
    response = Client().generic("POST", path, body, content_type=content_type)
    _assert_no_server_error(response)


@FUZZ
@given(
    path=st.sampled_from(PUBLIC),
    query=st.dictionaries(st.text(max_size=10), text, max_size=4),
    # Header bytes: what a browser can send in a Cookie header at all.
    cookies=st.dictionaries(
        st.sampled_from(COOKIES),
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=100),
        max_size=5,
    ),
    method=st.sampled_from(["get", "post", "put", "delete", "head", "options"]),
)
def test_any_query_cookies_and_method_get_an_answer(
    newsroom: Newsroom,
    path: str,
    query: dict[str, str],
    cookies: dict[str, str],
    method: str,
) -> None:
    client = Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    _assert_no_server_error(getattr(client, method)(path, query))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Shaped like a solution, with anything inside: the paths past the first parse.
solution_like = st.fixed_dictionaries(
    {
        "challenge": st.fixed_dictionaries({"parameters": json_values, "signature": json_values}),
        "solution": json_values,
    }
)


@FUZZ
@given(payload=st.one_of(text, json_values.map(json.dumps), solution_like.map(json.dumps)))
def test_any_proof_of_work_payload_gets_an_answer(newsroom: Newsroom, payload: str) -> None:
    client = Client()
    encoded = base64.b64encode(payload.encode()).decode()
    for value in (payload, encoded):
        tip = tip_post(submission_token=tokens.token_new(), altcha=value)
        _assert_no_server_error(client.post("/en/", tip))
        _assert_no_server_error(client.post("/en/check/", {"passphrase": "x", "altcha": value}))
