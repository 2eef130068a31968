"""The `record` node: record the callee (voicemail-style)."""

from __future__ import annotations

from typing import ClassVar, Final, Literal

from pydantic import Field, field_validator

from ringcast.flow.events import StartRecording
from ringcast.flow.nodes.base import NodeModel, check_keys
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import StrictModel, VariableName
from ringcast.telephony.channel import RecordRequest

RECORD_GRACE_MS: Final = 10_000
"""A record node fails (onError) if the channel says nothing this long after maxDuration."""


class RecordConfig(StrictModel):
    """Defaults: maxDuration 60000 ms, silenceTimeout 5000 ms, beep true, no
    finishOnKey; `variable` receives the recording id."""

    variable: VariableName | None = None
    maxDuration: int = Field(60000, ge=1)
    silenceTimeout: int = Field(5000, ge=0)
    beep: bool = True
    finishOnKey: str | None = None

    @field_validator("finishOnKey")
    @classmethod
    def _keys(cls, value: str | None) -> str | None:
        return None if value is None else check_keys(value, "finishOnKey")


class RecordNode(NodeModel):
    """Needs a live call (else onError `not_connected`)."""

    OUTPUTS: ClassVar = ("onComplete", "onTimeout", "onError")

    type: Literal["record"]
    config: RecordConfig = RecordConfig()

    def enter(self, run: NodeRun) -> str | None:
        if run.st.call_status != "answered":
            return run.error("not_connected")
        cfg = self.config
        run.st.waiting = "record"
        run.out.append(
            StartRecording(
                RecordRequest(
                    max_duration_ms=cfg.maxDuration,
                    silence_timeout_ms=cfg.silenceTimeout,
                    beep=cfg.beep,
                    finish_on_key=cfg.finishOnKey,
                )
            )
        )
        run.arm(cfg.maxDuration + RECORD_GRACE_MS)
        run.log("recording_started", {"maxDurationMs": cfg.maxDuration})
        return None
