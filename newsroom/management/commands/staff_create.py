from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any, TextIO

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from newsroom.services.personal_keys import staff_account_create


class Command(BaseCommand):
    help = (
        "Create a staff user with a personal key pair wrapped under their password. "
        "The password is asked for interactively unless --password-stdin is given."
    )
    # Lets call_command(..., stdin=...) supply the password, as createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true", help="Also make them a superuser.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username} already exists.")
        if options["password_stdin"]:
            stream: TextIO = options.get("stdin") or sys.stdin
            password = stream.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        candidate = User(username=username, email=options["email"])
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        staff_account_create(
            username=username,
            password=password,
            email=options["email"],
            is_superuser=options["superuser"],
        )
        self.stdout.write(f"Created staff user {username} with a personal key.")
