"""Receive-path CPU with the in-band DTMF detector always on vs gated off.

    .venv/bin/python bench/dtmf_gating.py [--calls 50] [--seconds 60] [--rounds 5]

Each call is an `RtpStream` receiving 20 ms PCMU packets (50 a second) of a
real callee's speech with its pauses (tests/telephony/sipp/assets/
callee_human.ulaw, looped), and, as a second case, of pure silence. Packets are
built once and handed to `RtpStream.datagram_received`, the per-packet receive
path after `recvfrom` (the syscall costs the same in both modes and is left
out). The streams take turns packet by packet, as calls do. Modes, measured in
the same run, round by round interleaved (median of rounds):

- always: `enable_inband_dtmf(True)` for the whole call (before gating: every
  inbound frame decoded and run through the Goertzel detector);
- gated: `enable_inband_dtmf(False)`, what a call gets while its flow does not
  listen for keys (the packet is only kept for the detector's 80 ms pre-roll).

Printed: CPU microseconds per call per second of audio for each mode, the cores
500 such calls would need, and always / gated.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from ringcast.audio.g711 import ulaw_encode
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.stream import RtpStream

SPEECH = Path(__file__).resolve().parents[1] / "tests/telephony/sipp/assets/callee_human.ulaw"
REMOTE = ("127.0.0.1", 40000)
FRAME = 160


def packets(audio: bytes, seconds: int) -> list[bytes]:
    count = seconds * 50
    reps = -(-count * FRAME // len(audio))
    looped = (audio * reps)[: count * FRAME]
    return [
        RtpPacket(0, i & 0xFFFF, i * FRAME, 7, looped[i * FRAME : (i + 1) * FRAME]).serialize()
        for i in range(count)
    ]


def stream(inband: bool) -> RtpStream:
    s = RtpStream(MediaClock())
    s._remote = REMOTE  # set_remote would register with the clock (needs a loop)
    s.on_dtmf = lambda digit, source: None
    s.enable_inband_dtmf(inband)
    return s


def run(calls: int, pkts: list[bytes], inband: bool) -> float:
    """CPU seconds for `calls` streams to receive `pkts` each."""
    streams = [stream(inband) for _ in range(calls)]
    receivers = [s.datagram_received for s in streams]
    started = time.process_time()
    for data in pkts:
        for receive in receivers:
            receive(data, REMOTE)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = {
        "speech": SPEECH.read_bytes(),
        "silence": ulaw_encode(np.zeros(FRAME * 50, dtype=np.int16)),
    }
    call_seconds = args.calls * args.seconds
    print(f"{args.calls} calls x {args.seconds} s of audio, {args.rounds} rounds (median)")
    print(f"{'audio':8} {'mode':7} {'us/call/s':>10} {'cores@500':>10}")
    for name, audio in cases.items():
        pkts = packets(audio, args.seconds)
        cpu: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.rounds):
            for inband in (True, False):
                cpu[inband].append(run(args.calls, pkts, inband))
        per: dict[bool, float] = {}
        for inband, mode in ((True, "always"), (False, "gated")):
            per[inband] = statistics.median(cpu[inband]) / call_seconds * 1e6
            print(f"{name:8} {mode:7} {per[inband]:10.1f} {per[inband] * 500 / 1e6:10.3f}")
        print(f"{name:8} always/gated = {per[True] / per[False]:.1f}x")


if __name__ == "__main__":
    main()
