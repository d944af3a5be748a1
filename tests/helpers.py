"""Helpers shared by the test modules, each written once, here.

``tests.factories`` builds the newsroom and its staff through the real services;
these are the steps tests take with them: unlock a key, open a page with the key
locked, put a tip through review, talk to the reader, read a receipt, run jobs all
at once, look for a canary in the database and on disk, and drive the public form
in a browser. Fixtures (a committed newsroom, restored role groups, an empty cache)
are in ``tests/conftest.py``.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altcha
from django.apps import apps
from django.db import connection
from django.test import Client

from intake import crypto
from intake.models import Desk, Message, Tip
from intake.selectors import desk_key_active
from intake.services import Submission
from newsroom.models import FollowUp
from newsroom.services.conversation import conversation_open, message_send_to_reader
from newsroom.services.desks import desk_member_add
from newsroom.services.followups import followup_create
from newsroom.services.personal_keys import personal_key_unlock
from newsroom.unsealing import desk_private_key_from_recovery
from tests.factories import PASSWORD, Newsroom, logged_in_client, make_staff

if TYPE_CHECKING:
    from playwright.sync_api import Page

# --- keys ------------------------------------------------------------------------------


def unlocked_key_of(user: Any) -> bytes:
    """The user's personal private key, as their login unlocks it."""
    return personal_key_unlock(user=user, password=PASSWORD)


def reader_key_of(submission: Submission) -> bytes:
    """The reader's private key, derived from the receipt passphrase as a check-back does."""
    return crypto.derive_receipt_secrets(submission.passphrase).keypair.private_key


# --- admin pages -----------------------------------------------------------------------


#: The review queue: the tips' changelist.
QUEUE = "/admin/intake/tip/"


def bulk_action(client: Client, action: str, tips: list[Tip], **extra: Any) -> Any:
    """Post the queue's bulk ``action`` for ``tips`` (every status shown)."""
    data = {"action": action, "_selected_action": [str(t.pk) for t in tips], **extra}
    return client.post(f"{QUEUE}?status=all", data)


def tip_page(client: Client, tip_id: object) -> bytes:
    """The tip's admin page as ``client`` gets it."""
    return client.get(f"{QUEUE}{tip_id}/change/").content


def locked_client(username: str) -> Client:
    """Logged in, but the unlocked key's cookie is gone: the personal key is locked."""
    client = logged_in_client(username)
    del client.cookies["pista_key"]
    return client


def messages_of(response: Any) -> list[str]:
    """The page messages (``django.contrib.messages``) a rendered admin page carries."""
    return [str(message) for message in response.context["messages"]]


def messages_text(response: Any) -> str:
    """The page messages joined in one string, to look for a phrase in any of them."""
    return " ".join(messages_of(response))


def ciphertext_forms(tip: Tip) -> list[bytes]:
    """Slices of a tip's sealed fields as a page could leak them: raw, hex and base64."""
    forms = []
    for field in (tip.body, tip.links, tip.contact):
        raw = bytes(field)[16:48]
        forms += [raw, raw.hex().encode(), base64.b64encode(raw)[:24]]
    return forms


# --- tips, follow-ups and members ------------------------------------------------------


def tip_status_set(tip: Tip, status: str) -> None:
    """Put ``tip`` in ``status`` directly, skipping review (the transitions have their tests)."""
    Tip.objects.filter(pk=tip.pk).update(status=status)
    tip.refresh_from_db()


def accepted_tip(newsroom: Newsroom, body: str = "A tip", *, desk: Desk | None = None) -> Tip:
    """A tip submitted for ``desk`` (Latin America by default) and accepted by the editors."""
    tip = newsroom.submit(body, desk=desk or newsroom.latam).tip
    tip_status_set(tip, Tip.Status.ACCEPTED)
    return tip


def assign(
    newsroom: Newsroom,
    tip: Tip,
    *,
    brief: str = "Call the port authority",
    due: date = date(2026, 3, 10),
    assignee: str = "latam_journalist",
    coordinator: str = "latam_coord",
    priority: int = FollowUp.Priority.NORMAL,
) -> FollowUp:
    """A follow-up on ``tip``, created by ``coordinator`` for ``assignee``."""
    actor = newsroom.users[coordinator]
    return followup_create(
        tip=tip,
        assignee=newsroom.users[assignee],
        brief=brief,
        due_date=due,
        priority=priority,
        actor=actor,
        personal_private_key=unlocked_key_of(actor),
    )


def add_member(newsroom: Newsroom, desk: Desk, username: str, role: str = "journalist") -> Any:
    """A new staff user added to ``desk`` holding its key (granted with the recovery key)."""
    user = make_staff(username)
    desk_private_key = desk_private_key_from_recovery(
        desk_key=desk_key_active(desk), recovery_private_key=newsroom.recovery.private_key
    )
    desk_member_add(desk=desk, user=user, role=role, actor=None, desk_private_key=desk_private_key)
    return user


# --- the conversation with the reader --------------------------------------------------


def message_to_reader(newsroom: Newsroom, tip: Tip, body: str, *, by: str = "editor") -> Message:
    """``by`` writes ``body`` to the reader of ``tip`` with their unlocked key."""
    user = newsroom.users[by]
    return message_send_to_reader(
        tip=tip, user=user, personal_private_key=unlocked_key_of(user), body=body
    )


def conversation_as(newsroom: Newsroom, tip: Tip, name: str) -> list[str | None]:
    """The message texts of ``tip``'s conversation as staff member ``name`` opens them."""
    user = newsroom.users[name]
    items = conversation_open(tip=tip, user=user, personal_private_key=unlocked_key_of(user))
    return [item.body for item in items]


# --- the public pages and the receipt -------------------------------------------------


def csrf_client(url: str = "/") -> tuple[Client, str]:
    """A client that enforces CSRF like a browser session, with the token from ``url``'s form."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None, f"no CSRF token in the form at {url}"
    return client, token.group(1)


def tip_post(**fields: Any) -> dict[str, Any]:
    """The tip form's fields exactly as a browser with JavaScript off sends a valid tip."""
    data = {
        "body": "The harbour master takes cash for berths.\r\nAsk the night shift.",
        "desk": "",
        "links": "",
        "contact_choice": "anonymous",
        "contact": "",
    }
    data.update(fields)
    return data


def receipt_words(html: str) -> list[str]:
    """The passphrase's words as the receipt page lists them, in order."""
    listed = re.search(r'<ol class="passphrase">(.*?)</ol>', html, re.DOTALL)
    assert listed is not None, "no passphrase list on the receipt page"
    return re.findall(r"<li>([^<]*)</li>", listed.group(1))


def hidden_field(page: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page's HTML."""
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    assert found is not None, f"no hidden field {name} in the page"
    return html.unescape(found.group(1))


def pow_challenge(page: str) -> str:
    """The proof-of-work challenge (JSON) embedded in a page's ALTCHA widget."""
    found = re.search(r'<altcha-widget[^>]*\schallenge="([^"]*)"', page)
    assert found is not None, "no proof-of-work challenge in the page"
    return html.unescape(found.group(1))


def pow_solve(challenge_json: str) -> str:
    """Solve a challenge as the ALTCHA widget does; return the ``altcha`` field's value."""
    challenge = json.loads(challenge_json)
    solution = altcha.solve_challenge(altcha.Challenge.from_dict(challenge), timeout=30)
    assert solution is not None, "the challenge could not be solved"
    payload = {"challenge": challenge, "solution": solution.to_dict()}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def tip_form_fields(client: Client, *, proof: bool = False) -> dict[str, str]:
    """What the tip form ``client`` is served adds to the typed fields: the one-time
    token, the CSRF token and, with ``proof``, a solved proof of work."""
    page = client.get("/").content.decode()
    fields = {"submission_token": hidden_field(page, "submission_token")}
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if csrf is not None:
        fields["csrfmiddlewaretoken"] = csrf.group(1)
    if proof:
        fields["altcha"] = pow_solve(pow_challenge(page))
    return fields


def submit_tip(
    client: Client,
    *,
    proof: bool = False,
    follow: bool = True,
    meta: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    """Send a tip as a browser does: load the form, post it (with request headers
    ``meta``), and (``follow``) open the receipt page the post redirects to. Returns the
    last response."""
    data = tip_post(**fields) | tip_form_fields(client, proof=proof)
    return client.post("/", data, follow=follow, **(meta or {}))


def check_form_fields(client: Client, *, proof: bool = False) -> dict[str, str]:
    """What the check-back form adds to the passphrase: CSRF token and, with ``proof``, a
    solved proof of work."""
    page = client.get("/check/").content.decode()
    fields = {}
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if csrf is not None:
        fields["csrfmiddlewaretoken"] = csrf.group(1)
    if proof:
        fields["altcha"] = pow_solve(pow_challenge(page))
    return fields


# --- many at once ------------------------------------------------------------------------


def all_at_once(jobs: list[Callable[[], object]], *, timeout: float) -> list[object]:
    """Run each job in its own thread, all released together by a barrier.

    Return, in order, what each job returned or the exception it raised; the caller
    decides which outcomes are failures. Fails the test if a thread is still running
    ``timeout`` seconds after the start, so a hang cannot hold the run.
    """
    outcomes: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs), timeout=timeout)

    def run(index: int) -> None:
        try:
            start.wait()
            outcomes[index] = jobs[index]()
        except BaseException as exc:  # handed back as the job's outcome
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a job never came back"
    return outcomes


# --- what is stored, and where ---------------------------------------------------------

MAX_SCAN_BYTES = 64 * 1024 * 1024


def files_under(root: Path, since: float | None = None) -> Iterator[Path]:
    """Every regular file below ``root`` (modified since ``since``), up to 64 MiB each."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            if not path.is_file() or stat.st_size > MAX_SCAN_BYTES:
                continue
            if since is not None and stat.st_mtime < since:
                continue
            yield path


def holders(paths: Iterator[Path], needles: list[bytes]) -> list[str]:
    """``"path: needle"`` for each needle found in each file."""
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return found


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value).encode()


def _stored_rows() -> Iterator[tuple[str, list[bytes]]]:
    # Every table, many-to-many tables too, through the base manager (no filtering).
    for model in apps.get_models(include_auto_created=True):
        names = [field.attname for field in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*names):
            yield model.__name__, [_as_bytes(value) for value in row]


def stored_values() -> list[bytes]:
    """Every field value of every row of every table, as bytes (text as UTF-8)."""
    return [value for _, row in _stored_rows() for value in row]


def database_rows_holding(needles: list[bytes]) -> list[str]:
    """``"Model: needle"`` for each needle found in a field of a stored row."""
    found = []
    for model_name, row in _stored_rows():
        found += [f"{model_name}: {n!r}" for n in needles if any(n in value for value in row)]
    return found


def postgres_data_dir() -> Path | None:
    """PostgreSQL's data directory after a checkpoint, if this process may read it."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # flush shared buffers and WAL to disk
        cursor.execute("SHOW data_directory")
        (data_directory,) = cursor.fetchone()
    path = Path(data_directory)
    return path if os.access(path, os.R_OK) else None


# --- in the browser (Playwright) -------------------------------------------------------

#: The tip the browser tests type into the form.
TIP_BODY = (
    "The mayor's brother owns the contractor that won the bridge tender.\n"
    "Payments went through Banco Andino in March — ask about invoice 4471."
)


def fill_tip(page: Page, *, body: str = TIP_BODY, desk: str = "Latin America") -> None:
    """Fill in the tip form as an anonymous reader would."""
    page.get_by_label("What happened?").fill(body)
    page.get_by_label("Which region does it concern?").select_option(label=desk)
    page.get_by_label("No, I want to stay anonymous").check()


def send_tip(page: Page) -> None:
    """Press the form's send button and wait for the next page (with JavaScript on, the
    proof-of-work widget solves its challenge first, then sends the form)."""
    with page.expect_navigation():
        page.get_by_role("button", name="Send the tip").click()
    page.wait_for_load_state()


def passphrase_words(page: Page) -> list[str]:
    """The passphrase's words as the receipt page in the browser lists them."""
    return page.locator("ol.passphrase li").all_inner_texts()


def admin_login(page: Page, base_url: str, username: str) -> None:
    """Log in through the real admin login form, which unlocks the personal key."""
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/")
