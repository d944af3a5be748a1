from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from intake.exceptions import PistaError
from intake.models import Desk, DeskKey
from intake.selectors import desk_key_active
from newsroom.models import DeskMembership
from newsroom.services.desk_keys import RESEAL_BATCH_SIZE, desk_reseal_batch
from newsroom.services.desks import desk_member_remove
from newsroom.unsealing import desk_private_key_from_recovery

from ._recovery import read_recovery_key


class Command(BaseCommand):
    help = (
        "Remove a member from a desk: their copy of the desk key is deleted and the desk key "
        "is rotated, so tips arriving from now on are sealed to a key they never held. With "
        "--recovery-key, tips already received are then re-sealed to the new key in batches."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("desk", help="The desk's slug.")
        parser.add_argument("username")
        parser.add_argument(
            "--recovery-key",
            metavar="FILE",
            help="Recovery key file (or -): re-seal older tips to the new desk key now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        desk = Desk.objects.filter(slug=options["desk"]).first()
        user = get_user_model().objects.filter(username=options["username"]).first()
        if desk is None or user is None:
            raise CommandError("Unknown desk slug or username.")
        is_member = DeskMembership.objects.filter(desk=desk, user=user).exists()
        retired_keys = DeskKey.objects.filter(desk=desk, retired_at__isnull=False)
        # A former member is accepted only to finish an earlier removal's re-seal.
        if not is_member and not (options["recovery_key"] and retired_keys.exists()):
            raise CommandError(f"{user} is not a member of {desk}; nothing to remove.")
        recovery_private_key = (
            read_recovery_key(options["recovery_key"]) if options["recovery_key"] else None
        )
        try:
            if recovery_private_key is not None:
                # Check the key before removing anyone, so a wrong file changes nothing.
                desk_private_key_from_recovery(
                    desk_key=desk_key_active(desk), recovery_private_key=recovery_private_key
                )
            if is_member:
                desk_member_remove(desk=desk, user=user, actor=None)
            if recovery_private_key is None:
                self.stdout.write(
                    f"Removed {user} from {desk} and rotated the desk key. Older tips stay on "
                    "the retired key until re-sealed (run again with --recovery-key)."
                )
                return
            moved = 0
            for old_key in retired_keys:
                old_private = desk_private_key_from_recovery(
                    desk_key=old_key, recovery_private_key=recovery_private_key
                )
                while True:
                    count = desk_reseal_batch(
                        old_key=old_key, old_private_key=old_private, actor=None
                    )
                    moved += count
                    if count < RESEAL_BATCH_SIZE:
                        break
        except PistaError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Removed {user} from {desk}; re-sealed {moved} tip(s) to the new desk key."
        )
