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


# --- the reader's language -------------------------------------------------------------


def test_every_shipped_list_has_7776_words_that_stay_distinct_once_normalised() -> None:
    for language in passphrase.WORDLISTS:
        words = passphrase.wordlist(language)
        assert len(words) == 7_776, language
        assert len({passphrase.normalise(w) for w in words}) == 7_776, language
        assert all(" " not in w and w == w.strip() for w in words), language
        assert passphrase.entropy_bits(language=language) > 90.4  # 7 x log2(7776) = 90.47


def test_each_language_draws_from_its_own_list_and_others_fall_back_to_english() -> None:
    for language in ("es", "fr", "ar"):
        words = passphrase.generate(language=language).split(" ")
        assert len(words) == 7
        assert set(words) <= set(passphrase.wordlist(language))
    assert passphrase.list_language("es-MX") == "es"
    assert passphrase.list_language("pt") == "en"
    assert passphrase.list_language(None) == "en"
    assert set(passphrase.generate(language="de").split(" ")) <= set(passphrase.wordlist("en"))


def test_accents_and_arabic_letter_variants_are_folded() -> None:
    assert passphrase.normalise("Café  ÉTÉ") == "cafe ete"
    assert passphrase.normalise("ＡＢＣ") == "abc", "full-width letters read as plain ones"
    # Alef with hamza or madda, alef maqsura, teh marbuta, tatweel and short vowels.
    assert passphrase.normalise("أحمد إلى آخر مدرسة") == passphrase.normalise("احمد الي اخر مدرسه")
    assert passphrase.normalise("كـتـاب") == "كتاب"
    assert passphrase.normalise("كِتَابٌ") == "كتاب"


def test_the_english_list_is_unchanged_by_normalisation_so_old_receipts_still_match() -> None:
    assert all(passphrase.normalise(w) == w for w in passphrase.wordlist("en"))
