"""Dictionaries: key → `Clip` maps, and the system dictionaries shipped with ringcast.

`ClipDictionary` is a read-only mapping that also keeps its key set as one
`frozenset`, so the number speaker's cache (keyed on the key set) hashes it
once, not on every call. System dictionaries are read once per process from
`ringcast/assets/dictionaries/<lang>/` (µ-law files plus `manifest.json`,
written by `scripts/make_system_dictionaries.py`) through `importlib.resources`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources

from ringcast.audio.clip import Clip
from ringcast.audio.errors import UnsupportedLanguageError

SYSTEM_LANGUAGES = ("ar", "en", "fr")


class ClipDictionary(Mapping[str, Clip]):
    """An immutable key → clip map for one language."""

    __slots__ = ("_clips", "key_set", "language")

    def __init__(self, language: str, clips: Mapping[str, Clip]) -> None:
        self.language = language
        self._clips = dict(clips)
        self.key_set = frozenset(self._clips)

    def __getitem__(self, key: str) -> Clip:
        return self._clips[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._clips)

    def __len__(self) -> int:
        return len(self._clips)

    def __repr__(self) -> str:
        return f"ClipDictionary({self.language!r}, {len(self)} keys)"


def load_system_dictionary(language: str) -> ClipDictionary:
    """The built-in dictionary for "fr", "ar" or "en" ("fr-FR" too); loaded once per process."""
    code = language.strip().lower().replace("_", "-").split("-")[0]
    if code not in SYSTEM_LANGUAGES:
        raise UnsupportedLanguageError(f"no system dictionary for language {language!r}")
    return _load(code)


@cache
def _load(code: str) -> ClipDictionary:
    folder = resources.files("ringcast").joinpath("assets", "dictionaries", code)
    manifest = json.loads(folder.joinpath("manifest.json").read_text(encoding="utf-8"))
    clips = {
        key: Clip.from_ulaw(folder.joinpath(entry["file"]).read_bytes())
        for key, entry in manifest["entries"].items()
    }
    return ClipDictionary(code, clips)
