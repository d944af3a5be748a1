"""A flood without proofs of work, from several threads at once, against the threaded live
server over real sockets: it spends its own lane's budgets and gets "wait a minute", while
a reader whose browser solved the challenges sends a tip and checks back."""

from __future__ import annotations

import faulthandler
import threading
from collections.abc import Iterator

import pytest

from intake.models import Tip
from tests.factories import Newsroom
from tests.helpers import all_at_once, pow_challenge, pow_solve, receipt_words, tip_post
from tests.http_client import LoopbackClient

REQUEST_TIMEOUT = 30
#: The whole test, enforced from C (see test_concurrent_requests).
TEST_BOUND_SECONDS = 120
FLOOD_THREADS = 4
#: Each flooding thread stops after this many posts, or when the reader is done.
FLOOD_POSTS_EACH = 60
BUDGET = 5


@pytest.fixture
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_BOUND_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_a_reader_with_proofs_gets_through_a_flood_without_them(
    committed_newsroom: Newsroom, live_server: object, settings, watchdog: None
) -> None:
    settings.PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE = BUDGET
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = BUDGET
    settings.PISTA_SUBMISSIONS_PER_MINUTE = 1_000
    settings.PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE = 1_000
    base_url = str(live_server)
    refused = {"/en/": threading.Event(), "/en/check/": threading.Event()}
    reader_done = threading.Event()

    def flood(index: int) -> dict[int, int]:
        client = LoopbackClient(base_url, timeout=REQUEST_TIMEOUT)
        statuses: dict[int, int] = {}
        for n in range(FLOOD_POSTS_EACH):
            if reader_done.is_set():
                break
            form = client.get("/en/")
            if n % 2 == 0:
                path, data = (
                    "/en/",
                    tip_post(
                        body=f"Flood {index}-{n}",
                        csrfmiddlewaretoken=form.csrf_token,
                        submission_token=form.hidden("submission_token"),
                    ),
                )
            else:
                path, data = (
                    "/en/check/",
                    {
                        "passphrase": f"wrong guess {index} {n}",
                        "csrfmiddlewaretoken": form.csrf_token,
                    },
                )
            status = client.post(path, data).status
            statuses[status] = statuses.get(status, 0) + 1
            if status == 429:
                refused[path].set()
        return statuses

    def reader() -> list[int]:
        # Start once both of the flood's budgets are spent, so the reader meets it at its worst.
        for event in refused.values():
            assert event.wait(timeout=60), "the flood never spent its budget"
        client = LoopbackClient(base_url, timeout=REQUEST_TIMEOUT)
        try:
            form = client.get("/en/")
            sent = client.post(
                "/en/",
                tip_post(
                    body="The reader's own tip",
                    csrfmiddlewaretoken=form.csrf_token,
                    submission_token=form.hidden("submission_token"),
                    altcha=pow_solve(pow_challenge(form.body)),
                ),
            )
            receipt = client.get("/en/receipt/")
            words = " ".join(receipt_words(receipt.body))
            check_form = client.get("/en/check/")
            checked = client.post(
                "/en/check/",
                {
                    "passphrase": words,
                    "csrfmiddlewaretoken": check_form.csrf_token,
                    "altcha": pow_solve(pow_challenge(check_form.body)),
                },
            )
            conversation = client.get("/en/check/conversation/")
            return [sent.status, receipt.status, checked.status, conversation.status]
        finally:
            reader_done.set()

    results = all_at_once(
        [*[lambda i=i: flood(i) for i in range(FLOOD_THREADS)], reader], timeout=100
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert results[-1] == [303, 200, 303, 200]
    flood_statuses: dict[int, int] = {}
    for per_thread in results[:-1]:
        for status, count in per_thread.items():  # type: ignore[union-attr]
            flood_statuses[status] = flood_statuses.get(status, 0) + count
    assert flood_statuses.get(429, 0) > 0
    assert set(flood_statuses) <= {303, 400, 429}, flood_statuses
    assert Tip.objects.filter(arrived_with_proof=True).count() == 1
    # At most two minutes' budgets, should the run straddle a minute.
    assert Tip.objects.filter(arrived_with_proof=False).count() <= 2 * BUDGET
