from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from intake.exceptions import PistaError
from newsroom.recovery_file import recovery_file_render
from newsroom.services.desks import desk_create
from newsroom.services.recovery import recovery_key_create


class Command(BaseCommand):
    help = (
        "Initialise the newsroom: create the recovery key (its private half is written to a "
        "file or standard output for offline keeping, never to the database) and the general "
        "triage desk."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--recovery-key-out",
            metavar="FILE",
            help="Write the recovery private key to this new file (mode 0600); it must not exist.",
        )
        # Neither the dest nor call_command's name for the option (taken from the
        # alphabetically first option string) may be "stdout": that is BaseCommand's
        # output stream, and a clash would send the only copy of the key nowhere.
        target.add_argument(
            "--stdout",
            "--print-key",
            dest="print_key",
            action="store_true",
            help="Print the recovery private key instead.",
        )
        parser.add_argument(
            "--general-desk-name", default="Editors", help="Name of the general triage desk."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["recovery_key_out"]
        if out and Path(out).exists():
            raise CommandError(f"{out} already exists; choose a new file name.")
        try:
            # The private half is handed out inside the transaction: if it cannot be
            # written, nothing is stored, so no recovery key exists whose private half
            # was lost (which would leave the newsroom impossible to initialise again).
            with transaction.atomic():
                pair = recovery_key_create()
                desk_create(name=options["general_desk_name"], slug="general", is_general=True)
                text = recovery_file_render(pair)
                if out:
                    _write_new_file(Path(out), text)
                else:
                    self.stdout.write(text, ending="")
        except PistaError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot write the recovery key to {out or 'standard output'}: {exc}. "
                "Nothing was created."
            ) from exc
        if out:
            self.stderr.write(f"Recovery key written to {out}. Move it offline now.")


def _write_new_file(path: Path, text: str) -> None:
    """Write ``text`` to a new file only its owner can read; leave no partial file behind."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
