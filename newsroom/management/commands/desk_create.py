from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from intake.exceptions import PistaError
from intake.models import Desk
from newsroom.models import DeskMembership
from newsroom.services.desks import desk_create


class Command(BaseCommand):
    help = (
        "Create a desk with a fresh key pair, sealed to the recovery key and to each member "
        "given. Members must already have a personal key (created by staff_create or their "
        "first login). Example: desk_create 'Latin America' --coordinator ana --journalist luis"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", help="Defaults to a slug of the name.")
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--general", action="store_true", help="The editors' triage desk (only one may exist)."
        )
        for role in DeskMembership.Role:
            parser.add_argument(
                f"--{role.value}",
                action="append",
                default=[],
                metavar="USERNAME",
                help=f"Add a member with the {role.label.lower()} role (repeatable).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        slug = options["slug"] or slugify(name)
        # Checked here so a clash is a clear message rather than a database error.
        if not slug:
            raise CommandError(f"Cannot make a slug from {name!r}; give one with --slug.")
        if options["general"] and Desk.objects.filter(is_general=True).exists():
            raise CommandError("There is already a general desk; only one may exist.")
        if Desk.objects.filter(name=name).exists():
            raise CommandError(f"A desk named {name} already exists.")
        if Desk.objects.filter(slug=slug).exists():
            raise CommandError(f"A desk with the slug {slug} already exists; choose another.")
        User = get_user_model()
        members = []
        for role in DeskMembership.Role:
            for username in options[role.value]:
                user = User.objects.filter(username=username).first()
                if user is None:
                    raise CommandError(f"There is no user named {username}.")
                members.append((user, role.value))
        try:
            desk = desk_create(
                name=name,
                slug=slug,
                is_general=options["general"],
                description=options["description"],
                members=members,
            )
        except PistaError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created desk {desk} with {len(members)} member(s).")
