"""The public keys a submission seals to are read once per process and again only after a
key changed, in this process or any other."""

from __future__ import annotations

import uuid
from typing import Any

from intake.models import KeyGeneration, SealedKey
from intake.selectors import desk_key_active, sealing_keys
from newsroom.services.desk_keys import desk_key_rotate
from newsroom.services.desks import desk_create
from tests.factories import Newsroom


def _sealed_to(tip: Any) -> set[object]:
    return set(
        SealedKey.objects.filter(tip=tip, desk_key__isnull=False).values_list(
            "desk_key_id", flat=True
        )
    )


def test_a_warm_copy_costs_one_small_query_and_no_key_lookups(
    newsroom: Newsroom, django_assert_num_queries: Any
) -> None:
    newsroom.submit("Warms the copy", desk=newsroom.latam)
    with django_assert_num_queries(1):
        keys = sealing_keys()
    assert keys.recovery.public_key
    assert {k.desk_id for k in keys.for_tip(newsroom.latam)} == {
        newsroom.general.pk,
        newsroom.latam.pk,
    }
    assert {k.desk_id for k in keys.for_tip(None)} == {newsroom.general.pk}


def test_a_submission_with_a_warm_copy_reads_no_key_tables(newsroom: Newsroom) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    newsroom.submit("Warms the copy", desk=newsroom.latam)
    with CaptureQueriesContext(connection) as queries:
        newsroom.submit("Second tip", desk=newsroom.latam)
    tables = " ".join(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    assert "intake_deskkey" not in tables
    assert "intake_recoverykey" not in tables
    assert "intake_keygeneration" in tables


def test_a_rotation_in_this_process_is_sealed_to_at_once(newsroom: Newsroom) -> None:
    newsroom.submit("Before", desk=newsroom.latam)
    old = desk_key_active(newsroom.latam)
    new = desk_key_rotate(desk=newsroom.latam, actor=None)
    tip = newsroom.submit("After", desk=newsroom.latam).tip
    assert new.pk in _sealed_to(tip)
    assert old.pk not in _sealed_to(tip), "never to the retired key"


def test_a_change_made_by_another_process_is_seen_at_the_next_submission(
    newsroom: Newsroom,
) -> None:
    newsroom.submit("Warms the copy", desk=newsroom.europe)
    old = desk_key_active(newsroom.europe)
    # Another worker rotates: the key rows change and the token with them, but this
    # process's copy still holds the old key. Simulated by rotating, then putting back the
    # copy this process had before, as a separate process would still have it.
    import intake.selectors as selectors

    stale = selectors._sealing_keys
    desk_key_rotate(desk=newsroom.europe, actor=None)
    selectors._sealing_keys = stale
    assert stale is not None
    assert stale.token != KeyGeneration.objects.get().token

    tip = newsroom.submit("After the other worker's rotation", desk=newsroom.europe).tip
    assert desk_key_active(newsroom.europe).pk in _sealed_to(tip)
    assert old.pk not in _sealed_to(tip)


def test_a_new_desk_is_sealed_to_without_a_restart(newsroom: Newsroom) -> None:
    newsroom.submit("Warms the copy")
    maghreb = desk_create(name="Maghreb", slug="maghreb")
    tip = newsroom.submit("For the new desk", desk=maghreb).tip
    assert desk_key_active(maghreb).pk in _sealed_to(tip)


def test_a_copy_from_another_database_never_matches(newsroom: Newsroom) -> None:
    newsroom.submit("Warms the copy")
    import intake.selectors as selectors

    assert selectors._sealing_keys is not None
    # A restored backup or a rolled-back test brings back some token; never this copy's.
    KeyGeneration.objects.update(token=uuid.uuid4())
    assert sealing_keys().token == KeyGeneration.objects.get().token
