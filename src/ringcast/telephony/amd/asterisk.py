"""A straight port of Asterisk's `AMD()` (app_amd.c), the baseline we measure against.

Silence is Asterisk's DSP rule: a frame whose mean absolute amplitude is below
`silence_threshold` is silent, and `silenceDuration` is the run of silent
audio so far. Then, per frame, exactly the rules of app_amd.c in its order:
total time → NOTSURE/TOOLONG; on silence, the between-words reset, initial
silence → MACHINE/INITIALSILENCE, after-greeting silence → HUMAN; on voice,
word counting, maximum word length → MACHINE/MAXWORDLENGTH, words reaching
the maximum → MACHINE/MAXWORDS, voice ≥ greeting → MACHINE/LONGGREETING.
Defaults are Asterisk's current ones (`amd.conf` sample), including
`maximum_number_of_words = 2`. Not used on live calls: it is here so the
benchmark can print our numbers next to Asterisk's on the same audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringcast.telephony.amd.detector import AmdResult, AmdVerdict
from ringcast.telephony.amd.frames import FRAME_MS
from ringcast.telephony.channel import Pcm


@dataclass(frozen=True, slots=True)
class AsteriskAmdSettings:
    initial_silence_ms: int = 2500
    greeting_ms: int = 1500
    after_greeting_silence_ms: int = 800
    total_analysis_ms: int = 5000
    min_word_length_ms: int = 100
    between_words_silence_ms: int = 50
    maximum_number_of_words: int = 2
    silence_threshold: int = 256
    maximum_word_length_ms: int = 5000


_RESULTS: dict[str, AmdResult] = {"HUMAN": "human", "MACHINE": "machine", "NOTSURE": "unknown"}


class AsteriskAmd:
    """Same `feed` contract as `AmdDetector`; reasons are Asterisk's AMDCAUSE words."""

    def __init__(self, settings: AsteriskAmdSettings | None = None) -> None:
        self.s = settings or AsteriskAmdSettings()
        self.verdict: AmdVerdict | None = None
        self._total = 0
        self._dsp_silence = 0  # ast_dsp_silence's running total of silent ms
        self._silence = 0
        self._consecutive_voice = 0
        self._voice = 0
        self._words = 0
        self._in_word = False
        self._in_initial_silence = True
        self._in_greeting = False

    def feed(self, frame: Pcm) -> AmdVerdict | None:
        if self.verdict is not None:
            return None
        status = self._step(frame)
        if status is None:
            return None
        self.verdict = AmdVerdict(_RESULTS[status[0]], status[1], self._total, None)
        return self.verdict

    def _step(self, frame: Pcm) -> tuple[str, str] | None:
        s = self.s
        self._total += FRAME_MS
        if self._total >= s.total_analysis_ms:
            return ("NOTSURE", "TOOLONG")
        silent = float(np.mean(np.abs(frame.astype(np.int32)))) < s.silence_threshold
        self._dsp_silence = self._dsp_silence + FRAME_MS if silent else 0
        if silent:
            self._silence = self._dsp_silence
            if self._silence >= s.between_words_silence_ms:
                self._in_word = False
                self._consecutive_voice = 0
            if self._in_initial_silence and self._silence >= s.initial_silence_ms:
                return ("MACHINE", "INITIALSILENCE")
            if self._silence >= s.after_greeting_silence_ms and self._in_greeting:
                return ("HUMAN", "HUMAN")
            return None
        self._consecutive_voice += FRAME_MS
        self._voice += FRAME_MS
        if self._consecutive_voice >= s.min_word_length_ms and not self._in_word:
            self._words += 1
            self._in_word = True
        if self._consecutive_voice >= s.maximum_word_length_ms:
            return ("MACHINE", "MAXWORDLENGTH")
        if self._words >= s.maximum_number_of_words:
            return ("MACHINE", "MAXWORDS")
        if self._in_greeting and self._voice >= s.greeting_ms:
            return ("MACHINE", "LONGGREETING")
        if self._voice >= s.min_word_length_ms:
            self._silence = 0
        if self._consecutive_voice >= s.min_word_length_ms and not self._in_greeting:
            self._in_initial_silence = False
            self._in_greeting = True
        return None
