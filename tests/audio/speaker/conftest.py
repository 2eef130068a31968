"""Shared helpers for the speaker golden tests: turn keys back into words.

A golden test writes the number as a native speaker spells it, maps the
speaker's keys to the words their clips say, and compares the two. Arabic
comparisons drop short-vowel marks; the conjunction و is written attached to
the next word, as in the spelled form.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from importlib import resources

import pytest


def strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _spoken(keys: Sequence[str], words: Mapping[str, str]) -> str:
    """The words the clips for `keys` say, as one normalised string."""
    out: list[str] = []
    attach = False
    for key in keys:
        word = strip_marks(words[key]).replace("-", " ")
        if attach and out:
            out[-1] += word
        else:
            out.append(word)
        attach = word == "و"
    return " ".join(out)


def _normal(text: str) -> str:
    return " ".join(strip_marks(text).replace("-", " ").split())


Spoken = Callable[[Sequence[str], Mapping[str, str]], str]


@pytest.fixture
def spoken() -> Spoken:
    """spoken(keys, words) -> the normalised words those keys' clips say."""
    return _spoken


@pytest.fixture
def normal() -> Callable[[str], str]:
    """normal(spelled) -> the spelled form normalised like `spoken`'s output."""
    return _normal


@pytest.fixture(scope="session")
def system_words() -> Callable[[str], dict[str, str]]:
    """system_words(language) -> key → the text its system-dictionary clip speaks."""

    def load(language: str) -> dict[str, str]:
        folder = resources.files("ringcast").joinpath("assets", "dictionaries", language)
        manifest = json.loads(folder.joinpath("manifest.json").read_text("utf-8"))
        return {key: entry["text"] for key, entry in manifest["entries"].items()}

    return load
