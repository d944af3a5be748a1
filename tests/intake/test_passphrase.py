"""intake/passphrase.py: receipt passphrases from the EFF long wordlist."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from intake import passphrase

ROOT = Path(__file__).resolve().parents[2]
WHITESPACE = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", " \t ", "\n\n"])


def test_generated_passphrase_is_seven_words_from_the_wordlist() -> None:
    words = passphrase.generate().split(" ")

    assert len(words) == 7
    assert set(words) <= set(passphrase.wordlist())


def test_wordlist_is_large_and_unique() -> None:
    words = passphrase.wordlist()

    assert len(set(words)) >= 7_500
    assert len(words) == len(set(words)) == 7_776
    assert all(word == word.strip().lower() and " " not in word for word in words)


def test_passphrase_carries_at_least_90_bits() -> None:
    assert passphrase.entropy_bits() >= 90


def test_two_generated_passphrases_differ() -> None:
    assert passphrase.generate() != passphrase.generate()


def test_generated_passphrase_is_already_normalised() -> None:
    generated = passphrase.generate()

    assert passphrase.normalise(generated) == generated


def test_normalise_folds_case_collapses_whitespace_and_trims() -> None:
    typed = "  Apple\tBANANA \r\n cherry\n\nDrop-Down  "

    assert passphrase.normalise(typed) == "apple banana cherry drop-down"


@given(raw=st.text())
def test_normalise_is_idempotent(raw: str) -> None:
    once = passphrase.normalise(raw)

    assert passphrase.normalise(once) == once


# Hypothesis picks the words itself (``generate`` draws from ``secrets``, which
# hypothesis cannot replay); the shape is the same: seven list words, single spaces.
PASSPHRASES = st.lists(
    st.sampled_from(passphrase.wordlist()),
    min_size=passphrase.WORD_COUNT,
    max_size=passphrase.WORD_COUNT,
).map(" ".join)


@given(original=PASSPHRASES, data=st.data())
def test_retyped_or_pasted_passphrase_normalises_to_the_original(
    original: str, data: st.DataObject
) -> None:
    retyped = ""
    for index, word in enumerate(original.split(" ")):
        cased = "".join(
            letter.upper() if data.draw(st.booleans(), label=f"upper {letter}") else letter
            for letter in word
        )
        gap = data.draw(WHITESPACE, label="gap") if index else ""
        retyped += gap + cased
    padded = data.draw(st.sampled_from(["", " ", "\n"])) + retyped + data.draw(WHITESPACE)

    assert passphrase.normalise(padded) == original


def test_wordlist_ships_with_an_attribution_readme() -> None:
    readme = resources.files("intake.wordlists").joinpath("README.md").read_text("utf-8")

    assert "Electronic Frontier Foundation" in readme
    assert "EFF" in readme
    assert "CC BY" in readme


def test_wordlist_readme_is_packaged_with_the_wordlist() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    package = ROOT / "intake"
    shipped = {
        path for pattern in setuptools["package-data"]["intake"] for path in package.glob(pattern)
    }

    assert package / "wordlists" / "eff_large_wordlist.txt" in shipped
    assert package / "wordlists" / "README.md" in shipped
