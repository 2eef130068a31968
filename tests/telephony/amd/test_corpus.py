"""scripts/make_amd_corpus.py: deterministic, labelled, splits with disjoint voices."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "make_amd_corpus.py"

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_amd_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_amd_corpus"] = module
    spec.loader.exec_module(module)
    return module


def test_same_seed_same_corpus(tmp_path: Path):
    corpus = load()
    a = corpus.build(tmp_path / "a", seed=3, per_split=4)
    b = corpus.build(tmp_path / "b", seed=3, per_split=4)
    rows = list(csv.DictReader(a.open()))
    assert a.read_text() == b.read_text()
    for row in rows:
        assert (tmp_path / "a" / row["file"]).read_bytes() == (
            tmp_path / "b" / row["file"]
        ).read_bytes()
    assert {r["label"] for r in rows} == {"human", "machine"}
    assert {r["split"] for r in rows} == set(corpus.SPLITS)


def test_splits_share_no_language_and_no_voice_variant():
    corpus = load()
    splits = list(corpus.SPLITS.values())
    for i, (langs_a, variants_a) in enumerate(splits):
        for langs_b, variants_b in splits[i + 1 :]:
            assert not set(langs_a) & set(langs_b)
            assert not set(variants_a) & set(variants_b)
