"""Desk-key rotation on demand (``desk_key_rotate_now``, the desk page's button and
``manage.py desk_rotate_key``): re-sealing in bounded batches that survive an interruption,
progress shown, every tip and message still opening with the new key, audited."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from intake import crypto
from intake.models import DeskKey, MessageKey, SealedKey, Tip
from intake.selectors import desk_key_active
from newsroom.exceptions import NotAllowed
from newsroom.models import AuditEvent
from newsroom.recovery_file import recovery_file_render
from newsroom.selectors.desks import desk_retired_keys
from newsroom.services.desk_keys import desk_key_rotate_now
from newsroom.services.tips import tip_open
from tests.factories import Newsroom, logged_in_client
from tests.helpers import conversation_as, message_to_reader, messages_text, unlocked_key_of

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
TIPS = 7


@pytest.fixture
def tips(newsroom: Newsroom) -> list[Tip]:
    made = [newsroom.submit(f"Latin America tip {n}", desk=newsroom.latam).tip for n in range(TIPS)]
    message_to_reader(newsroom, made[0], "A question for the reader")
    return made


@pytest.fixture
def recovery_file(newsroom: Newsroom, tmp_path: Path) -> str:
    path = tmp_path / "recovery.key"
    path.write_text(recovery_file_render(newsroom.recovery))
    return str(path)


def _opens_with_the_new_key(newsroom: Newsroom, tips: list[Tip], new_key: DeskKey) -> None:
    """Every tip and message of the desk is sealed to ``new_key`` only, and opens with it."""
    journalist = newsroom.users["latam_journalist"]
    for n, tip in enumerate(tips):
        assert set(
            SealedKey.objects.filter(tip=tip, desk_key__desk=newsroom.latam).values_list(
                "desk_key", flat=True
            )
        ) == {new_key.pk}
        content = tip_open(
            tip=tip, user=journalist, personal_private_key=unlocked_key_of(journalist)
        )
        assert content.body == f"Latin America tip {n}"
    assert not MessageKey.objects.filter(
        desk_key__desk=newsroom.latam, desk_key__retired_at__isnull=False
    ).exists()
    assert conversation_as(newsroom, tips[0], "latam_journalist") == ["A question for the reader"]
    assert not DeskKey.objects.filter(desk=newsroom.latam, retired_at__isnull=False).exists()


def test_a_coordinator_rotates_and_nobody_loses_access(newsroom: Newsroom, tips: list[Tip]) -> None:
    old = desk_key_active(newsroom.latam)
    new = desk_key_rotate_now(desk=newsroom.latam, actor=newsroom.users["latam_coord"])
    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.retired_at is not None, "the old key stays, retired, until its seals moved"
    assert desk_retired_keys(newsroom.latam).tips == TIPS
    assert desk_retired_keys(newsroom.latam).messages == 1
    journalist = newsroom.users["latam_journalist"]
    # Old tips still open (through the retired key's grant), new ones seal to the new key.
    assert tip_open(
        tip=tips[0], user=journalist, personal_private_key=unlocked_key_of(journalist)
    ).body
    fresh = newsroom.submit("After the rotation", desk=newsroom.latam).tip
    assert SealedKey.objects.filter(tip=fresh, desk_key=new).exists()
    event = AuditEvent.objects.filter(action=Action.DESK_KEY_ROTATED).latest("id")
    assert event.actor == newsroom.users["latam_coord"]
    assert "rotated on demand" in event.detail


def test_a_journalist_may_not_rotate(newsroom: Newsroom) -> None:
    with pytest.raises(NotAllowed, match="coordinators and editors"):
        desk_key_rotate_now(desk=newsroom.latam, actor=newsroom.users["latam_journalist"])
    assert DeskKey.objects.filter(desk=newsroom.latam).count() == 1


def test_the_command_rotates_and_reseals_everything_in_batches(
    newsroom: Newsroom, tips: list[Tip], recovery_file: str
) -> None:
    out = StringIO()
    call_command(
        "desk_rotate_key", "latam", "--recovery-key", recovery_file, "--batch", "3", stdout=out
    )
    printed = out.getvalue()
    assert "Rotated the key of Latin America" in printed
    assert "Re-sealed 3; 4 tip(s) and 1 message(s) left." in printed
    assert "Re-sealed 6; 1 tip(s) and 1 message(s) left." in printed
    assert "Re-sealed 8; 0 tip(s) and 0 message(s) left." in printed
    assert "Done" in printed
    _opens_with_the_new_key(newsroom, tips, desk_key_active(newsroom.latam))
    batches = AuditEvent.objects.filter(action=Action.TIPS_RESEALED, desk=newsroom.latam)
    assert batches.count() == 3


def test_a_rotation_interrupted_halfway_resumes_and_loses_nothing(
    newsroom: Newsroom, tips: list[Tip], recovery_file: str, monkeypatch
) -> None:
    real_seal = crypto.seal
    seals = {"n": 0}

    def crashing_seal(*args: object, **kwargs: object) -> bytes:
        if bytes(kwargs["label"]).startswith(b"tip-content-key"):  # type: ignore[arg-type]
            seals["n"] += 1
            if seals["n"] == 5:  # the second batch of three dies on its second seal
                raise RuntimeError("the server was killed")
        return real_seal(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crypto, "seal", crashing_seal)
    with pytest.raises(RuntimeError, match="killed"):
        call_command(
            "desk_rotate_key",
            "latam",
            "--recovery-key",
            recovery_file,
            "--batch",
            "3",
            stdout=StringIO(),
        )
    monkeypatch.setattr(crypto, "seal", real_seal)

    # The first batch stayed; the broken one rolled back whole; the retired key is still there.
    left = desk_retired_keys(newsroom.latam)
    assert (left.keys, left.tips, left.messages) == (1, TIPS - 3, 1)
    new_key = desk_key_active(newsroom.latam)
    journalist = newsroom.users["latam_journalist"]
    for tip in tips:  # readable all along, through one key or the other
        assert tip_open(
            tip=tip, user=journalist, personal_private_key=unlocked_key_of(journalist)
        ).body

    out = StringIO()
    call_command(
        "desk_rotate_key", "latam", "--recovery-key", recovery_file, "--batch", "3", stdout=out
    )
    assert (
        "Resuming an unfinished re-seal of Latin America: 4 tip(s) and 1 message(s)"
        in out.getvalue()
    )
    assert desk_key_active(newsroom.latam).pk == new_key.pk, "no second rotation"
    _opens_with_the_new_key(newsroom, tips, new_key)


def test_without_the_recovery_key_the_command_only_rotates(
    newsroom: Newsroom, tips: list[Tip]
) -> None:
    out = StringIO()
    call_command("desk_rotate_key", "latam", stdout=out)
    assert "run again with --recovery-key" in out.getvalue()
    assert desk_retired_keys(newsroom.latam).tips == TIPS


def test_the_command_refuses_a_wrong_recovery_key_before_changing_anything(
    newsroom: Newsroom, tips: list[Tip], tmp_path: Path
) -> None:
    call_command("desk_rotate_key", "latam", stdout=StringIO())
    wrong = tmp_path / "wrong.key"
    wrong.write_text(recovery_file_render(crypto.generate_keypair()))
    with pytest.raises(CommandError):
        call_command("desk_rotate_key", "latam", "--recovery-key", str(wrong), stdout=StringIO())
    assert desk_retired_keys(newsroom.latam).tips == TIPS


def test_the_command_names_an_unknown_desk(db: None) -> None:
    with pytest.raises(CommandError, match="no desk with the slug nowhere"):
        call_command("desk_rotate_key", "nowhere", stdout=StringIO())


# --- the desk page ---------------------------------------------------------------------

DESK_PAGE = "/admin/intake/desk/{}/change/"


def test_the_desk_page_rotates_after_a_confirmation_and_shows_progress(
    newsroom: Newsroom, tips: list[Tip]
) -> None:
    coordinator = logged_in_client("latam_coord")
    desk = newsroom.latam
    page = coordinator.get(DESK_PAGE.format(desk.pk)).content.decode()
    assert f"/admin/intake/desk/{desk.pk}/rotate/" in page
    confirm = coordinator.get(f"/admin/intake/desk/{desk.pk}/rotate/")
    assert confirm.status_code == 200
    assert "Nobody loses access" in confirm.content.decode()
    assert DeskKey.objects.filter(desk=desk).count() == 1, "a look at the page changes nothing"

    done = coordinator.post(f"/admin/intake/desk/{desk.pk}/rotate/", follow=True)
    assert "was rotated" in messages_text(done)
    html = done.content.decode()
    assert f"{TIPS} tips are still sealed to a retired desk key" in html
    assert "So is 1 conversation message." in html
    assert "Continue re-sealing" in html

    resealed = coordinator.post(f"/admin/intake/desk/{desk.pk}/reseal/", follow=True)
    assert f"Re-sealed {TIPS + 1} tip(s) and message(s)" in messages_text(resealed)
    assert "Continue re-sealing" not in resealed.content.decode()
    _opens_with_the_new_key(newsroom, tips, desk_key_active(desk))


def test_a_journalist_sees_no_rotate_button_and_may_not_post(newsroom: Newsroom) -> None:
    journalist = logged_in_client("latam_journalist")
    desk = newsroom.latam
    assert "/rotate/" not in journalist.get(DESK_PAGE.format(desk.pk)).content.decode()
    assert journalist.post(f"/admin/intake/desk/{desk.pk}/rotate/").status_code == 403
    assert DeskKey.objects.filter(desk=desk).count() == 1
