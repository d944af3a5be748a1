from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from newsroom.services.notifications import followups_remind


class Command(BaseCommand):
    help = (
        "Queue the follow-up reminders: to each assignee the day before a follow-up is due, "
        "to the desk's coordinator once it is overdue. Also re-queues notifications whose "
        "retry is due or whose task was lost. Safe to run as often as you like (e.g. hourly "
        "from cron): nothing is sent twice. The e-mails go out through `manage.py db_worker`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help="Act as if today were this date (default: today in the server's time zone).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(
                    f"--date must look like 2026-03-10, not {options['date']!r}."
                ) from exc
        run = followups_remind(today)
        self.stdout.write(
            f"Queued {run.due_soon} due-soon reminder(s) and {run.overdue} overdue alert(s); "
            f"re-queued {run.requeued} earlier notification(s)."
        )
