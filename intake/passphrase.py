"""Receipt passphrases: generation from the EFF large wordlist and normalisation.

Django-free. A passphrase is :data:`WORD_COUNT` words drawn uniformly with
``secrets`` from a list of 7,776 words: 7 x log2(7776) = 90.5 bits.
"""

from __future__ import annotations

import math
import secrets
from functools import cache
from importlib import resources
from typing import Final

WORD_COUNT: Final = 7
_WORDLIST: Final = "eff_large_wordlist.txt"


@cache
def wordlist() -> tuple[str, ...]:
    """Return the shipped wordlist (loaded once)."""
    text = resources.files("intake.wordlists").joinpath(_WORDLIST).read_text("utf-8")
    words = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(set(words)) != len(words):
        raise RuntimeError("The passphrase wordlist contains duplicate words.")
    return words


def entropy_bits(word_count: int = WORD_COUNT) -> float:
    """Return the entropy in bits of a passphrase of ``word_count`` words."""
    return word_count * math.log2(len(wordlist()))


def generate(word_count: int = WORD_COUNT) -> str:
    """Return a new passphrase: words separated by single spaces."""
    words = wordlist()
    return " ".join(secrets.choice(words) for _ in range(word_count))


def normalise(raw: str) -> str:
    """Fold case and collapse spaces, tabs and line breaks to single spaces.

    Readers type the passphrase back by hand or paste it from a note; both
    forms must reach the same key.
    """
    return " ".join(raw.lower().split())
