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
import contextlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import altcha
import pytest
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
from newsroom.services.personal_keys import staff_login
from newsroom.unsealing import desk_private_key_from_recovery
from tests.factories import (
    PASSWORD,
    Newsroom,
    logged_in_client,
    make_staff,
    second_factor_code,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

# --- keys ------------------------------------------------------------------------------


def unlocked_key_of(user: Any) -> bytes:
    """The user's personal private key, as their login unlocks it."""
    user.refresh_from_db(fields=["password"])
    key = staff_login(user=user, password=PASSWORD)
    assert key is not None, "the test password no longer opens this account"
    return key


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


def queue_search(client: Client, term: str, **filters: str) -> Any:
    """Search the tip queue as its search box does: the words in a POST body, never in the
    address; ``filters`` stay in the address like the sidebar's."""
    query = f"?{urlencode(filters)}" if filters else ""
    return client.post(QUEUE + query, {"pista_search": term})


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


def csrf_client(url: str = "/en/") -> tuple[Client, str]:
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
    page = client.get("/en/").content.decode()
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
    return client.post("/en/", data, follow=follow, **(meta or {}))


def check_form_fields(client: Client, *, proof: bool = False) -> dict[str, str]:
    """What the check-back form adds to the passphrase: CSRF token and, with ``proof``, a
    solved proof of work."""
    page = client.get("/en/check/").content.decode()
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
    """Log in through the real two steps: the password (which unlocks the personal key),
    then a one-time code of the account's test device."""
    from django.contrib.auth import get_user_model

    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/verify/**")
    user = get_user_model().objects.get(username=username)
    page.get_by_label("A recovery code").fill(second_factor_code(user))
    page.get_by_role("button", name="Go on").click()
    page.wait_for_url(f"{base_url}/admin/")


# --- real servers in subprocesses (gunicorn, a throwaway PostgreSQL) ------------------

REPOSITORY = Path(__file__).resolve().parents[1]
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A TCP port on the loopback interface nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a Pista process on ``database_url`` (``tests.server_settings``)."""
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.server_settings",
        DATABASE_URL=database_url,
        PISTA_DATA_DIR=str(data_dir),
        PYTHONPATH=str(REPOSITORY),
    )
    return env


#: Migrate and set a newsroom up (recovery key, general and regional desk) in one process.
_NEWSROOM_SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from newsroom.services.desks import desk_create
from newsroom.services.recovery import recovery_key_create
recovery_key_create()
desk_create(name="Editors", slug="general", is_general=True)
desk_create(name="Latin America", slug="latam")
"""


def newsroom_set_up(env: dict[str, str]) -> None:
    """Create the schema and a newsroom in the database ``env`` names."""
    subprocess.run(
        [sys.executable, "-c", _NEWSROOM_SETUP], env=env, check=True, timeout=120, cwd=REPOSITORY
    )


@contextlib.contextmanager
def gunicorn_serving(env: dict[str, str], logs: Path) -> Iterator[str]:
    """gunicorn from the repository's ``gunicorn.conf.py``, one worker on a free port, with
    the access log on and every log written under ``logs``; yields its base URL."""
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    stderr = (logs / "stderr.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(REPOSITORY / "gunicorn.conf.py"),
            "--access-logfile",
            str(logs / "access.log"),
            "--error-logfile",
            str(logs / "error.log"),
        ],
        env=env | {"PORT": str(port), "WEB_CONCURRENCY": "1"},
        cwd=REPOSITORY,
        stdout=stderr,
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (logs / "stderr.log").read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline, "gunicorn did not start within 30 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        stderr.close()


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL server of the test's own: its own folder and port, never the machine's."""

    data: Path
    port: int
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl(
            "-o", options, "-l", str(self.data.parent / "server.log"), "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "-t", "30", "stop")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Start a PostgreSQL server in a temporary folder on a free port; remove it after.

    ``initdb`` refuses to run as root, so as root (CI) the server runs as the
    ``postgres`` user. Without the binaries the test is skipped, except under CI=true.
    """
    if not (POSTGRES_BIN / "initdb").exists():
        reason = f"no PostgreSQL binaries in {POSTGRES_BIN}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="pista-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    server = ThrowawayPostgres(data=folder / "data", port=free_port(), as_postgres=as_postgres)
    try:
        subprocess.run(
            [
                *as_postgres,
                str(POSTGRES_BIN / "initdb"),
                *("-D", str(server.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"),
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- what a log must never hold --------------------------------------------------------

#: The marks a visit leaves in request headers and URLs (see visit_leaving_traces).
TRACE_ADDRESSES = ("203.0.113.77", "2001:db8::77", "198.51.100.23")
TRACE_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 TraceAgent/128.0"
TRACE_QUERY = "qcanary"
_ANY_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


def visit_leaving_traces(base_url: str, canary: str) -> None:
    """Requests that put an IP address, a user agent, a query string and tip text in
    every place a server could log them: headers, URLs, a bad Host, a form post."""
    from tests.http_client import LoopbackClient

    client = LoopbackClient(base_url, timeout=30)
    traced = {
        "User-Agent": TRACE_AGENT,
        "X-Forwarded-For": f"{TRACE_ADDRESSES[0]}, {TRACE_ADDRESSES[1]}",
        "X-Real-IP": TRACE_ADDRESSES[2],
        "Referer": f"https://elsewhere.example/?{TRACE_QUERY}=1",
    }
    form = client.get(f"/en/?{TRACE_QUERY}=form", headers=traced)
    sent = client.post(
        f"/en/?{TRACE_QUERY}=post",
        tip_post(
            body=f"A tip with {canary} in it",
            csrfmiddlewaretoken=form.csrf_token,
            submission_token=form.hidden("submission_token"),
        ),
        headers=traced,
    )
    assert sent.status == 303, sent.body[:300]
    assert client.get("/en/receipt/", headers=traced).status == 200
    assert client.get(f"/en/check/?from=left&{TRACE_QUERY}=2", headers=traced).status == 200
    check = client.get("/en/check/")
    wrong = {"passphrase": f"{canary} wrong", "csrfmiddlewaretoken": check.csrf_token}
    assert client.post(f"/en/check/?{TRACE_QUERY}=3", wrong, headers=traced).status == 400
    assert client.get(f"/nothing-here/?{TRACE_QUERY}=4", headers=traced).status == 404
    # A Host header naming an address: Django logs it as a security error.
    assert client.get("/en/", headers={**traced, "Host": TRACE_ADDRESSES[0]}).status == 400
    assert client.get(f"/admin/?{TRACE_QUERY}=5", headers=traced).status == 302


def log_leaks(text: str, canary: str) -> list[str]:
    """The lines of ``text`` that hold an IP address, a user agent, a query string or
    tip text."""
    return [
        line
        for line in text.splitlines()
        if _ANY_IPV4.search(line)
        or any(address in line for address in TRACE_ADDRESSES)
        or "Mozilla" in line
        or "TraceAgent" in line
        or TRACE_QUERY in line
        or "from=left" in line
        or canary in line
    ]
