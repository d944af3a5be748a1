"""Readers and staff arriving at once: a threaded server answers every one of them.

Runs with production key-derivation costs against Django's threaded live server,
over real sockets. The derivations that used to hang under concurrency (the
receipt's Argon2id on each submission, the personal key's at each login) all run
at the same moment.
"""

from __future__ import annotations

import faulthandler
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth import get_user_model

from intake.models import Tip
from newsroom.models import PersonalKey
from tests.factories import PASSWORD, Newsroom, second_factor_code
from tests.helpers import all_at_once, tip_post
from tests.http_client import LoopbackClient, Response

#: A request that takes longer than this counts as hung.
REQUEST_TIMEOUT = 30
#: The whole test, enforced by a watchdog thread in C that needs no GIL: if a hung
#: derivation held the GIL, no Python timeout could fire, but this still ends the run.
TEST_BOUND_SECONDS = 120


@pytest.fixture
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_BOUND_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _submit(base_url: str, index: int) -> Response:
    client = LoopbackClient(base_url, timeout=REQUEST_TIMEOUT)
    form = client.get("/en/")
    assert form.status == 200
    posted = client.post(
        "/en/",
        tip_post(
            csrfmiddlewaretoken=form.csrf_token,
            submission_token=form.hidden("submission_token"),
            body=f"Concurrent tip number {index}",
        ),
    )
    assert posted.status == 303, posted.body[:500]
    return client.get(posted.headers["location"])


def _login(base_url: str, username: str) -> tuple[Response, LoopbackClient]:
    client = LoopbackClient(base_url, timeout=REQUEST_TIMEOUT)
    page = client.get("/admin/login/")
    assert page.status == 200
    response = client.post(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": page.csrf_token, "username": username, "password": PASSWORD},
    )
    if response.status != 302 or not response.headers["location"].startswith("/admin/verify/"):
        return response, client
    # The second step, as a person would take it: the code of the account's device.
    step = client.get(response.headers["location"])
    code = second_factor_code(get_user_model().objects.get(username=username))
    return (
        client.post(
            response.headers["location"],
            {"csrfmiddlewaretoken": step.csrf_token, "code": code},
        ),
        client,
    )


@pytest.mark.real_kdf
def test_four_submissions_and_four_logins_at_once_all_succeed(
    committed_newsroom: Newsroom, live_server: object, watchdog: None
) -> None:
    base_url = str(live_server)
    staff = ["editor", "latam_coord", "latam_journalist", "europe_journalist"]
    jobs: list[Callable[[], object]] = [
        *[lambda i=i: _submit(base_url, i) for i in range(4)],
        *[lambda name=name: _login(base_url, name) for name in staff],
    ]
    results = all_at_once(jobs, timeout=2 * REQUEST_TIMEOUT + 10)
    assert not [r for r in results if isinstance(r, BaseException)], results

    submissions = results[:4]
    for response in submissions:
        assert isinstance(response, Response)
        assert response.status == 200, response.body[:500]
        assert "passphrase" in response.body.lower()
    assert Tip.objects.count() == 4

    for name, result in zip(staff, results[4:], strict=True):
        response, client = result  # type: ignore[misc]
        assert response.status == 302, response.body[:500]
        assert response.headers["location"] == "/admin/"
        assert "pista_key" in client.cookies, "the login did not unlock the personal key"
        # The unlocked key works: the queue decrypts previews rather than showing locks.
        queue = client.get("/admin/intake/tip/")
        assert queue.status == 200
        assert "🔒 locked" not in queue.body
        # The tips went to the general desk ("Not sure"): the editor's queue lists them.
        expected = 4 if name == "editor" else 0
        assert queue.body.count("Concurrent tip number") == expected, name
    # Nobody's key was replaced by a failed unwrap under load.
    assert PersonalKey.objects.count() == len(staff)
