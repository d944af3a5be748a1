"""The management commands that set up a newsroom and manage desk keys, run as an
administrator would, failure paths included."""

from __future__ import annotations

import base64
import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from intake import crypto
from intake.models import Desk, DeskKey, RecoveryKey, SealedKey, Tip
from intake.selectors import desk_key_active
from newsroom.exceptions import KeyLocked
from newsroom.models import DeskKeyGrant, DeskMembership, PersonalKey
from newsroom.recovery_file import recovery_file_parse, recovery_file_render
from newsroom.services.personal_keys import staff_login
from newsroom.unsealing import (
    desk_private_key_from_grant,
    desk_private_key_from_recovery,
    tip_content_key,
    tip_decrypt,
)
from tests.factories import PASSWORD, Newsroom, make_staff
from tests.helpers import stored_values, unlocked_key_of

pytestmark = pytest.mark.django_db

COMMANDS = (
    "newsroom_init",
    "staff_create",
    "desk_create",
    "desk_grant",
    "desk_remove_member",
    "seed_demo",
)
STRONG_PASSWORD = "violet lantern orbit 42 quay"


def fingerprint_of(username: str) -> str:
    """The fingerprint the user would read out from their account page."""
    return PersonalKey.objects.get(user__username=username).fingerprint


def run(name: str, *args: str, **options: Any) -> str:
    """Run a command; return what it wrote to standard output."""
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def init_newsroom() -> str:
    """newsroom_init --stdout; return the recovery key file's text."""
    return run("newsroom_init", "--stdout")


def write_recovery_file(tmp_path: Path, pair: crypto.KeyPair, name: str = "recovery.key") -> str:
    path = tmp_path / name
    path.write_text(recovery_file_render(pair))
    return str(path)


def can_read(tip: Tip, user: Any) -> str:
    content_key = tip_content_key(tip=tip, user=user, personal_private_key=unlocked_key_of(user))
    return tip_decrypt(tip, content_key).body


# --- help ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command(name, "--help")

    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert f"usage: manage.py {name}" in text or f"{name} [-h]" in text
    assert len(text) > 200


# --- newsroom_init ---------------------------------------------------------------------


def test_newsroom_init_prints_a_recovery_key_matching_the_stored_public_key() -> None:
    text = init_newsroom()

    private_key = recovery_file_parse(text)

    stored = RecoveryKey.objects.get()
    assert crypto.fingerprint(bytes(stored.public_key)) in text
    blob = crypto.seal(b"probe", bytes(stored.public_key), label=b"test")
    assert crypto.unseal(blob, private_key, label=b"test") == b"probe"


def test_newsroom_init_creates_the_general_desk_sealed_to_the_recovery_key() -> None:
    private_key = recovery_file_parse(init_newsroom())

    general = Desk.objects.get(is_general=True)
    assert general.slug == "general"
    assert general.name == "Editors"
    desk_key = desk_key_active(general)
    assert desk_key.recovery_key == RecoveryKey.objects.get()
    desk_private_key = desk_private_key_from_recovery(
        desk_key=desk_key, recovery_private_key=private_key
    )
    # The recovered key is the general desk's own: it opens what is sealed to the desk.
    blob = crypto.seal(b"probe", bytes(desk_key.public_key), label=b"t")
    assert crypto.unseal(blob, desk_private_key, label=b"t") == b"probe"


def test_newsroom_init_stdout_flag_prints_the_key_to_standard_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As from the command line: no output stream handed in, so the flag must not be
    # mistaken for one (the key would be created, then lost in a crash).
    call_command("newsroom_init", "--stdout")

    private_key = recovery_file_parse(capsys.readouterr().out)
    public_key = bytes(RecoveryKey.objects.get().public_key)
    assert crypto.unseal(crypto.seal(b"x", public_key, label=b"t"), private_key, label=b"t") == b"x"


def test_newsroom_init_names_the_general_desk_as_asked() -> None:
    run("newsroom_init", "--stdout", "--general-desk-name", "Triage")
    assert Desk.objects.get(is_general=True).name == "Triage"


def test_newsroom_init_twice_fails_clearly_and_changes_nothing() -> None:
    init_newsroom()
    before = bytes(RecoveryKey.objects.get().public_key)

    with pytest.raises(CommandError, match="already has a recovery key"):
        init_newsroom()

    assert bytes(RecoveryKey.objects.get().public_key) == before
    assert Desk.objects.count() == 1


def test_newsroom_init_needs_an_output_choice() -> None:
    with pytest.raises(CommandError, match="one of the arguments --recovery-key-out --stdout"):
        run("newsroom_init")
    assert not RecoveryKey.objects.exists()


def test_newsroom_init_writes_the_key_to_a_new_file_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "recovery.key"

    out = run("newsroom_init", "--recovery-key-out", str(path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "PISTA RECOVERY KEY" not in out  # nothing secret on standard output
    private_key = recovery_file_parse(path.read_text())
    public_key = bytes(RecoveryKey.objects.get().public_key)
    assert crypto.unseal(crypto.seal(b"x", public_key, label=b"t"), private_key, label=b"t") == b"x"


def test_newsroom_init_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "recovery.key"
    path.write_text("precious")

    with pytest.raises(CommandError, match="already exists"):
        run("newsroom_init", "--recovery-key-out", str(path))

    assert path.read_text() == "precious"
    assert not RecoveryKey.objects.exists()


def test_newsroom_init_into_a_missing_folder_fails_before_creating_the_key(
    tmp_path: Path,
) -> None:
    # If the key were stored first, the private half would be lost and the newsroom
    # could never be initialised again.
    path = tmp_path / "no-such-folder" / "recovery.key"

    with pytest.raises(CommandError, match="no-such-folder"):
        run("newsroom_init", "--recovery-key-out", str(path))

    assert not RecoveryKey.objects.exists()
    assert not Desk.objects.exists()


def test_the_recovery_private_key_is_not_stored_in_the_database() -> None:
    private_key = recovery_file_parse(init_newsroom())
    encoded = base64.b64encode(private_key)

    values = stored_values()

    assert values
    assert not [v for v in values if private_key in v or encoded in v]
    assert not [v for v in values if private_key.hex().encode() in v]


# --- staff_create ----------------------------------------------------------------------


def staff_create(username: str, password: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run("staff_create", username, "--password-stdin")


def test_staff_create_makes_a_staff_user_with_a_personal_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = staff_create("ana", STRONG_PASSWORD, monkeypatch)

    user = get_user_model().objects.get(username="ana")
    assert user.is_staff
    assert not user.is_superuser
    assert user.check_password(STRONG_PASSWORD)
    keyring = PersonalKey.objects.get(user=user)
    private_key = staff_login(user=user, password=STRONG_PASSWORD)
    assert private_key is not None
    assert PersonalKey.objects.get(user=user).public_key == keyring.public_key  # not replaced
    blob = crypto.seal(b"x", bytes(keyring.public_key), label=b"t")
    assert crypto.unseal(blob, private_key, label=b"t") == b"x"
    assert "ana" in out
    assert STRONG_PASSWORD not in out


def test_staff_create_accepts_stdin_passed_to_call_command() -> None:
    # Django's own createsuperuser takes ``stdin=`` this way (a stealth option).
    run("staff_create", "ana", "--password-stdin", stdin=io.StringIO(STRONG_PASSWORD + "\n"))
    assert PersonalKey.objects.filter(user__username="ana").exists()


def test_staff_create_can_make_a_superuser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(STRONG_PASSWORD + "\n"))
    run("staff_create", "root", "--password-stdin", "--superuser", "--email", "r@example.org")
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser
    assert user.email == "r@example.org"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "too short"),
        ("123456789012345", "entirely numeric"),
        ("password1234", "too common"),
        ("", "too short"),
    ],
)
def test_staff_create_refuses_a_weak_password(
    monkeypatch: pytest.MonkeyPatch, password: str, reason: str
) -> None:
    with pytest.raises(CommandError, match=reason):
        staff_create("ana", password, monkeypatch)

    assert not get_user_model().objects.filter(username="ana").exists()
    assert not PersonalKey.objects.exists()


def test_staff_create_refuses_a_password_like_the_username(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(CommandError, match="too similar"):
        staff_create("marguerite.duras", "marguerite.duras1", monkeypatch)


def test_staff_create_refuses_a_duplicate_username(monkeypatch: pytest.MonkeyPatch) -> None:
    staff_create("ana", STRONG_PASSWORD, monkeypatch)
    keyring_before = bytes(PersonalKey.objects.get().public_key)

    with pytest.raises(CommandError, match="A user named ana already exists"):
        staff_create("ana", "another strong passphrase 9", monkeypatch)

    assert get_user_model().objects.filter(username="ana").count() == 1
    assert bytes(PersonalKey.objects.get().public_key) == keyring_before


# --- desk_create -----------------------------------------------------------------------


def test_desk_create_makes_a_desk_with_its_key_and_grants_to_each_member(db: None) -> None:
    init_newsroom()
    ana, luis = make_staff("ana"), make_staff("luis")

    out = run(
        "desk_create",
        "Latin America",
        "--coordinator",
        "ana",
        "--journalist",
        "luis",
        "--description",
        "Spanish, Portuguese",
    )

    desk = Desk.objects.get(slug="latin-america")
    assert not desk.is_general
    assert desk.description == "Spanish, Portuguese"
    assert "2 member(s)" in out
    roles = dict(DeskMembership.objects.filter(desk=desk).values_list("user__username", "role"))
    assert roles == {"ana": "coordinator", "luis": "journalist"}
    desk_key = DeskKey.objects.get(desk=desk)
    for user in (ana, luis):
        desk_private_key = desk_private_key_from_grant(
            desk_key=desk_key, user=user, personal_private_key=unlocked_key_of(user)
        )
        blob = crypto.seal(b"x", bytes(desk_key.public_key), label=b"t")
        assert crypto.unseal(blob, desk_private_key, label=b"t") == b"x"


def test_desk_create_with_an_unknown_user_fails_and_creates_nothing(db: None) -> None:
    init_newsroom()
    make_staff("ana")

    with pytest.raises(CommandError, match="There is no user named nobody"):
        run("desk_create", "Europe", "--coordinator", "ana", "--journalist", "nobody")

    assert not Desk.objects.filter(slug="europe").exists()


def test_desk_create_before_initialisation_says_to_run_newsroom_init(db: None) -> None:
    with pytest.raises(CommandError, match="newsroom_init"):
        run("desk_create", "Europe")
    assert not Desk.objects.exists()


def test_desk_create_for_a_member_without_a_personal_key_fails_and_creates_nothing(
    db: None,
) -> None:
    init_newsroom()
    get_user_model().objects.create_user(username="keyless", password=PASSWORD, is_staff=True)

    with pytest.raises(CommandError, match="keyless has no personal key"):
        run("desk_create", "Europe", "--journalist", "keyless")

    assert not Desk.objects.filter(slug="europe").exists()


def test_desk_create_refuses_a_second_general_desk(db: None) -> None:
    init_newsroom()
    with pytest.raises(CommandError, match="general desk"):
        run("desk_create", "Other editors", "--general")
    assert Desk.objects.filter(is_general=True).count() == 1


@pytest.mark.parametrize("args", [("Editors", "--slug", "other"), ("Other", "--slug", "general")])
def test_desk_create_refuses_a_taken_name_or_slug(db: None, args: tuple[str, ...]) -> None:
    init_newsroom()
    with pytest.raises(CommandError, match="already"):
        run("desk_create", *args)
    assert Desk.objects.count() == 1


def test_desk_create_asks_for_a_slug_when_the_name_gives_none(db: None) -> None:
    init_newsroom()
    with pytest.raises(CommandError, match="--slug"):
        run("desk_create", "???")
    assert run("desk_create", "???", "--slug", "mystery") == "Created desk ??? with 0 member(s).\n"
    assert Desk.objects.filter(slug="mystery", name="???").exists()


# --- desk_grant ------------------------------------------------------------------------


def test_desk_grant_with_the_recovery_key_gives_a_new_member_the_desk_key(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    tip = newsroom.submit("Old tip for the Latin America desk", desk=newsroom.latam).tip
    newcomer = make_staff("newcomer")
    key_file = write_recovery_file(tmp_path, newsroom.recovery)

    out = run(
        "desk_grant",
        "latam",
        "newcomer",
        "--role",
        "coordinator",
        "--recovery-key",
        key_file,
        "--fingerprint",
        fingerprint_of("newcomer"),
    )

    assert "newcomer now holds the Latin America desk key" in out
    membership = DeskMembership.objects.get(desk=newsroom.latam, user=newcomer)
    assert membership.role == "coordinator"
    desk_private_key_from_grant(
        desk_key=desk_key_active(newsroom.latam),
        user=newcomer,
        personal_private_key=unlocked_key_of(newcomer),
    )
    assert can_read(tip, newcomer) == "Old tip for the Latin America desk"


def test_desk_grant_restores_access_for_an_existing_member(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    journalist = newsroom.users["latam_journalist"]
    DeskKeyGrant.objects.filter(user=journalist).delete()  # as after a password reset
    tip = newsroom.submit("Regional tip", desk=newsroom.latam).tip
    with pytest.raises(KeyLocked):
        can_read(tip, journalist)

    run(
        "desk_grant",
        "latam",
        "latam_journalist",
        "--recovery-key",
        write_recovery_file(tmp_path, newsroom.recovery),
        "--fingerprint",
        fingerprint_of("latam_journalist"),
    )

    assert can_read(tip, journalist) == "Regional tip"
    assert DeskMembership.objects.get(desk=newsroom.latam, user=journalist).role == "journalist"


def test_desk_grant_reads_the_recovery_key_from_standard_input(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff("newcomer")
    monkeypatch.setattr(sys, "stdin", io.StringIO(recovery_file_render(newsroom.recovery)))

    run(
        "desk_grant",
        "europe",
        "newcomer",
        "--recovery-key",
        "-",
        "--fingerprint",
        fingerprint_of("newcomer"),
    )

    assert DeskKeyGrant.objects.filter(user__username="newcomer").count() == 1


def test_desk_grant_with_another_newsrooms_recovery_key_fails_naming_the_recovery_key(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    newcomer = make_staff("newcomer")
    wrong = write_recovery_file(tmp_path, crypto.generate_keypair())

    with pytest.raises(CommandError, match="recovery key given does not open"):
        run(
            "desk_grant",
            "latam",
            "newcomer",
            "--recovery-key",
            wrong,
            "--fingerprint",
            fingerprint_of("newcomer"),
        )

    assert not DeskKeyGrant.objects.filter(user=newcomer).exists()
    assert not DeskMembership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("PISTA RECOVERY KEY v1", "SOME OTHER KEY"), "not a Pista"),
        (lambda text: text[:-20] + "\n", "damaged"),
        (lambda text: text.rstrip()[:-4] + "!!!!\n", "not valid base64"),
        (lambda text: "", "not a Pista"),
        (lambda text: text + "é\n", "ascii"),
    ],
)
def test_desk_grant_with_a_damaged_recovery_file_fails_clearly(
    newsroom: Newsroom, tmp_path: Path, damage: Any, message: str
) -> None:
    make_staff("newcomer")
    path = tmp_path / "damaged.key"
    path.write_text(damage(recovery_file_render(newsroom.recovery)), encoding="utf-8")

    with pytest.raises(CommandError, match=message) as error:
        run(
            "desk_grant",
            "latam",
            "newcomer",
            "--recovery-key",
            str(path),
            "--fingerprint",
            fingerprint_of("newcomer"),
        )

    assert str(error.value).startswith("Cannot read the recovery key")
    assert not DeskKeyGrant.objects.filter(user__username="newcomer").exists()


def test_desk_grant_with_a_missing_recovery_file_fails_clearly(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    make_staff("newcomer")
    with pytest.raises(CommandError, match="Cannot read the recovery key"):
        run(
            "desk_grant",
            "latam",
            "newcomer",
            "--recovery-key",
            str(tmp_path / "nope.key"),
            "--fingerprint",
            fingerprint_of("newcomer"),
        )


def test_desk_grant_without_a_compared_fingerprint_shows_it_and_grants_nothing(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    newcomer = make_staff("newcomer")
    key_file = write_recovery_file(tmp_path, newsroom.recovery)

    with pytest.raises(CommandError, match="Compare it with them") as shown:
        run("desk_grant", "latam", "newcomer", "--recovery-key", key_file)
    assert fingerprint_of("newcomer") in str(shown.value)
    wrong = "00000" if not fingerprint_of("newcomer").endswith("00000") else "11111"
    with pytest.raises(CommandError, match="do not match newcomer's key fingerprint"):
        run("desk_grant", "latam", "newcomer", "--recovery-key", key_file, "--fingerprint", wrong)
    assert not DeskKeyGrant.objects.filter(user=newcomer).exists()
    assert not DeskMembership.objects.filter(user=newcomer).exists()


def test_desk_grant_to_an_unknown_user_or_desk_fails_clearly(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    key_file = write_recovery_file(tmp_path, newsroom.recovery)
    with pytest.raises(CommandError, match="There is no user named ghost"):
        run("desk_grant", "latam", "ghost", "--recovery-key", key_file)
    with pytest.raises(CommandError, match="There is no desk with the slug atlantis"):
        run("desk_grant", "atlantis", "editor", "--recovery-key", key_file)


def test_desk_grant_to_a_user_without_a_personal_key_leaves_no_membership(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    get_user_model().objects.create_user(username="keyless", password=PASSWORD, is_staff=True)

    with pytest.raises(CommandError, match="keyless has no personal key"):
        run(
            "desk_grant",
            "latam",
            "keyless",
            "--recovery-key",
            write_recovery_file(tmp_path, newsroom.recovery),
        )

    assert not DeskMembership.objects.filter(user__username="keyless").exists()


# --- desk_remove_member ----------------------------------------------------------------


def test_desk_remove_member_rotates_the_key_and_reseals_old_tips(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    coordinator = newsroom.users["latam_coord"]
    journalist = newsroom.users["latam_journalist"]
    old_tips = [newsroom.submit(f"Old tip {n}", desk=newsroom.latam).tip for n in range(3)]
    old_key = desk_key_active(newsroom.latam)
    old_grant = DeskKeyGrant.objects.get(desk_key=old_key, user=journalist)

    out = run(
        "desk_remove_member",
        "latam",
        "latam_journalist",
        "--recovery-key",
        write_recovery_file(tmp_path, newsroom.recovery),
    )

    assert "re-sealed 3 tip(s)" in out
    new_key = desk_key_active(newsroom.latam)
    assert new_key.pk != old_key.pk
    assert not DeskKey.objects.filter(pk=old_key.pk).exists()
    assert not DeskKeyGrant.objects.filter(pk=old_grant.pk).exists()
    assert not DeskKeyGrant.objects.filter(user=journalist, desk_key__desk=newsroom.latam).exists()
    assert not DeskMembership.objects.filter(desk=newsroom.latam, user=journalist).exists()
    assert set(
        SealedKey.objects.filter(tip__in=old_tips, desk_key__desk=newsroom.latam).values_list(
            "desk_key", flat=True
        )
    ) == {new_key.pk}
    for n, tip in enumerate(old_tips):
        assert can_read(tip, coordinator) == f"Old tip {n}"
        with pytest.raises(KeyLocked):
            can_read(tip, journalist)


def test_desk_remove_member_without_the_recovery_key_rotates_and_leaves_old_tips_readable(
    newsroom: Newsroom,
) -> None:
    coordinator = newsroom.users["latam_coord"]
    tip = newsroom.submit("Old tip", desk=newsroom.latam).tip
    old_key = desk_key_active(newsroom.latam)

    out = run("desk_remove_member", "latam", "latam_journalist")

    assert "run again with --recovery-key" in out
    assert DeskKey.objects.get(pk=old_key.pk).retired_at is not None
    assert desk_key_active(newsroom.latam).pk != old_key.pk
    assert can_read(tip, coordinator) == "Old tip"
    with pytest.raises(KeyLocked):
        can_read(tip, newsroom.users["latam_journalist"])


def test_desk_remove_member_can_be_run_again_with_the_recovery_key_to_reseal(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    tip = newsroom.submit("Old tip", desk=newsroom.latam).tip
    run("desk_remove_member", "latam", "latam_journalist")
    rotated = desk_key_active(newsroom.latam)

    out = run(
        "desk_remove_member",
        "latam",
        "latam_journalist",
        "--recovery-key",
        write_recovery_file(tmp_path, newsroom.recovery),
    )

    assert "re-sealed 1 tip(s)" in out
    assert desk_key_active(newsroom.latam).pk == rotated.pk  # not rotated a second time
    assert not DeskKey.objects.filter(desk=newsroom.latam, retired_at__isnull=False).exists()
    assert can_read(tip, newsroom.users["latam_coord"]) == "Old tip"


def test_desk_remove_member_with_a_wrong_recovery_key_changes_nothing(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    # The key is checked before anything is removed, so a failed run can simply be retried.
    journalist = newsroom.users["latam_journalist"]
    old_key = desk_key_active(newsroom.latam)
    wrong = write_recovery_file(tmp_path, crypto.generate_keypair())

    with pytest.raises(CommandError, match="recovery key"):
        run("desk_remove_member", "latam", "latam_journalist", "--recovery-key", wrong)

    assert DeskMembership.objects.filter(desk=newsroom.latam, user=journalist).exists()
    assert desk_key_active(newsroom.latam).pk == old_key.pk


def test_desk_remove_member_with_a_damaged_recovery_file_changes_nothing(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    path = tmp_path / "damaged.key"
    path.write_text("PISTA RECOVERY KEY v1\nAAAA\n")
    old_key = desk_key_active(newsroom.latam)

    with pytest.raises(CommandError, match="Cannot read the recovery key"):
        run("desk_remove_member", "latam", "latam_journalist", "--recovery-key", str(path))

    assert desk_key_active(newsroom.latam).pk == old_key.pk
    assert DeskMembership.objects.filter(user=newsroom.users["latam_journalist"]).exists()


def test_desk_remove_member_with_unknown_names_fails_clearly(newsroom: Newsroom) -> None:
    with pytest.raises(CommandError, match="Unknown desk slug or username"):
        run("desk_remove_member", "latam", "ghost")
    with pytest.raises(CommandError, match="Unknown desk slug or username"):
        run("desk_remove_member", "atlantis", "latam_journalist")


def test_desk_remove_member_of_someone_not_on_the_desk_fails_and_keeps_the_key(
    newsroom: Newsroom,
) -> None:
    old_key = desk_key_active(newsroom.latam)

    with pytest.raises(CommandError, match="not a member"):
        run("desk_remove_member", "latam", "europe_journalist")

    assert desk_key_active(newsroom.latam).pk == old_key.pk


# --- seed_demo -------------------------------------------------------------------------


def test_seed_demo_refuses_to_run_with_debug_off(db: None, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        run("seed_demo")
    assert not RecoveryKey.objects.exists()
    assert not get_user_model().objects.exists()


def test_seed_demo_seeds_once_and_keeps_data_when_run_again(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path / "data"

    first = run("seed_demo")
    counts = {
        model: model.objects.count()
        for model in (Desk, DeskKey, DeskKeyGrant, PersonalKey, Tip, RecoveryKey, get_user_model())
    }
    key_file = settings.DATA_DIR / "demo-recovery.key"
    key_text = key_file.read_text()

    second = run("seed_demo")

    assert "Seeded demo data" in first
    assert "already present" in second
    assert "editor" in second
    assert counts == {
        model: model.objects.count()
        for model in (Desk, DeskKey, DeskKeyGrant, PersonalKey, Tip, RecoveryKey, get_user_model())
    }
    assert counts[Desk] == 4
    assert counts[Tip] == 3
    assert key_file.read_text() == key_text
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    private_key = recovery_file_parse(key_text)
    public_key = bytes(RecoveryKey.objects.get().public_key)
    assert crypto.unseal(crypto.seal(b"x", public_key, label=b"t"), private_key, label=b"t") == b"x"


def test_seed_demo_quiet_logins_prints_no_password(db: None, settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    out = run("seed_demo", "--quiet-logins")
    assert "password" not in out
