from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.media.timeline import InboundTimeline


def test_in_order_lost_late_and_new_ssrc() -> None:
    t = InboundTimeline()
    assert t.place(7, 1000, 160) == 0
    assert t.place(7, 1160, 160) == 0
    assert t.place(7, 1480, 160) == 160  # one packet lost: one frame of silence first
    assert t.place(7, 1320, 160) is None  # the lost one, arriving late: dropped
    assert t.place(7, 1480, 160) is None  # duplicate
    assert t.place(9, 5, 160) == 0  # far end restarted its stream
    assert t.place(9, 165, 160) == 0


def test_wraparound_and_cap() -> None:
    t = InboundTimeline(max_fill_ms=100)
    assert t.place(1, 0xFFFFFF00, 160) == 0
    assert t.place(1, (0xFFFFFF00 + 160) & 0xFFFFFFFF, 160) == 0
    assert t.place(1, 10**6, 160) == 800  # a wild jump fills at most 100 ms


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 320)), max_size=60))
def test_delivered_samples_follow_the_timestamps(steps: list[tuple[int, int]]) -> None:
    # packets in order with random losses: delivered + filled == timestamp span
    t = InboundTimeline()
    ts = 12345
    delivered = 0
    first = None
    for lost, size in steps:
        ts += lost * 160  # `lost` frames went missing before this packet
        fill = t.place(3, ts & 0xFFFFFFFF, size)
        assert fill is not None
        if first is None:
            first = ts
            assert fill == 0
        delivered += fill + size
        ts += size
    assert delivered == (ts - first if first is not None else 0)


def test_stream_fills_loss_for_listeners() -> None:
    stream = RtpStream(MediaClock())
    stream._remote = ("127.0.0.1", 40000)
    frames: list[Pcm] = []
    stream.add_listener(frames.append)
    for seq, ts in enumerate([0, 160, 480, 320, 640]):
        data = RtpPacket(0, seq, ts, 77, b"\x00" * 160).serialize()
        stream.datagram_received(data, ("127.0.0.1", 40000))
    sizes = [f.size for f in frames]
    assert sizes == [160, 160, 160, 160, 160]  # the third is the filled silence
    assert not frames[2].any()
    assert frames[3].any()
    assert stream.stats.late == 1
