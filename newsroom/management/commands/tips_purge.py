from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from newsroom.selectors.retention import tips_due_for_deletion
from newsroom.services.retention import tips_purge, tips_purge_in_background


class Command(BaseCommand):
    help = (
        "Delete for good the tips whose retention period has run out (PISTA_RETENTION_DAYS_*: "
        "spam, rejected, duplicate and archived tips, counted from when they entered that "
        "status). New, in-review and accepted tips are never deleted. Run it daily from cron."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say what would be deleted: counts per status and references.",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Queue the purge for the background worker (manage.py db_worker) and return.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["background"] and not options["dry_run"]:
            result = tips_purge_in_background.enqueue()
            self.stdout.write(
                f"Queued the purge for the background worker (task {result.id}); "
                f"{tips_due_for_deletion().count()} tip(s) are due now."
            )
            return
        report = tips_purge(dry_run=options["dry_run"])
        self.stdout.write(report.summary())
        for reference, status in report.tips:
            self.stdout.write(f"  {reference}  {status}")
