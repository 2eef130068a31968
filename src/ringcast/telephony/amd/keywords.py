"""Voicemail phrase spotting (pocketsphinx, en-US): evidence for a machine, never for a person.

An optional extra (`pip install ringcast[kws]`): the `pocketsphinx` wheel ships
its 16 kHz US-English acoustic model and dictionary, so nothing is downloaded
at run time. `KeywordSpotter` looks for a few multi-word phrases that
answering machines and carrier voicemail say and people answering their phone
do not ("leave a message", "after the tone", "not available", ...). Single
words ("message", "voicemail") fire on people and are not used.

The detector (`AmdDetector(keywords=...)`) uses it only while undecided and
only on greeting-length speech: the spotter starts once the greeting has
`start_after_speech_ms` of speech (a one-word "Hello?" never wakes it), fed
from shortly before the greeting's first word, and stops at the verdict.
A hit makes the verdict `machine` with reason `keyword`.

Cost: a 8 kHz frame is upsampled to 16 kHz (linear interpolation, causal) and
decoded. Decoders cost about 0.16 s of CPU and some MB to create, so they are
pooled and reset between calls. Each spotter measures its own CPU
(`cpu_s`) and stops for good once it has used `cpu_budget_s`
(by default 5 % of a core over the longest analysis, 7 s).

Live calls decode off the media clock: `KeywordWorker` is one thread per
process at a lower CPU priority (`kit.offload.HEAVY_WORK_NICE`); the media
clock only queues frames (`ThreadedSpotter`) and reads the latest hit, so a
late hit just comes a frame or more later. bench/amd.py decodes inline (the
same as a worker that keeps up) so its figures are repeatable.

Measured (bench/amd.py --keywords off --keywords auto --kws-fast, clean / SNR 5 dB,
accuracy and humans called machines, without -> with; load average 13-25 on 2 cores):
flite 94.5 -> 97.0 % and 86.0 -> 87.0 % / 0 -> 0 %; festival 91.0 -> 92.0 % and
87.5 -> 88.0 % / 1 -> 1 %; fresh 93.0 ->
93.5 % and 88.0 -> 89.5 % / 2 -> 2 % and 6 -> 6 %; holdout unchanged (94.0 / 87.0 %,
mostly not English); tune SNR 5 dB with every language on: 0 % humans called machines.
CPU 1.8-4.4 % of a core per call analysed (Silero included). A first phrase set (with
"you've reached" and "at the tone") raised humans called machines on fresh and
holdout; they were removed on tune evidence (see PHRASES).
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from ringcast.telephony.channel import Pcm

PHRASES: Final[dict[str, float]] = {
    # phrase -> pocketsphinx keyword threshold (smaller: more hits, more false
    # alarms). The phrases are what voicemail greetings say in the field, not
    # the corpus's sentences. Chosen on the tune split only: on its clean English
    # calls, 1e-20 for every phrase fired on no person and on 8 / 20 machines;
    # 1e-30 on 15 / 20 machines, but "at the tone" fired on 4 / 30 people
    # ("Yeah?", "Hi.", "Hello?"). On tune's SNR 5-10 dB lines "you've reached" and
    # "at the tone" still fired on English people ("Hello, this is Mark
    # speaking.", "Hello? .. Hello?"): short phrases of short words look like
    # anything in noise, so they are out, as are single words.
    "leave a message": 1e-30,
    "leave your message": 1e-30,
    "leave me a message": 1e-30,
    "record your message": 1e-30,
    "not available": 1e-30,
    "you have reached": 1e-30,
    "can't come to the phone": 1e-30,
    "after the tone": 1e-15,
    "after the beep": 1e-15,
}

DEFAULT_CPU_BUDGET_S: Final = 0.35  # 5 % of a core over a 7 s analysis


class KeywordsUnavailable(RuntimeError):
    """pocketsphinx (the `kws` extra) is not installed."""


def available() -> bool:
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


class Spotter(Protocol):
    """What `AmdDetector` needs: queue audio, read the first hit, release."""

    @property
    def hit(self) -> str | None: ...
    def feed(self, frame: Pcm) -> None: ...
    def close(self) -> None: ...


_POOL: list[Any] = []
_POOL_LOCK = threading.Lock()
_KWS_FILE: dict[tuple[tuple[str, float], ...], str] = {}


def _kws_file(phrases: dict[str, float]) -> str:
    key = tuple(sorted(phrases.items()))
    if key not in _KWS_FILE:
        fd, path = tempfile.mkstemp(prefix="ringcast-kws-", suffix=".txt")
        with os.fdopen(fd, "w") as fh:
            fh.writelines(f"{p} /{t:g}/\n" for p, t in phrases.items())
        _KWS_FILE[key] = path
    return _KWS_FILE[key]


def _new_decoder(phrases: dict[str, float]) -> Any:
    try:
        from pocketsphinx import Decoder, get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise KeywordsUnavailable("pip install 'ringcast[kws]' for keyword spotting") from exc
    model = Path(get_model_path()) / "en-us"
    return Decoder(
        hmm=str(model / "en-us"),
        dict=str(model / "cmudict-en-us.dict"),
        kws=_kws_file(phrases),
        samprate=16000,
        loglevel="FATAL",
    )


def _take(phrases: dict[str, float]) -> Any:
    with _POOL_LOCK:
        for i, (key, decoder) in enumerate(_POOL):
            if key == tuple(sorted(phrases.items())):
                del _POOL[i]
                return decoder
    return _new_decoder(phrases)


def _give_back(phrases: dict[str, float], decoder: Any) -> None:
    with contextlib.suppress(Exception):
        decoder.end_utt()
    with _POOL_LOCK:
        _POOL.append((tuple(sorted(phrases.items())), decoder))


def upsample_2x(frame: Pcm, previous: int) -> np.ndarray[Any, np.dtype[np.int16]]:
    """8 -> 16 kHz by linear interpolation; `previous` is the last sample before `frame`."""
    x = frame.astype(np.float32)
    before = np.concatenate([[np.float32(previous)], x[:-1]])
    out = np.empty(2 * x.size, dtype=np.float32)
    out[0::2] = (before + x) / 2
    out[1::2] = x
    return out.astype(np.int16)


class KeywordSpotter:
    """Phrase spotting on 20 ms 8 kHz frames, inline (the caller's thread)."""

    def __init__(
        self,
        phrases: dict[str, float] | None = None,
        cpu_budget_s: float = DEFAULT_CPU_BUDGET_S,
    ) -> None:
        self._phrases = dict(PHRASES if phrases is None else phrases)
        self._decoder = _take(self._phrases)
        self._decoder.start_utt()
        self._previous = 0
        self._budget = cpu_budget_s
        self.cpu_s = 0.0
        self.over_budget = False
        self.hit: str | None = None
        self._closed = False
        weakref.finalize(self, _give_back, self._phrases, self._decoder)

    def feed(self, frame: Pcm) -> None:
        if self._closed or self.hit is not None or self.over_budget:
            return
        t0 = time.thread_time()
        pcm16 = upsample_2x(frame, self._previous)
        self._previous = int(frame[-1]) if frame.size else self._previous
        self._decoder.process_raw(pcm16.tobytes(), False, False)
        hyp = self._decoder.hyp()
        if hyp is not None and hyp.hypstr:
            self.hit = str(hyp.hypstr).strip()
        self.cpu_s += time.thread_time() - t0
        self.over_budget = self.cpu_s >= self._budget

    def feed_many(self, frames: Iterable[Pcm]) -> None:
        for frame in frames:
            self.feed(frame)

    def close(self) -> None:
        self._closed = True


MAX_BACKLOG_FRAMES: Final = 1500
"""Frames queued for the worker (30 s of audio over all calls) beyond which a call's
spotter gives up rather than queue more: a host too busy to decode loses the evidence,
never the media clock's time or unbounded memory."""


class KeywordWorker:
    """One low-priority thread decoding every call's queued audio, off the media clock."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[KeywordSpotter, Pcm] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ringcast-kws", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ringcast.kit.offload import lower_priority

        lower_priority()
        while (job := self._jobs.get()) is not None:
            spotter, frame = job
            spotter.feed(frame)

    @property
    def backlog(self) -> int:
        return self._jobs.qsize()

    def submit(self, spotter: KeywordSpotter, frame: Pcm) -> None:
        self._jobs.put((spotter, frame))

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=5)


_WORKER: KeywordWorker | None = None
_WORKER_LOCK = threading.Lock()


def worker() -> KeywordWorker:
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = KeywordWorker()
        return _WORKER


class ThreadedSpotter:
    """A `KeywordSpotter` fed by `KeywordWorker`: `feed` only queues the frame."""

    def __init__(self, spotter: KeywordSpotter | None = None) -> None:
        self.spotter = spotter or KeywordSpotter()
        self._worker = worker()

    @property
    def hit(self) -> str | None:
        return self.spotter.hit

    def feed(self, frame: Pcm) -> None:
        if self.spotter.over_budget:
            return
        if self._worker.backlog >= MAX_BACKLOG_FRAMES:
            self.spotter.over_budget = True  # too far behind: no evidence from this call
            return
        self._worker.submit(self.spotter, frame)

    def close(self) -> None:
        self.spotter.close()
