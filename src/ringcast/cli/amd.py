"""`ringcast amd` — run recordings through the answering-machine detector.

`classify FILE...` decodes each file to 8 kHz mono and feeds it, 20 ms at a
time, to the same `AmdDetector` a live call uses, printing one JSON line per
file: `{"file", "result", "reason", "decisionMs"}`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ringcast.telephony.amd import classify as classify_pcm
from ringcast.telephony.amd.audio_file import AudioFileError, read_audio_8k
from ringcast.telephony.channel import AmdSettings

app = typer.Typer(help="Answering-machine detection tools.", no_args_is_help=True)

_FIELDS = {f.name for f in dataclasses.fields(AmdSettings) if f.type == "int"}


@app.callback()
def amd() -> None:
    """Answering-machine detection tools."""
    # A callback keeps `classify` a sub-command even while it is the only one.


def _settings(overrides: list[str]) -> AmdSettings:
    values: dict[str, Any] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or name not in _FIELDS or not value.strip().isdigit():
            raise typer.BadParameter(
                f"{item!r}: expected FIELD=INT, FIELD one of {sorted(_FIELDS)}"
            )
        values[name] = int(value)
    return dataclasses.replace(AmdSettings(), **values)


@app.command()
def classify(
    files: Annotated[
        list[Path], typer.Argument(help="Audio files (WAV, or anything FFmpeg reads)")
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override an AmdSettings threshold, e.g. --set greeting_ms=2000"
        ),
    ] = None,
    keywords: Annotated[
        bool,
        typer.Option(
            "--keywords", help="Spot English voicemail phrases too (the kws extra, pocketsphinx)"
        ),
    ] = False,
) -> None:
    """Classify each file as human, machine or unknown; one JSON line per file."""
    settings = dataclasses.replace(_settings(set_ or []), keywords=keywords)
    failed = False
    for path in files:
        try:
            pcm = read_audio_8k(path)
        except (AudioFileError, OSError) as exc:
            typer.echo(json.dumps({"file": str(path), "error": str(exc)}))
            failed = True
            continue
        verdict = classify_pcm(pcm, settings)
        line = {
            "file": str(path),
            "result": verdict.result,
            "reason": verdict.reason,
            "decisionMs": verdict.decision_ms,
        }
        typer.echo(json.dumps(line))
    if failed:
        raise typer.Exit(code=1)
