from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from newsroom.exceptions import NewsroomError
from newsroom.recovery_file import recovery_file_render
from newsroom.services import desk_create, recovery_key_create


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
        target.add_argument(
            "--stdout", action="store_true", help="Print the recovery private key instead."
        )
        parser.add_argument(
            "--general-desk-name", default="Editors", help="Name of the general triage desk."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["recovery_key_out"]
        if out and Path(out).exists():
            raise CommandError(f"{out} already exists; choose a new file name.")
        try:
            pair = recovery_key_create()
            desk_create(name=options["general_desk_name"], slug="general", is_general=True)
        except NewsroomError as exc:
            raise CommandError(str(exc)) from exc
        text = recovery_file_render(pair)
        if out:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            self.stderr.write(f"Recovery key written to {out}. Move it offline now.")
        else:
            self.stdout.write(text, ending="")
