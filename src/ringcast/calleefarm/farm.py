"""`CalleeFarm`: a SIP endpoint on loopback answering every INVITE by script.

Each INVITE gets a task: look up the dialed number's `Behaviour`, refuse it
(486/603/480), let it ring until cancelled, or answer through the same
`SipChannel` the dialer uses (so RTP, SDP and DTMF are the production code
paths), say the callee's greeting, and type keys whenever a prompt ends.
What happened is kept as a `CalleeRecord` per call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ringcast.audio.decode import decode_audio
from ringcast.calleefarm.behaviour import Behaviour, BehaviourBook
from ringcast.calleefarm.listening import PromptListener
from ringcast.telephony.channel import Pcm, RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.dtmf_inband import dtmf_tone
from ringcast.telephony.sip.call import SipCall
from ringcast.telephony.sip.channel import MediaStream, SipChannel, rtp_media
from ringcast.telephony.sip.config import TrunkConfig
from ringcast.telephony.sip.ua import UserAgent

log = logging.getLogger("ringcast.calleefarm")

# how long an unanswered call rings before the "network" gives up (480), like a
# carrier's no-answer timer; also ends rings whose caller died without a CANCEL
NO_ANSWER_CAP_S = 45.0
CALL_CAP_S = 600.0


@cache
def voice(name: str) -> Pcm:
    path = resources.files("ringcast") / "assets" / "callee" / f"{name}.wav"
    return decode_audio(path.read_bytes()).pcm


@dataclass
class CalleeRecord:
    number: str
    call_id: str
    behaviour: Behaviour
    started_at: float
    answered: bool = False
    refused_with: int | None = None
    keys_typed: list[str] = field(default_factory=list)
    prompts_heard: int = 0
    hung_up_by: str | None = None
    greeting_ms: int | None = None
    message_start_ms: int | None = None  # when our first sound came after the greeting
    ended_at: float | None = None
    last_heard_at: float | None = None  # the caller's last audio frame (monotonic)

    @property
    def caller_left_at(self) -> float | None:
        """When the caller was last there: its last audio for an answered call
        (a caller that died sends nothing more, though we notice only later)."""
        if self.answered and self.last_heard_at is not None:
            return min(self.last_heard_at, self.ended_at or self.last_heard_at)
        return self.ended_at


class CalleeFarm:
    def __init__(
        self,
        book: BehaviourBook | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: MediaClock | None = None,
    ) -> None:
        self.book = book or BehaviourBook()
        self.host = host
        self.port = port
        self.clock = clock or MediaClock()
        self.records: list[CalleeRecord] = []
        self._ua: UserAgent | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int]:
        if self._ua is None or self._ua.transport is None:
            raise RuntimeError("start() the farm first")
        return self._ua.transport.local_host, self._ua.transport.local_port

    async def start(self) -> None:
        config = TrunkConfig(
            host=self.host,
            port=5060,
            local_host=self.host,
            local_port=self.port,
            allowed_peers=frozenset({self.host}),
            user_agent="ringcast-callee-farm",
        )
        self._ua = await UserAgent.start(config)
        self._ua.on_invite = self._on_invite

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ua is not None:
            self._ua.hangup_all()
            self._ua.close()

    def records_for(self, number: str) -> list[CalleeRecord]:
        key = number.lstrip("+")
        return [r for r in self.records if r.number.lstrip("+") == key]

    def _on_invite(self, call: SipCall) -> None:
        number = call.dialed_user or ""
        record = CalleeRecord(number, call.call_id, self.book.next_for(number), time.monotonic())
        self.records.append(record)
        self._spawn(self._run(call, record))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, call: SipCall, record: CalleeRecord) -> None:
        behaviour = record.behaviour
        try:
            refusals = {
                "busy": (486, "Busy Here"),
                "reject": (603, "Decline"),
                "unavailable": (480, "Temporarily Unavailable"),
            }
            if behaviour.kind in refusals:
                status, reason = refusals[behaviour.kind]
                record.refused_with = status
                call.reject(status, reason)
                return
            streams: list[MediaStream] = []
            opener = rtp_media(self.clock, self.host)

            async def open_media() -> MediaStream:
                stream = await opener()
                streams.append(stream)
                return stream

            # a caller whose RTP stops (its process died) is hung up, as a phone would
            channel = SipChannel.inbound(
                self._ua_or_fail(), call, open_media, inband_dtmf=False, media_timeout_ms=4000
            )
            call.ring()
            if behaviour.kind == "no_answer":
                if await self._until_hangup(channel, NO_ANSWER_CAP_S):
                    record.hung_up_by = "caller"
                else:
                    call.reject(480, "Temporarily Unavailable")
                    record.refused_with, record.hung_up_by = 480, "network"
                return
            await asyncio.sleep(behaviour.ring_ms / 1000)
            await channel.answer()
            if not streams:
                record.hung_up_by = "caller"  # cancelled while ringing
                return
            record.answered = True
            await self._converse(channel, streams[0], record)
        except Exception:
            log.exception("callee %s: script failed", record.number)
        finally:
            record.ended_at = time.monotonic()

    def _ua_or_fail(self) -> UserAgent:
        assert self._ua is not None
        return self._ua

    async def _converse(
        self, channel: SipChannel, stream: MediaStream, record: CalleeRecord
    ) -> None:
        behaviour = record.behaviour
        loop = asyncio.get_running_loop()
        greeting = voice(behaviour.voice)
        record.greeting_ms = len(greeting) // 8
        pending = list(behaviour.digits)

        def prompt_ended() -> None:
            record.prompts_heard += 1
            if behaviour.kind == "human" and pending:
                keys = pending.pop(0)
                if keys:
                    self._spawn(self._type(channel, stream, keys, behaviour, record))

        listener = PromptListener(prompt_ended)

        def heard(frame: Pcm) -> None:
            record.last_heard_at = time.monotonic()
            listener(frame)

        stream.add_listener(heard)
        await channel.play([greeting])
        if behaviour.hangup_after_ms is not None:
            loop.call_later(behaviour.hangup_after_ms / 1000, self._hang_up, channel, record)
        if not await self._until_hangup(channel, CALL_CAP_S):
            await channel.hangup("cap")
        stream.remove_listener(heard)
        if listener.first_sound_ms is not None and behaviour.kind == "machine":
            record.message_start_ms = listener.first_sound_ms
        if record.hung_up_by is None:
            record.hung_up_by = "caller"

    def _hang_up(self, channel: SipChannel, record: CalleeRecord) -> None:
        if record.hung_up_by is None:
            record.hung_up_by = "callee"
            self._spawn(channel.hangup("callee_script"))

    async def _type(
        self,
        channel: SipChannel,
        stream: MediaStream,
        keys: str,
        behaviour: Behaviour,
        record: CalleeRecord,
    ) -> None:
        for key in keys:
            record.keys_typed.append(key)
            if behaviour.dtmf == "inband":
                tone = dtmf_tone(key, 200)  # long enough to survive a late packet or two
                await channel.play([np.concatenate([tone, np.zeros(800, dtype=np.int16)])])
            else:
                send = getattr(stream, "send_dtmf", None)
                if send is not None:
                    await send(key, 160)
            await asyncio.sleep(0.15)

    async def _until_hangup(self, channel: SipChannel, cap_s: float) -> bool:
        """True once the caller hangs up; False if `cap_s` passes first."""
        try:
            async with asyncio.timeout(cap_s):
                while not isinstance(await channel.next_event(), RemoteHangup):
                    pass
        except TimeoutError:
            return False
        return True
