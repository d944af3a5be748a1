"""Time the review queue (the tip list in the admin) at 1,000 and at 100,000 tips.

Run from the repository root (a default run takes a few minutes, most of it sealing)::

    DEBUG=true .venv/bin/python -m bench.bench_queue [--tips 100000] [--baseline 1000]
        [--requests 30] [--database-url postgres://USER@HOST:PORT/NAME]

Without ``--database-url`` the run uses a throwaway SQLite file in a temporary
folder. With a ``postgres://`` URL it creates the database NAME
(``pista_bench_queue_<pid>`` when the URL names none), refuses to touch one that
already exists, and drops it at the end.

The newsroom is initialised through the services, with the production Argon2id
parameters for the one login: a recovery key, the general desk with an editor,
three regional desks. One real tip per destination (general only, and each
regional desk) goes through ``intake.services.tip_submit``; the rest are clones
of those rows made in bulk, skipping only the receipt passphrase derivation
(Argon2id, 0.2 s a tip). Each clone is sealed as ``tip_submit`` seals: its own
content key, its fields encrypted under labels naming its own id, and the
content key sealed to the same recipients as its template (general desk,
regional desk if any, recovery key). So every preview on the page really is
unsealed and decrypted.

Tips are spread over 90 days and over all seven statuses (about a third waiting:
new or in review). The editor logs in through the real admin login form (so the
keyring cookie exists), and each view of the queue is timed on the server side
(middleware, view, template) over ``--requests`` rounds after a warm-up, the
views interleaved. Queries and decryptions are counted in separate, untimed
requests, since counting slows a request down. The baseline size is measured
first, then the queue grows to the full size and is measured again, in the
same run. On PostgreSQL the tip tables get ``VACUUM ANALYZE`` after seeding, as
autovacuum would do after a bulk load; SQLite gets no ``ANALYZE``, as in production.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter_ns
from typing import Any
from unittest import mock

from bench._setup import (
    Summary,
    TimedClient,
    add_database_argument,
    benchmark_environment,
    check_database_argument,
    load_average,
    report_heading,
    summarise,
)

#: The issue's targets.
TARGET_MS = 150.0
TARGET_RATIO = 1.5

USERNAME = "editor"
PASSWORD = "correct horse battery staple, benchmark edition"
PAGE_ROWS = 50  # TipAdmin.list_per_page
REGIONAL_DESKS = (("Latin America", "latam"), ("Europe", "europe"), ("Africa", "africa"))
BATCH = 1_000
SPREAD = timedelta(days=90)

#: Status weights: about a third waiting (new + in review), the rest handled.
STATUS_WEIGHTS = {
    "new": 20,
    "in_review": 13,
    "accepted": 12,
    "rejected": 15,
    "spam": 20,
    "duplicate": 5,
    "archived": 15,
}

_SENTENCES = (
    "The regional water authority has been paying invoices to a company registered at "
    "the home address of the deputy director's brother-in-law.",
    "I work in accounts and have copies of eleven invoices for pipe repairs that, as far "
    "as any of the crews know, never took place.",
    "A councillor's campaign received three donations on the same day from people who "
    "all list the same flat as their address.",
    "Patients at the district hospital were sent home with prescriptions for a drug the "
    "pharmacy has not stocked since January.",
    "The tender for the new bridge was published on a Friday evening and closed the "
    "following Monday morning.",
    "Two of the bidders share a director, and the third withdrew an hour before the deadline.",
    "Inspectors signed off on the school's fire exits without visiting; the visitor log "
    "for that week is empty.",
    "The mining company's environmental report reuses whole paragraphs from a report "
    "about a different valley.",
    "Workers at the port say overtime has been unpaid since the new contractor took over.",
    "I can share the emails if someone contacts me on Signal; I do not want to be named.",
    "Nobody at the ministry has answered the parents' letters since March.",
    "There is a spreadsheet on the shared drive listing payments marked only 'consulting'.",
)
_PLACES = ("San Martín", "Villa Ñuñoa", "Porto", "Kraków", "Lagos", "Nairobi", "Quito", "Lyon")
_LINKS = "https://example.org/tenders/2026-114\nhttps://example.org/registry/company/88213"
_CONTACT = "Signal: quiet.heron.42"

VIEWS: tuple[tuple[str, str], ...] = (
    ("queue (needs action), page 1", ""),
    ("queue, page 2", "?p=2"),
    ("one desk, older than 7 days", "?desk={desk}&age=older"),
)


# --- the newsroom and its tips ----------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    desk_key_id: Any
    recovery_key_id: Any
    public_key: bytes


@dataclass(frozen=True)
class _Template:
    """A real tip from ``tip_submit``, and the recipients its content key is sealed to."""

    tip: Any
    recipients: tuple[_Recipient, ...]


@dataclass
class Newsroom:
    recovery_private_key: bytes
    editor: Any
    filter_desk_pk: int
    templates: list[_Template] = field(default_factory=list)


def _initialise_newsroom(rng: random.Random) -> Newsroom:
    """Recovery key, general desk with an editor, three regional desks, one real tip each."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from intake.models import SealedKey
    from intake.services import tip_submit
    from newsroom.services.desks import desk_create
    from newsroom.services.personal_keys import personal_key_create
    from newsroom.services.recovery import recovery_key_create

    call_command("migrate", verbosity=0)
    recovery = recovery_key_create()
    editor = get_user_model().objects.create_user(
        username=USERNAME, password=PASSWORD, is_staff=True
    )
    personal_key_create(user=editor, password=PASSWORD)  # production Argon2id: ~0.2 s
    desk_create(name="Editors", slug="general", is_general=True, members=[(editor, "editor")])
    regional = [desk_create(name=name, slug=slug) for name, slug in REGIONAL_DESKS]

    newsroom = Newsroom(
        recovery_private_key=recovery.private_key, editor=editor, filter_desk_pk=regional[0].pk
    )
    for desk in (None, *regional):
        tip = tip_submit(body=_body(rng), links=_LINKS, contact=_CONTACT, desk=desk).tip
        seals = SealedKey.objects.filter(tip=tip).select_related("desk_key", "recovery_key")
        recipients = tuple(
            _Recipient(
                desk_key_id=seal.desk_key_id,
                recovery_key_id=seal.recovery_key_id,
                public_key=_recipient_public_key(seal),
            )
            for seal in seals
        )
        newsroom.templates.append(_Template(tip=tip, recipients=recipients))
    return newsroom


def _recipient_public_key(seal: Any) -> bytes:
    holder = seal.desk_key if seal.desk_key_id else seal.recovery_key
    return bytes(holder.public_key)


def _body(rng: random.Random) -> str:
    """A tip of 2 to 14 sentences (about 250 to 1,800 characters)."""
    opening = f"About {rng.choice(_PLACES)}, case {rng.randrange(10_000, 99_999)}: "
    return opening + " ".join(rng.choices(_SENTENCES, k=rng.randint(2, 14)))


def _clone(
    template: _Template, rng: random.Random, now: datetime, editor_id: int
) -> tuple[Any, list[Any]]:
    """A new tip like ``template``, sealed as ``tip_submit`` seals (minus the receipt KDF)."""
    from intake import crypto, labels
    from intake.models import SealedKey, Tip
    from intake.services import _new_reference, received_hour

    source = template.tip
    tip_id = uuid.uuid4()
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    has_contact = rng.random() < 0.4
    received_at = received_hour(now - SPREAD * rng.random())
    claimed = status == "in_review" and rng.random() < 0.5
    content_key = crypto.new_content_key()

    def encrypt(name: labels.TipField, text: str) -> bytes:
        return crypto.encrypt_text(text, content_key, label=labels.tip_field(tip_id, name))

    tip = Tip(
        id=tip_id,
        reference=_new_reference(),
        desk_id=source.desk_id,
        received_at=received_at,
        status=status,
        has_contact=has_contact,
        duplicate_of=source if status == "duplicate" else None,
        claimed_by_id=editor_id if claimed else None,
        claimed_at=received_at + timedelta(hours=2) if claimed else None,
        has_unread_reply=has_contact and rng.random() < 0.1,
        body=encrypt("body", _body(rng)),
        links=encrypt("links", _LINKS if rng.random() < 0.5 else ""),
        contact=encrypt("contact", _CONTACT if has_contact else ""),
        receipt_lookup=os.urandom(32).hex(),
        receipt_public_key=bytes(source.receipt_public_key),
    )
    key_label = labels.tip_content_key(tip_id)
    seals = [
        SealedKey(
            tip_id=tip_id,
            desk_key_id=recipient.desk_key_id,
            recovery_key_id=recipient.recovery_key_id,
            sealed_content_key=crypto.seal(content_key, recipient.public_key, label=key_label),
        )
        for recipient in template.recipients
    ]
    return tip, seals


def _grow(newsroom: Newsroom, total: int, rng: random.Random) -> float:
    """Add clones until the database holds ``total`` tips; return the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from intake.models import SealedKey, Tip

    started = perf_counter_ns()
    now = timezone.now()
    have = Tip.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        tips, seals = [], []
        for index in range(size):
            tip, tip_seals = _clone(
                newsroom.templates[(have + index) % 4], rng, now, newsroom.editor.pk
            )
            tips.append(tip)
            seals += tip_seals
        with transaction.atomic():
            Tip.objects.bulk_create(tips)
            SealedKey.objects.bulk_create(seals)
        have += size
        if have % 10_000 < BATCH or have == total:
            print(f"  {have:,} tips", file=sys.stderr)
    _analyse()
    return (perf_counter_ns() - started) / 1e9


def _analyse() -> None:
    """Bring the planner's statistics up to date, as autovacuum would after a bulk load."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE intake_tip")
            cursor.execute("VACUUM ANALYZE intake_sealedkey")


def _check_a_clone(newsroom: Newsroom) -> None:
    """Prove the clones are sealed for real: one opens with the recovery key, under its labels."""
    from intake import crypto, labels
    from intake.models import SealedKey, Tip
    from newsroom.unsealing import tip_decrypt

    templates = {template.tip.pk for template in newsroom.templates}
    tip = Tip.objects.exclude(pk__in=templates).order_by("?").first()
    assert tip is not None
    seal = SealedKey.objects.get(tip=tip, recovery_key__isnull=False)
    key = crypto.unseal(
        bytes(seal.sealed_content_key),
        newsroom.recovery_private_key,
        label=labels.tip_content_key(tip.id),
    )
    assert tip_decrypt(tip, key).body.startswith("About ")


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewResult:
    summary: Summary
    queries: int
    unseals: int
    decryptions: int
    rows: int


@dataclass(frozen=True)
class SizeRun:
    """Everything measured at one queue size."""

    tips: int
    waiting: int
    seeding_s: float
    load: float  # one-minute load average right after the timed requests
    views: dict[str, ViewResult]


@contextlib.contextmanager
def _counting_decryptions() -> Iterator[dict[str, int]]:
    """Count HPKE opens (``unseal``) and field decryptions (``decrypt_text``)."""
    from intake import crypto

    counts = {"unseal": 0, "decrypt_text": 0}

    def counted(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        return wrapper

    with (
        mock.patch.object(crypto, "unseal", counted("unseal", crypto.unseal)),
        mock.patch.object(crypto, "decrypt_text", counted("decrypt_text", crypto.decrypt_text)),
    ):
        yield counts


def _get(client: TimedClient, url: str) -> bytes:
    response = client.client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered HTTP {response.status_code}.")
    return bytes(response.content)


def _measure(client: TimedClient, urls: dict[str, str], requests: int) -> dict[str, ViewResult]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted: dict[str, tuple[int, int, int, int]] = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries, _counting_decryptions() as counts:
            page = _get(client, url)
        rows = page.count(b'<td class="field-preview">')
        if "🔒".encode() in page:
            raise RuntimeError(
                f"{name}: some previews are locked; the editor should read them all."
            )
        counted[name] = (len(queries), counts["unseal"], counts["decrypt_text"], rows)

    samples: dict[str, list[int]] = {name: [] for name in urls}
    warmup = max(3, requests // 5)
    gc.collect()
    for index in range(warmup + requests):
        for name, url in urls.items():
            _get(client, url)
            if index >= warmup:
                samples[name].append(client.last_ns)
    return {name: ViewResult(summarise(samples[name]), *counted[name]) for name in urls}


# --- reporting ------------------------------------------------------------------------------


def _ms(ns: float) -> str:
    return f"{ns / 1e6:,.1f} ms"


def _report(runs: tuple[SizeRun, SizeRun], seconds: float, load_at_start: float) -> str:
    small_run, large_run = runs
    baseline, full = small_run.tips, large_run.tips
    lines = report_heading("Pista review-queue benchmark", load_at_start)
    lines += [
        "",
        "| view | tips (waiting) | median | p95 | min | n | queries | rows | HPKE opens | "
        "field decryptions |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, _ in VIEWS:
        for run in runs:
            r = run.views[name]
            lines.append(
                f"| {name} | {run.tips:,} ({run.waiting:,}) | {_ms(r.summary.median_ns)} "
                f"| {_ms(r.summary.p95_ns)} | {_ms(r.summary.min_ns)} | {r.summary.n} "
                f"| {r.queries} | {r.rows} | {r.unseals} | {r.decryptions} |"
            )
    lines += ["", "| check | figure | result |", "| --- | --- | --- |"]
    for name, _ in VIEWS:
        small, large = small_run.views[name], large_run.views[name]
        ratio = large.summary.median_ns / small.summary.median_ns
        checks = (
            (
                f"{name}: median at {full:,} < {TARGET_MS:.0f} ms",
                _ms(large.summary.median_ns),
                large.summary.median_ns / 1e6 < TARGET_MS,
            ),
            (
                f"{name}: p95 at {full:,} < {TARGET_MS:.0f} ms",
                _ms(large.summary.p95_ns),
                large.summary.p95_ns / 1e6 < TARGET_MS,
            ),
            (
                f"{name}: median {full:,} ÷ {baseline:,} ≤ {TARGET_RATIO}",
                f"{ratio:.2f}x",
                ratio <= TARGET_RATIO,
            ),
            (
                f"{name}: same query count",
                f"{small.queries} / {large.queries}",
                small.queries == large.queries,
            ),
            (
                f"{name}: decryptions = rows shown, at both sizes",
                f"{small.decryptions} = {small.rows}, {large.decryptions} = {large.rows}",
                all(r.decryptions == r.rows <= PAGE_ROWS for r in (small, large)),
            ),
            (
                f"{name}: HPKE opens = rows + desk keys, at both sizes",
                f"{small.unseals} = {small.rows} + {small.unseals - small.rows}, "
                f"{large.unseals} = {large.rows} + {large.unseals - large.rows}",
                small.unseals - small.rows == large.unseals - large.rows <= 1 + len(REGIONAL_DESKS),
            ),
        )
        lines += [
            f"| {title} | {figure} | {'PASS' if ok else 'FAIL'} |" for title, figure, ok in checks
        ]
    lines += [
        "",
        "Seeding (every clone sealed for real, bulk inserts): "
        + ", ".join(f"to {run.tips:,} tips in {run.seeding_s:.0f} s" for run in runs)
        + ". 1-min load average after timing: "
        + ", ".join(f"{run.load:.2f} at {run.tips:,} tips" for run in runs)
        + f". Run took {seconds:.0f} s.",
    ]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_queue",
        description="Time the review queue at a baseline size and at full size, in one run.",
    )
    parser.add_argument("--tips", type=int, default=100_000, help="full size (default 100000)")
    parser.add_argument(
        "--baseline", type=int, default=1_000, help="baseline size, measured first (default 1000)"
    )
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per view and size (default 30)"
    )
    add_database_argument(parser, name_prefix="pista_bench_queue")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests needs at least 2 samples")
    if not 2 * PAGE_ROWS <= args.baseline < args.tips:
        parser.error(f"need {2 * PAGE_ROWS} <= --baseline < --tips (page 2 must exist)")
    check_database_argument(parser, args)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    started = perf_counter_ns()
    with benchmark_environment(args.database_url, name_prefix="pista_bench_queue") as load_at_start:
        from intake import review
        from intake.models import Tip

        print("Initialising the newsroom (production Argon2id)…", file=sys.stderr)
        rng = random.Random(2026)  # noqa: S311 - test data, not a secret
        newsroom = _initialise_newsroom(rng)
        client = TimedClient()
        login = client.client.post("/admin/login/", {"username": USERNAME, "password": PASSWORD})
        if login.status_code != 302 or "pista_key" not in client.client.cookies:
            raise RuntimeError(f"The editor's login failed (HTTP {login.status_code}).")
        urls = {
            name: "/admin/intake/tip/" + query.format(desk=newsroom.filter_desk_pk)
            for name, query in VIEWS
        }
        runs = []
        for size in (args.baseline, args.tips):
            print(f"Seeding up to {size:,} tips…", file=sys.stderr)
            seeding_s = _grow(newsroom, size, rng)
            _check_a_clone(newsroom)
            print(f"Timing {args.requests} requests per view at {size:,} tips…", file=sys.stderr)
            views = _measure(client, urls, args.requests)
            runs.append(
                SizeRun(
                    tips=size,
                    waiting=Tip.objects.filter(status__in=review.WAITING).count(),
                    seeding_s=seeding_s,
                    load=load_average(),
                    views=views,
                )
            )
        seconds = (perf_counter_ns() - started) / 1e9
        print(_report((runs[0], runs[1]), seconds, load_at_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
