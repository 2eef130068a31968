"""Every bench under bench/ still starts: CI never runs the benches, so a helper a
bench imports from another (bench/realtime_under_load.py took `pct` and
`free_port()` from bench/concurrent_calls.py) can change under it unseen. Each
bench's `--help` imports the whole script and builds its argument parser; a
module with no `__main__` (helpers other benches import) is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_every_bench_answers_help() -> None:
    scripts = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))
    assert len(scripts) >= 20  # the directory moved or emptied: nothing would be checked

    def command(p: Path) -> list[str]:
        if '__name__ == "__main__"' in p.read_text():
            return [sys.executable, str(p), "--help"]
        return [sys.executable, "-c", f"import {p.stem}; print('usage: (a module)')"]

    runs = {
        p.name: subprocess.Popen(
            command(p),
            cwd=BENCH,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in scripts
    }
    broken = {}
    for name, proc in runs.items():
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0 or "usage:" not in out:
            broken[name] = (err or out).strip().splitlines()[-1:]
    assert broken == {}
