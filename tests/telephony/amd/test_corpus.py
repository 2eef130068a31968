"""scripts/make_amd_corpus.py: deterministic, labelled, splits with disjoint voices."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from ringcast.telephony.amd.audio_file import read_audio_8k
from support import require_tool

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "make_amd_corpus.py"


@pytest.fixture(autouse=True)
def _engines() -> None:
    require_tool("espeak-ng", *load().ENGINE_TOOLS)


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
    assert {r["split"] for r in rows} == {*corpus.SPLITS, *corpus.ENGINE_SPLITS}
    engines = [r for r in rows if r["split"] in corpus.ENGINE_SPLITS]
    assert engines and all(r["voice"].split(":")[0] in {"flite", "festival"} for r in engines)
    for row in rows:  # every engine really spoke: speech >= 6 dB above the silence after it
        if row["variant"] != "clean":
            continue
        pcm = read_audio_8k(tmp_path / "a" / row["file"]).astype(float)
        onset, end = int(row["initial_silence_ms"]) * 8, int(row["greeting_end_ms"]) * 8
        speech = pcm[onset : onset + int(row["speech_ms"]) * 8]
        after = pcm[end : end + 4000]
        assert speech.size > 400
        assert after.size == 4000
        assert np.mean(speech**2) > 4 * np.mean(after**2), row["file"]


def test_splits_share_no_language_and_no_voice_variant():
    corpus = load()
    splits = list(corpus.SPLITS.values())
    for i, (langs_a, variants_a) in enumerate(splits):
        for langs_b, variants_b in splits[i + 1 :]:
            assert not set(langs_a) & set(langs_b)
            assert not set(variants_a) & set(variants_b)


def test_variants_change_one_thing_each(tmp_path: Path):
    corpus = load()
    rows = list(csv.DictReader(corpus.build(tmp_path, seed=5, per_split=2).open()))
    by_call: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for row in rows:
        call = (row["split"], row["file"].rsplit("/", 1)[1])
        by_call.setdefault(call, {})[row["variant"]] = row
    assert by_call
    for variants in by_call.values():
        assert set(variants) == set(corpus.VARIANTS)
        clean = variants["clean"]
        assert clean["law"] == "ulaw" and float(clean["loss_pct"]) == 0
        assert 20 <= float(clean["snr_db"]) <= 40
        for name, row in variants.items():
            assert (row["text"], row["kind"], row["voice"]) == (
                clean["text"],
                clean["kind"],
                clean["voice"],
            )
            if name != "late":
                assert row["initial_silence_ms"] == clean["initial_silence_ms"]
        extra = int(variants["late"]["initial_silence_ms"]) - int(clean["initial_silence_ms"])
        assert 500 <= extra <= 3000
        assert int(variants["late"]["greeting_end_ms"]) - int(clean["greeting_end_ms"]) == extra
        assert float(variants["snr10"]["snr_db"]) == 10 and float(variants["snr5"]["snr_db"]) == 5
        lossy = variants["alaw_loss"]
        assert lossy["law"] == "alaw" and 1 <= float(lossy["loss_pct"]) <= 5
        # The lossy line really has whole 20 ms packets of silence the clean one has not.
        a = read_audio_8k(tmp_path / clean["file"])
        b = read_audio_8k(tmp_path / lossy["file"])
        assert silent_packets(b) - silent_packets(a)
        # `lost` names exactly those packets (A-law never decodes to 0), for both
        # lossy variants, and the bursty one at the same rate
        assert clean["lost"] == ""
        for name in ("alaw_loss", "alaw_burst"):
            row = variants[name]
            assert row["law"] == "alaw" and row["loss_pct"] == lossy["loss_pct"]
            pcm = read_audio_8k(tmp_path / row["file"])
            assert {int(k) * 160 for k in row["lost"].split()} == silent_packets(pcm)


def test_burst_loss_keeps_the_rate_in_longer_runs():
    corpus = load()
    rng = np.random.default_rng(3)
    runs: list[int] = []
    lost = 0
    for _ in range(200):
        packets = corpus.burst_loss(rng, 500, 3.0)
        lost += packets.size
        if packets.size:
            runs += [len(r) for r in np.split(packets, np.flatnonzero(np.diff(packets) > 1) + 1)]
    assert 0.02 < lost / (200 * 500) < 0.04
    assert np.mean(runs) > 3  # independent loss at 3 % averages 1.03 packets a run


def silent_packets(pcm: np.ndarray) -> set[int]:
    return {i for i in range(0, pcm.size - 159, 160) if not pcm[i : i + 160].any()}


def test_every_split_has_business_answers_and_short_voicemails_with_no_beep(tmp_path: Path):
    corpus = load()
    rows = list(
        csv.DictReader(corpus.build(tmp_path, seed=4, per_split=6, variants=("clean",)).open())
    )
    for split in [*corpus.SPLITS, *corpus.ENGINE_SPLITS]:
        part = [r for r in rows if r["split"] == split]
        assert len(part) == 6 + corpus.hard_per_split(6) == 8
        hard = part[6:]
        assert [(r["label"], r["kind"], r["beep_hz"]) for r in hard] == [
            ("human", "business", "0"),
            ("machine", "short", "0"),
        ], split
        # the short voicemail is speech then silence, nothing after it
        machine = hard[1]
        assert 800 <= int(machine["speech_ms"]) <= 4000, machine
        assert int(machine["greeting_end_ms"]) == int(machine["initial_silence_ms"]) + int(
            machine["speech_ms"]
        )
