from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from intake.exceptions import PistaError
from intake.models import Desk, DeskKey
from newsroom.selectors.desks import desk_retired_keys
from newsroom.services.desk_keys import RESEAL_BATCH_SIZE, desk_key_rotate, desk_reseal_batch
from newsroom.unsealing import desk_private_key_from_recovery

from ._recovery import read_recovery_key


class Command(BaseCommand):
    help = (
        "Rotate a desk's key now: tips from now on are sealed to a new key, granted to the "
        "members who held the old one. With --recovery-key, every older tip and message is "
        "then re-sealed to the new key in batches, without any member; the retired key is "
        "deleted once nothing is sealed to it. Run again after an interruption: an unfinished "
        "re-seal is resumed (no second rotation)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("desk", help="The desk's slug.")
        parser.add_argument(
            "--recovery-key",
            metavar="FILE",
            help="Recovery key file (or -): re-seal older tips and messages to the new key now.",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=RESEAL_BATCH_SIZE,
            metavar="N",
            help=f"Seals moved per transaction (default {RESEAL_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        desk = Desk.objects.filter(slug=options["desk"]).first()
        if desk is None:
            raise CommandError(f"There is no desk with the slug {options['desk']}.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        recovery_private_key = (
            read_recovery_key(options["recovery_key"]) if options["recovery_key"] else None
        )
        try:
            retired = list(DeskKey.objects.filter(desk=desk, retired_at__isnull=False))
            if recovery_private_key is not None:
                # Check the key on every retired key before changing anything.
                for old_key in retired:
                    desk_private_key_from_recovery(
                        desk_key=old_key, recovery_private_key=recovery_private_key
                    )
            if retired:
                left = desk_retired_keys(desk)
                self.stdout.write(
                    f"Resuming an unfinished re-seal of {desk}: {left.tips} tip(s) and "
                    f"{left.messages} message(s) are still on {left.keys} retired key(s)."
                )
            else:
                new_key = desk_key_rotate(desk=desk, actor=None, why="rotated by a command")
                self.stdout.write(f"Rotated the key of {desk}: new key {new_key.fingerprint}.")
            if recovery_private_key is None:
                self.stdout.write(
                    "Older tips stay on the retired key until re-sealed: run again with "
                    "--recovery-key, or a member who held it can re-seal from the desk page."
                )
                return
            self._reseal(desk, recovery_private_key, options["batch"])
        except PistaError as exc:
            raise CommandError(str(exc)) from exc

    def _reseal(self, desk: Desk, recovery_private_key: bytes, batch: int) -> None:
        moved = 0
        for old_key in DeskKey.objects.filter(desk=desk, retired_at__isnull=False).order_by(
            "retired_at"
        ):
            old_private = desk_private_key_from_recovery(
                desk_key=old_key, recovery_private_key=recovery_private_key
            )
            while True:
                count = desk_reseal_batch(
                    old_key=old_key, old_private_key=old_private, actor=None, batch_size=batch
                )
                moved += count
                left = desk_retired_keys(desk)
                self.stdout.write(
                    f"Re-sealed {moved}; {left.tips} tip(s) and {left.messages} message(s) left."
                )
                if count < batch:
                    break
        self.stdout.write(f"Done: every tip and message of {desk} is sealed to the current key.")
