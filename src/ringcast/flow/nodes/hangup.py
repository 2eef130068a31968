"""The `hangup` node: end the call."""

from __future__ import annotations

from typing import ClassVar, Literal

from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import StrictModel


class HangupConfig(StrictModel):
    """`reason` (default `completed`), `hangupType` (default `normal`)."""

    reason: str = "completed"
    hangupType: str = "normal"


class HangupNode(NodeModel):
    TERMINAL: ClassVar = True

    type: Literal["hangup"]
    config: HangupConfig = HangupConfig()

    def enter(self, run: NodeRun) -> str | None:
        cfg = self.config
        run.log("hangup", {"reason": cfg.reason, "hangupType": cfg.hangupType})
        run.finish(reason=cfg.reason, hangup=cfg.hangupType)
        return None
