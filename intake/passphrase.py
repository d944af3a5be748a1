"""Receipt passphrases: generation from a word list in the reader's language, and
normalisation of what a reader types back.

Django-free. A passphrase is :data:`WORD_COUNT` words drawn uniformly with
``secrets`` from one list of exactly 7,776 words (7 x log2(7776) = 90.5 bits),
whichever list it is: English (EFF), Spanish, French or Arabic (see
``wordlists/README.md``). A language without a list of its own uses the English
one. What is derived from is the normalised text, so a passphrase from any list
works on a page in any language.
"""

from __future__ import annotations

import math
import secrets
import unicodedata
from functools import cache
from importlib import resources
from typing import Final

WORD_COUNT: Final = 7
#: Each language's list; any other language gets :data:`FALLBACK`'s.
WORDLISTS: Final = {
    "en": "eff_large_wordlist.txt",
    "es": "es_diceware.txt",
    "fr": "fr_tango.txt",
    "ar": "ar_wordfreq.txt",
}
FALLBACK: Final = "en"
#: Arabic letters that readers and keyboards write in more than one way, folded to
#: one form (the hamza and madda forms of alef, waw and yeh unfold with the accents).
_ARABIC_FOLD: Final = str.maketrans({"ى": "ي", "ة": "ه", "ـ": None})


def list_language(language: str | None) -> str:
    """The language whose list a page in ``language`` draws from (``"es-mx"`` → ``"es"``)."""
    base = (language or "").lower().split("-")[0].split("_")[0]
    return base if base in WORDLISTS else FALLBACK


@cache
def wordlist(language: str = FALLBACK) -> tuple[str, ...]:
    """Return a shipped word list (loaded once per language)."""
    name = WORDLISTS[list_language(language)]
    text = resources.files("intake.wordlists").joinpath(name).read_text("utf-8")
    words = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len({normalise(word) for word in words}) != len(words):
        raise RuntimeError(f"The passphrase word list {name} has words that read the same.")
    return words


def entropy_bits(word_count: int = WORD_COUNT, language: str = FALLBACK) -> float:
    """Return the entropy in bits of a passphrase of ``word_count`` words."""
    return word_count * math.log2(len(wordlist(language)))


def generate(word_count: int = WORD_COUNT, language: str = FALLBACK) -> str:
    """Return a new passphrase from ``language``'s list: words separated by single spaces,
    as the reader is shown them (derive from :func:`normalise` of it)."""
    words = wordlist(language)
    return " ".join(secrets.choice(words) for _ in range(word_count))


def normalise(raw: str) -> str:
    """Fold what a reader types to the one form that is derived from.

    Case, accents and diacritics (``café`` = ``cafe``; Arabic short vowels), the
    compatibility forms of letters (full-width Latin), the Arabic letter variants
    of :data:`_ARABIC_FOLD` and the tatweel, and every run of spaces, tabs or line
    breaks (to one space). Readers type the passphrase back by hand or paste it from
    a note; every form must reach the same key. English words are unchanged by it,
    so receipts made before it keep working.
    """
    text = raw
    for _round in range(4):  # folding case and decomposing can each undo the other once
        decomposed = unicodedata.normalize("NFKD", text).casefold()
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = folded.translate(_ARABIC_FOLD)
        if folded == text:
            break
        text = folded
    return " ".join(text.split())
