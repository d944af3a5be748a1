"""The recovery private key's offline text format: written once, read by commands."""

from __future__ import annotations

import base64
import binascii

from intake import crypto

HEADER = "PISTA RECOVERY KEY v1"


def recovery_file_render(pair: crypto.KeyPair) -> str:
    """Render the private half for printing or an offline file."""
    secret = base64.b64encode(pair.private_key).decode("ascii")
    return (
        f"{HEADER}\n"
        f"fingerprint: {crypto.fingerprint(pair.public_key)}\n"
        "Keep this offline (printed or on removable media). Anyone holding it can read every tip.\n"
        f"{secret}\n"
    )


def recovery_file_parse(text: str) -> bytes:
    """Return the private key from the text of a recovery key file.

    Raises ValueError with a message naming what is wrong.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != HEADER:
        raise ValueError(f"This is not a Pista recovery key: the first line must be '{HEADER}'.")
    try:
        private_key = base64.b64decode(lines[-1], validate=True)
    except binascii.Error as exc:
        raise ValueError(
            "The recovery key's last line is not valid base64; the file is damaged."
        ) from exc
    if len(private_key) != crypto.PRIVATE_KEY_BYTES:
        raise ValueError(
            "The recovery key has the wrong length; the file is damaged or incomplete."
        )
    return private_key
