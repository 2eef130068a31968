"""The `dial` node: place the outbound call, AMD routes human / machine."""

from __future__ import annotations

from typing import ClassVar, Final, Literal

from pydantic import Field

from ringcast.flow.events import Dial
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import StrictModel
from ringcast.telephony.channel import AmdSettings, DialRequest

DIAL_GRACE_MS: Final = 10_000
"""A dial fails (`dial_timeout`, onError) if the channel reports nothing this long
after the ring timeout plus the AMD analysis (and beep wait) could take."""


class AmdConfig(StrictModel):
    """AMD tuning (ours), in ms, mirroring `telephony.channel.AmdSettings`.

    Defaults (those of `telephony.channel.AmdSettings`): initialSilence 6000,
    greeting 4500 (ms of speech), greetingSpan 5000 (a greeting still going this
    long after its first word, pauses included, is a machine; 0 turns the rule
    off), afterGreetingSilence 920, totalAnalysisTime 6000, minWordLength 100,
    betweenWordsSilence 50, maximumWords 8, silenceThreshold 32
    (totalAnalysisTime counts from the first word, at most initialSilence later
    than from answer); `unknownRoute` (the output taken when AMD cannot decide) defaults
    to `onAnswer`. `keywords` (`auto` | `on` | `off`): spot voicemail phrases in
    US English ("leave a message", "after the tone", ...) as evidence for a
    machine only; `auto` (default) spots them when `language` (the callee's
    language, BCP 47, e.g. `en-US`; unset: unknown) is English. It needs the
    `ringcast[kws]` extra (pocketsphinx) and does nothing without it.
    """

    initialSilence: int = Field(6000, ge=0)
    greeting: int = Field(4500, ge=0)
    greetingSpan: int = Field(5000, ge=0)
    afterGreetingSilence: int = Field(920, ge=0)
    totalAnalysisTime: int = Field(6000, ge=0)
    minWordLength: int = Field(100, ge=0)
    betweenWordsSilence: int = Field(50, ge=0)
    maximumWords: int = Field(8, ge=1)
    silenceThreshold: int = Field(32, ge=0, le=32767)
    unknownRoute: Literal["onAnswer", "onVoicemail", "onError"] = "onAnswer"
    keywords: Literal["auto", "on", "off"] = "auto"
    language: str | None = Field(None, min_length=2, max_length=35, pattern=r"^[A-Za-z0-9-]+$")

    @property
    def spot_keywords(self) -> bool:
        if self.keywords == "auto":
            return (self.language or "").lower().split("-")[0] == "en"
        return self.keywords == "on"


class DialConfig(StrictModel):
    """`timeout` ring ms (default 30000); `enableAMD` (default true); `waitForBeep`
    (default false): on a machine, route to onVoicemail only after its greeting."""

    timeout: int = Field(30000, ge=1)
    enableAMD: bool = True
    amd: AmdConfig = AmdConfig()
    waitForBeep: bool = False


class DialNode(NodeModel):
    """Outbound only, on a call not yet placed (else onError)."""

    OUTPUTS: ClassVar = ("onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError")

    type: Literal["dial"]
    config: DialConfig = DialConfig()

    def enter(self, run: NodeRun) -> str | None:
        st = run.st
        if st.ctx.direction != "outbound" or st.call_status != "idle":
            return run.error("dial_not_possible", callStatus=st.public_status)
        to = st.ctx.callee_number
        if to is None:
            return run.error("no_phone_number")
        cfg = self.config
        amd = cfg.amd
        request = DialRequest(
            to=to,
            from_=st.ctx.from_number,
            timeout_ms=cfg.timeout,
            enable_amd=cfg.enableAMD,
            amd=AmdSettings(
                initial_silence_ms=amd.initialSilence,
                greeting_ms=amd.greeting,
                greeting_span_ms=amd.greetingSpan,
                after_greeting_silence_ms=amd.afterGreetingSilence,
                total_analysis_ms=amd.totalAnalysisTime,
                min_word_length_ms=amd.minWordLength,
                between_words_silence_ms=amd.betweenWordsSilence,
                maximum_words=amd.maximumWords,
                silence_threshold=amd.silenceThreshold,
                keywords=amd.spot_keywords,
            ),
            wait_for_beep=cfg.waitForBeep,
        )
        st.move_call("dial")
        st.waiting = "dial"
        st.trace.call.dialed_at = run.at
        run.out.append(Dial(request))
        analysis_ms = amd.totalAnalysisTime if cfg.enableAMD else 0
        beep_ms = request.wait_for_beep_cap_ms if cfg.waitForBeep else 0
        run.arm(cfg.timeout + analysis_ms + beep_ms + DIAL_GRACE_MS)
        run.log("dial_started", {"to": to, "from": st.ctx.from_number, "timeoutMs": cfg.timeout})
        return None
