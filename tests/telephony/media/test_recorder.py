from __future__ import annotations

import io
import wave

import numpy as np

from ringcast.telephony.channel import Pcm, RecordingDone, RecordRequest
from ringcast.telephony.media.recorder import Recorder, beep_clip, wav_bytes


def voice(ms: int, amp: int = 4000) -> Pcm:
    t = np.arange(ms * 8) / 8000
    return (amp * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def silence(ms: int) -> Pcm:
    return np.zeros(ms * 8, dtype=np.int16)


def feed(rec: Recorder, pcm: Pcm) -> None:
    for i in range(0, pcm.size, 160):
        rec.feed(pcm[i : i + 160])


def test_max_duration_cuts_exactly() -> None:
    done: list[RecordingDone] = []
    rec = Recorder(RecordRequest(max_duration_ms=1010, silence_timeout_ms=0), done.append)
    feed(rec, voice(3000))
    assert len(done) == 1
    assert done[0].reason == "max_duration"
    assert done[0].duration_ms == 1010
    assert done[0].audio.size == 8080


def test_silence_timeout_trims_trailing_silence() -> None:
    rec = Recorder(RecordRequest(silence_timeout_ms=500))
    feed(rec, np.concatenate([silence(200), voice(700), silence(2000)]))
    assert rec.result is not None
    assert rec.result.reason == "silence"
    assert rec.result.duration_ms == 900
    assert rec.recorded_ms == 1400  # it stopped 500 ms into the silence


def test_silence_from_the_start() -> None:
    rec = Recorder(RecordRequest(silence_timeout_ms=300))
    feed(rec, silence(1000))
    assert rec.result is not None
    assert rec.result.reason == "silence"
    assert rec.result.duration_ms == 0


def test_finish_on_key() -> None:
    rec = Recorder(RecordRequest(finish_on_key="#*"))
    feed(rec, voice(400))
    rec.on_digit("1")
    assert not rec.done
    rec.on_digit("#")
    feed(rec, voice(400))  # ignored once done
    assert rec.result is not None
    assert (rec.result.reason, rec.result.duration_ms) == ("finish_key", 400)


def test_no_finish_key_ignores_digits() -> None:
    rec = Recorder(RecordRequest(finish_on_key=None))
    rec.on_digit("#")
    assert not rec.done


def test_stop_and_hangup_return_first_result() -> None:
    done: list[RecordingDone] = []
    rec = Recorder(RecordRequest(), done.append)
    feed(rec, voice(300))
    first = rec.stop("hangup")
    assert (first.reason, first.duration_ms) == ("hangup", 300)
    assert rec.stop("stopped") is first
    assert len(done) == 1


def test_beep_clip_is_a_1khz_tone() -> None:
    beep = beep_clip()
    assert beep.size == 1600
    spectrum = np.abs(np.fft.rfft(beep))
    assert abs(int(spectrum.argmax()) * 8000 / beep.size - 1000) < 10
    assert beep[0] == 0
    assert np.abs(beep).max() > 9000


def test_wav_bytes_round_trip() -> None:
    pcm = voice(250)
    with wave.open(io.BytesIO(wav_bytes(pcm))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2"), pcm)
