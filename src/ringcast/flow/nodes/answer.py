"""The `answer` node: pick up an inbound call."""

from __future__ import annotations

from typing import ClassVar, Literal

from ringcast.flow.events import Answer
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import StrictModel


class AnswerConfig(StrictModel):
    """No settings (inbound calls)."""


class AnswerNode(NodeModel):
    """Inbound only (an outbound call takes onError); already answered → onSuccess."""

    OUTPUTS: ClassVar = ("onSuccess", "onError")

    type: Literal["answer"]
    config: AnswerConfig = AnswerConfig()

    def enter(self, run: NodeRun) -> str | None:
        st = run.st
        if st.call_status == "answered" and st.ctx.direction == "inbound":
            return "onSuccess"
        if st.ctx.direction != "inbound" or st.call_status != "idle":
            return run.error("answer_not_possible", callStatus=st.public_status)
        st.move_call("answer")
        st.waiting = "answer"
        run.out.append(Answer())
        return None
