"""The README's curl walk-through works as written.

`docs/walkthrough.sh` runs the walk-through for real (API + dialer, callee farm,
SIP calls on loopback); the README shows the same lines, which the second test
keeps identical so the documentation cannot drift from what is tested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import require_tool

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "walkthrough.sh"
README = ROOT / "README.md"
START_MARK = "# ---8<--- walk-through"
END_MARK = "# ---8<--- end of walk-through"
README_SECTION = "## Walk-through by hand"
TIMEOUT_S = 240


def command_lines(lines: list[str]) -> list[str]:
    """Lines that do something: no blanks, no comment-only lines."""
    return [line.rstrip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def script_walkthrough() -> list[str]:
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(START_MARK)]
    ends = [i for i, line in enumerate(lines) if line.startswith(END_MARK)]
    assert len(starts) == 1 and len(ends) == 1 and starts[0] < ends[0], "scissors marks"
    return command_lines(lines[starts[0] + 1 : ends[0]])


def readme_walkthrough() -> list[str]:
    """The lines of the sh code blocks in the README's walk-through section."""
    text = README.read_text(encoding="utf-8")
    assert README_SECTION in text, f"README has no {README_SECTION!r} section"
    section = text.split(README_SECTION, 1)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return command_lines([line for block in blocks for line in block.splitlines()])


def last_json_document(output: str) -> dict[str, Any]:
    """The pretty-printed call report the script ends with (`python3 -m json.tool`)."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line == "{"]
    assert starts, f"no JSON document in the output:\n{output[-3000:]}"
    document: dict[str, Any] = json.loads("\n".join(lines[starts[-1] :]))
    return document


def test_readme_shows_the_walkthrough_script_word_for_word() -> None:
    script = script_walkthrough()
    readme = readme_walkthrough()
    assert any("curl" in line for line in script)
    assert script[0] in readme, "the README does not show the walk-through's first command"
    first = readme.index(script[0])
    setup, shown = readme[:first], readme[first:]
    for got, want in zip(shown, script, strict=False):
        assert got == want, (
            f"README and docs/walkthrough.sh differ:\n  README: {got}\n  script: {want}"
        )
    assert len(shown) == len(script), "README and docs/walkthrough.sh have different lengths"
    # what the script sets up before its walk-through, the README's set-up block sets too
    for variable in ("RINGCAST_DATA_DIR", "API_PORT", "SIP_PORT"):
        assert any(re.search(rf"\b{variable}=", line) for line in setup), variable


def test_walkthrough_script_runs_a_campaign_to_completion() -> None:
    require_tool("curl")
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    env.pop("RINGCAST_DATABASE_URL", None)  # the walk-through uses its own SQLite store
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    output = result.stdout
    assert result.returncode == 0, (
        f"exit {result.returncode}\n{output[-3000:]}\n{result.stderr[-3000:]}"
    )
    assert re.search(r"^execution completed: ", output, flags=re.MULTILINE), output
    for phone in ("+212661000101", "+212661000245", "+212661000310"):  # humans pressing a key
        assert f"{phone},completed,1,completed," in output, phone
    assert "simulated: completed dial -> balance -> menu -> confirm -> end" in output
    report = last_json_document(output)
    assert report["status"] == "completed"
    assert report["finalOutcome"] == "completed"
    attempt = report["attempts"][-1]
    assert attempt["outcome"] == "completed"
    assert attempt["flowExecution"]["finalVariables"]["choice"] == "1"
