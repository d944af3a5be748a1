from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake.models import Desk, RecoveryKey, Tip
from intake.services import tip_submit
from newsroom.recovery_file import recovery_file_render
from newsroom.services.desks import desk_create, desk_update
from newsroom.services.personal_keys import staff_account_create
from newsroom.services.recovery import recovery_key_create
from newsroom.services.review import tip_transition

DEMO_PASSWORD = "pista-demo-2026"  # noqa: S105 - published on purpose; DEBUG only
REGIONAL_DESKS = (
    ("Latin America", "latam", "Spanish, Portuguese"),
    ("Maghreb", "maghreb", "Arabic, French"),
    ("Europe", "europe", "English, French, German"),
)
DEMO_TIPS: tuple[tuple[str | None, str], ...] = (
    ("latam", "Demo tip: invoices from the port authority do not match the shipping logs."),
    ("maghreb", "Demo tip: a water contract was awarded before the tender closed."),
    (None, "Demo tip: I am not sure which desk, but the council minutes were altered."),
)


class Command(BaseCommand):
    help = (
        "Seed demo data for local development: recovery key (written to the data folder), "
        "a general desk and three regional desks, an editor, and a coordinator and a "
        "journalist per regional desk, all with personal keys, plus a few demo tips. "
        "Running it again keeps existing data and only prints the logins."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo is for development only; it refuses to run with DEBUG off."
            )
        if Tip.objects.exists():
            self.stdout.write("Demo data already present; keeping it.")
        elif RecoveryKey.objects.exists() or get_user_model().objects.exists():
            raise CommandError(
                "The database holds part of a newsroom but no tips (an earlier seed_demo "
                "stopped half-way, or this is not a demo database). Delete the data folder "
                f"({settings.DATA_DIR}) and run scripts/run again."
            )
        else:
            self._seed()
        if not options["quiet_logins"]:
            self._print_logins()

    def _seed(self) -> None:
        # Not one transaction: creating keys and tips runs key derivations, which never
        # run inside one. The tips come last and mark a complete seed (see handle).

        def staff(username: str, superuser: bool = False) -> Any:
            user = staff_account_create(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@demo.invalid",
                is_superuser=superuser,
            )
            # A second factor from the start, so the demo logs in without an enrolment;
            # `manage.py demo_code USERNAME` prints its current code (development only).
            TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
            return user

        pair = recovery_key_create()
        key_path = Path(settings.DATA_DIR) / "demo-recovery.key"
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(recovery_file_render(pair))

        staff("admin", superuser=True)
        editor = staff("editor")
        desk_create(name="Editors", slug="general", is_general=True, members=[(editor, "editor")])
        for name, slug, languages in REGIONAL_DESKS:
            coordinator = staff(f"{slug}-coordinator")
            desk = desk_create(
                name=name,
                slug=slug,
                description=f"Tips about {name}.",
                members=[(coordinator, "coordinator"), (staff(f"{slug}-journalist"), "journalist")],
            )
            desk_update(
                desk=desk,
                actor=None,
                name=name,
                description=desk.description,
                languages=languages,
                coordinator=coordinator,
                is_active=True,
            )
        tips = []
        for index, (desk_slug, body) in enumerate(DEMO_TIPS):
            tip_desk = Desk.objects.get(slug=desk_slug) if desk_slug else None
            submission = tip_submit(
                body=body,
                links="https://example.org/minutes",
                contact="",
                desk=tip_desk,
                # The last one as if sent with JavaScript off: the queue's no-proof lane.
                arrived_with_proof=index < len(DEMO_TIPS) - 1,
            )
            tips.append(submission.tip)
        # One tip already accepted, so Latin America's desk inbox has something to assign.
        tip_transition(tip=tips[0], actor=editor, to_status=Tip.Status.ACCEPTED)
        self.stdout.write(f"Seeded demo data. Demo recovery key: {key_path}")

    def _print_logins(self) -> None:
        self.stdout.write(
            f"Demo logins (all with the password {DEMO_PASSWORD!r}; the second step asks for "
            "a code: `python manage.py demo_code USERNAME` prints it, or add the account to "
            "an authenticator app from its account page):"
        )
        self.stdout.write("  editor                 general desk: triages every tip")
        for _name, slug, _languages in REGIONAL_DESKS:
            self.stdout.write(f"  {slug}-coordinator, {slug}-journalist")
        self.stdout.write("  admin                  superuser, on no desk: cannot read tips")
