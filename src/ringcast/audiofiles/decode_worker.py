"""Decoding an upload in a child process with a memory and a time cap.

An uploaded file is untrusted: its decoder (FFmpeg) runs in a process forked
from a small server process (multiprocessing "forkserver", which has the
audio engine imported already, so a worker starts in milliseconds). The
worker lowers its address-space limit (RLIMIT_AS) to what it has plus
`memory_bytes`, decodes with the duration and decoded-bytes limits (checked
while decoding: `audio/decode.py`), writes the 8 kHz WAV to `out` and sends
back only the metadata. The caller waits at most `timeout_s`, then kills it.
At most `workers` decode at once per API process (the others wait their
turn), so uploads cannot take every core. Whatever stops a worker — a limit,
the memory cap, the clock — is an `AudioTooLongError` in the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ringcast.audio.decode import DecodeLimits, SourceInfo, decode_audio
from ringcast.audio.errors import AudioError, AudioTooLongError
from ringcast.audio.wav import write_wav
from ringcast.kit.offload import lower_priority

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["ringcast.audio.decode"])
_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    memory_bytes: int = 512 * 1024 * 1024
    timeout_s: float = 60.0
    workers: int = 2


@dataclass(frozen=True, slots=True)
class Decoded:
    source: SourceInfo
    duration_ms: int  # of the 8 kHz result


def _slot(workers: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(workers, threading.BoundedSemaphore(workers))


def decode_to_wav(path: Path, out: Path, limits: DecodeLimits, worker: WorkerLimits) -> Decoded:
    """Decode `path` in a capped worker, its 8 kHz WAV written to `out` (blocking:
    call it from a thread). Raises the audio engine's `AudioDecodeError`s."""
    with _slot(worker.workers):
        receive, send = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(
            target=_work,
            args=(str(path), str(out), limits, worker.memory_bytes, send),
            name="ringcast-audio-decode",
            daemon=True,
        )
        process.start()
        send.close()
        try:
            if not receive.poll(worker.timeout_s):
                raise AudioTooLongError(
                    f"decoding the audio took longer than the {worker.timeout_s:g} s allowed"
                )
            try:
                result = receive.recv()
            except EOFError:  # died without a word: killed by the memory cap
                raise AudioTooLongError(_memory_message(worker.memory_bytes)) from None
        finally:
            if process.is_alive():
                process.kill()
            process.join()
            receive.close()
    if isinstance(result, AudioError):
        raise result
    assert isinstance(result, Decoded)
    return result


def _memory_message(memory_bytes: int) -> str:
    return f"decoding the audio needs more than the {memory_bytes // 2**20} MiB allowed"


def _work(path: str, out: str, limits: DecodeLimits, memory_bytes: int, send: Connection) -> None:
    try:
        lower_priority()  # live calls first: the dialer's media clock wins the CPU
        _cap_memory(memory_bytes)
        decoded = decode_audio(path, limits)
        Path(out).write_bytes(write_wav(decoded.pcm))
        send.send(Decoded(decoded.source, decoded.duration_ms))
    except AudioError as exc:
        if isinstance(exc.__cause__, MemoryError):  # libav's ENOMEM under our cap, not damage
            send.send(AudioTooLongError(_memory_message(memory_bytes)))
        else:
            send.send(exc)
    except MemoryError:
        send.send(AudioTooLongError(_memory_message(memory_bytes)))
    finally:
        send.close()


def _cap_memory(memory_bytes: int) -> None:
    """Address space: what this process has mapped now, plus `memory_bytes`."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = mapped + memory_bytes
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
