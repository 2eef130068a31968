"""The receive path never raises, and the recorder works on a real stream pair."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringcast.telephony.channel import DigitSource, Pcm, RecordingDone, RecordRequest
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.recorder import Recorder
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.stream import RtpStream

REMOTE = ("127.0.0.1", 40000)


def offline_stream() -> RtpStream:
    """A stream that was never opened: only its pure receive logic is exercised."""
    stream = RtpStream(MediaClock())
    stream._remote = REMOTE  # set_remote would start the clock, which needs a loop
    stream._dtmf_payload_type = 101
    return stream


rtp_like = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda pt, payload, cc, pad: (
            bytes([0x80 | cc | (0x20 if pad else 0), pt]) + bytes(10) + payload
        ),
        st.sampled_from([0, 8, 101, 13]),
        st.binary(max_size=200),
        st.integers(0, 15),
        st.booleans(),
    ),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rtp_like, max_size=20))
def test_random_datagrams_never_raise(datagrams: list[bytes]) -> None:
    stream = offline_stream()
    frames: list[Pcm] = []
    digits: list[str] = []
    stream.add_listener(frames.append)
    stream.enable_inband_dtmf(True)
    stream.on_dtmf = lambda d, s: digits.append(d)
    for data in datagrams:
        stream.datagram_received(data, REMOTE)
        stream.datagram_received(data, ("127.0.0.1", 40001))
    s = stream.stats
    assert s.dropped_source == len(datagrams)
    # every datagram is accounted for (a payload found malformed after its header
    # was accepted counts as received and malformed)
    assert s.packets_received + s.dropped_payload_type + s.malformed >= len(datagrams)
    assert s.packets_received + s.dropped_payload_type <= len(datagrams)


def test_event_packets_deduplicated_on_receive() -> None:
    stream = offline_stream()
    got: list[tuple[str, DigitSource]] = []
    stream.on_dtmf = lambda d, s: got.append((d, s))
    packets = [
        *[(800, "03000050"), (800, "030000a0"), (800, "038000f0"), (800, "038000f0")],
        *[(800, "038000f0"), (2400, "0b0000a0"), (2400, "0b8001e0"), (2400, "0b8001e0")],
    ]
    for seq, (ts, payload) in enumerate(packets):
        pkt = RtpPacket(101, seq, ts, 7, bytes.fromhex(payload))
        stream.datagram_received(pkt.serialize(), REMOTE)
    assert got == [("3", "rfc4733"), ("#", "rfc4733")]


async def test_codec_switch_mid_prompt_keeps_position() -> None:
    clock = MediaClock()
    a = await RtpStream.open(clock)
    b = await RtpStream.open(clock)
    try:
        a.set_remote("127.0.0.1", b.local_port, 0, None)
        b.set_remote("127.0.0.1", a.local_port, 0, None)
        received: list[Pcm] = []
        b.add_listener(received.append)
        # frame k is a 300 Hz tone of level 3000 + 500 k: the level says which frame it is
        t = np.arange(160) / 8000
        tone = np.sin(2 * np.pi * 300 * t)
        frames = [(3000 + 500 * k) * tone for k in range(40)]
        done = a.play([np.concatenate(frames).astype(np.int16)])
        await asyncio.sleep(0.2)
        # re-INVITE: now PCMA (a frame in flight during the switch may be dropped)
        a.set_remote("127.0.0.1", b.local_port, 8, None)
        b.set_remote("127.0.0.1", a.local_port, 8, None)
        assert await asyncio.wait_for(done, 2) is True
        await asyncio.sleep(0.06)
    finally:
        a.close()
        b.close()
        clock.close()
    mean_tone = float(np.abs(tone).mean())
    levels = [float(np.abs(f).mean()) / mean_tone for f in received]
    indices = [round((level - 3000) / 500) for level in levels if level > 2000]
    assert indices[-1] == 39  # the prompt ran to its end, decoded with the new codec
    assert all(b > a for a, b in itertools.pairwise(indices))  # no restart, no repeat
    assert len(indices) >= 39  # at most the frame in flight lost


async def test_recorder_on_a_stream_pair_with_finish_key() -> None:
    clock = MediaClock()
    a = await RtpStream.open(clock)
    b = await RtpStream.open(clock)
    done: list[RecordingDone] = []
    recorder = Recorder(RecordRequest(finish_on_key="#", silence_timeout_ms=5000), done.append)
    try:
        a.set_remote("127.0.0.1", b.local_port, 0, 101)
        b.set_remote("127.0.0.1", a.local_port, 0, 101)
        t = np.arange(8000) / 8000
        speech = (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
        b.add_listener(recorder.feed)
        b.on_dtmf = lambda digit, source: recorder.on_digit(digit)
        await asyncio.wait_for(a.play([speech]), 2)
        await asyncio.wait_for(a.send_dtmf("#"), 2)
        await asyncio.sleep(0.06)
    finally:
        a.close()
        b.close()
        clock.close()
    assert len(done) == 1
    assert done[0].reason == "finish_key"
    assert 1000 <= done[0].duration_ms <= 1400  # the second of speech plus a little silence


def test_listeners_get_20ms_frames_across_gaps_and_odd_packet_sizes() -> None:
    """A 40 ms packet, two lost packets and a 10 ms packet still reach listeners
    (AMD, recorder) as 160-sample frames, with no sample lost or invented."""
    stream = offline_stream()
    frames: list[Pcm] = []
    stream.add_listener(frames.append)
    mulaw_of_zero = b"\xff"
    sent = [(0, 160), (160, 320), (800, 160), (960, 80), (1040, 80)]  # ts 480..800 lost
    for seq, (ts, n) in enumerate(sent):
        stream.datagram_received(RtpPacket(0, seq, ts, 7, mulaw_of_zero * n).serialize(), REMOTE)
    assert {f.size for f in frames} == {160}
    assert sum(f.size for f in frames) == 1120  # 0..1120 in samples: gap filled, none extra
