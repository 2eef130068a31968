from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ringcast.telephony.channel import LOST_FRAME, Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.media.timeline import Gap, InboundTimeline


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


def _receive(stream: RtpStream, packets: list[RtpPacket]) -> None:
    for packet in packets:
        stream.datagram_received(packet.serialize(), ("127.0.0.1", 40000))


def _listening_stream() -> tuple[RtpStream, list[Pcm]]:
    stream = RtpStream(MediaClock())
    stream._remote = ("127.0.0.1", 40000)
    stream._dtmf_payload_type = 101
    frames: list[Pcm] = []
    stream.add_listener(frames.append)
    return stream, frames


AUDIO = b"\x10" * 160  # µ-law 0x10: loud, never decoded to zero


def test_a_sequence_gap_reaches_listeners_as_lost_frames_and_dtx_as_silence() -> None:
    stream, frames = _listening_stream()
    _receive(
        stream,
        [
            RtpPacket(0, 10, 0, 5, AUDIO),
            RtpPacket(0, 13, 480, 5, AUDIO),  # seq 11, 12 lost: two frames lost
            RtpPacket(0, 14, 1280, 5, AUDIO, marker=True),  # DTX: 4 frames not sent
        ],
    )
    lost = [f is LOST_FRAME for f in frames]
    assert lost == [False, True, True, False, False, False, False, False, False]
    assert not frames[4].any() and frames[3].any()  # DTX silence is plain zeros


def test_lost_packets_sit_next_to_the_packet_unless_it_opens_a_talkspurt() -> None:
    # One packet lost and 3 frames not sent: after a marker (a new talkspurt), the
    # lost one ended the previous talkspurt; without, it led up to this packet.
    for marker, expected in (
        (True, [True, False, False, False]),
        (False, [False, False, False, True]),
    ):
        stream, frames = _listening_stream()
        _receive(stream, [RtpPacket(0, 1, 0, 5, AUDIO), RtpPacket(0, 3, 800, 5, AUDIO, marker)])
        assert [f is LOST_FRAME for f in frames[1:5]] == expected


def test_telephone_events_take_sequence_numbers_without_a_loss() -> None:
    stream, frames = _listening_stream()
    event = bytes([1, 0x0A, 0x01, 0x40])  # digit 1, 320 samples
    _receive(
        stream,
        [
            RtpPacket(0, 1, 0, 5, AUDIO),
            RtpPacket(101, 2, 160, 5, event),
            RtpPacket(101, 3, 160, 5, event),
            RtpPacket(0, 4, 480, 5, AUDIO),  # audio resumes after the event: nothing lost
        ],
    )
    assert len(frames) == 4 and not any(f is LOST_FRAME for f in frames)


def test_lost_frames_with_odd_packet_sizes_only_where_whole_frames_were_lost() -> None:
    stream, frames = _listening_stream()
    audio30 = b"\x10" * 240
    _receive(
        stream,
        [RtpPacket(0, 1, 0, 5, audio30), RtpPacket(0, 4, 720, 5, audio30)],  # seq 2, 3 lost
    )
    # samples 240..720 lost: only the frames 320..480 and 480..640 lie wholly inside
    assert [f is LOST_FRAME for f in frames] == [False, False, True, True, False, False]


def test_place_packet_counts_lost_samples() -> None:
    t = InboundTimeline()
    assert t.place_packet(7, 0, 160, seq=100) == Gap(0)
    assert t.place_packet(7, 480, 160, seq=103) == Gap(320, 320, False)
    assert t.place_packet(7, 2000, 160, seq=104) == Gap(1360, 0, False)  # DTX only
    assert t.place_packet(7, 4000, 160, seq=106, marker=True) == Gap(1840, 160, True)
    assert t.place_packet(7, 4160, 160, seq=107) == Gap(0)
