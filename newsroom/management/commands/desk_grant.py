from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from intake.exceptions import PistaError
from intake.models import Desk
from intake.selectors import desk_key_active
from newsroom.exceptions import MissingPersonalKey
from newsroom.models import DeskMembership, PersonalKey
from newsroom.services.desk_keys import desk_key_grant, grant_fingerprint_check
from newsroom.services.desks import desk_member_add
from newsroom.unsealing import desk_private_key_from_recovery

from ._recovery import add_recovery_argument, read_recovery_key


class Command(BaseCommand):
    help = (
        "Grant a desk's key to a staff user with the newsroom recovery key: for a new member "
        "when no member is available, or to restore access after a password reset. Adds the "
        "user to the desk if needed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("desk", help="The desk's slug.")
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            choices=DeskMembership.Role.values,
            default=DeskMembership.Role.JOURNALIST,
            help="Role when the user is not a member yet.",
        )
        parser.add_argument(
            "--fingerprint",
            metavar="DIGITS",
            help="The fingerprint the user read to you from their own account page, by phone "
            "or in person (all 30 digits, or the last five). Without it the command shows the "
            "fingerprint on file and grants nothing.",
        )
        add_recovery_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        desk = Desk.objects.filter(slug=options["desk"]).first()
        if desk is None:
            raise CommandError(f"There is no desk with the slug {options['desk']}.")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user named {options['username']}.")
        personal = PersonalKey.objects.filter(user=user).first()
        if personal is None:
            raise CommandError(str(MissingPersonalKey(user.get_username())))
        if not options["fingerprint"]:
            raise CommandError(
                f"{user}'s key fingerprint on file is {personal.fingerprint}. Compare it with "
                "them by phone or in person (they see it on their account page), then run "
                "this again with --fingerprint DIGITS. Nothing was granted."
            )
        try:
            grant_fingerprint_check(member=user, typed=options["fingerprint"], compared=True)
        except PistaError as exc:
            raise CommandError(str(exc)) from exc
        recovery_private_key = read_recovery_key(options["recovery_key"])
        try:
            desk_private_key = desk_private_key_from_recovery(
                desk_key=desk_key_active(desk), recovery_private_key=recovery_private_key
            )
            if DeskMembership.objects.filter(desk=desk, user=user).exists():
                desk_key_grant(desk=desk, user=user, desk_private_key=desk_private_key, actor=None)
            else:
                desk_member_add(
                    desk=desk,
                    user=user,
                    role=options["role"],
                    actor=None,
                    desk_private_key=desk_private_key,
                )
        except PistaError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{user} now holds the {desk} desk key (fingerprint {personal.fingerprint} compared)."
        )
