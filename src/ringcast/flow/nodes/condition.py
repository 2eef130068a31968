"""The `condition` node: evaluate an expression (`ringcast.flow.conditions`), branch."""

from __future__ import annotations

from typing import ClassVar, Literal

from ringcast.flow.conditions import ConditionError, ConditionExpr, evaluate
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.run import NodeRun


class ConditionNode(NodeModel):
    """Completes at once: onTrue / onFalse, onError if a side cannot be compared."""

    OUTPUTS: ClassVar = ("onTrue", "onFalse", "onError")

    type: Literal["condition"]
    config: ConditionExpr

    def enter(self, run: NodeRun) -> str | None:
        try:
            result = evaluate(self.config, run.read)
        except ConditionError as exc:
            run.st.last_error = exc.code
            run.log("condition_evaluated", {"error": exc.code, "message": str(exc)})
            return "onError"
        run.log("condition_evaluated", {"result": result})
        return "onTrue" if result else "onFalse"
