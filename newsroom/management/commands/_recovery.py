"""Shared argument handling for commands that read the recovery key."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import CommandError

from newsroom.recovery_file import recovery_file_parse


def add_recovery_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--recovery-key",
        required=True,
        metavar="FILE",
        help="Path of the offline recovery key file, or - to read it from standard input.",
    )


def read_recovery_key(path: str) -> bytes:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("ascii")
        return recovery_file_parse(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CommandError(f"Cannot read the recovery key: {exc}") from exc
