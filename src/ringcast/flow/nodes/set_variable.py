"""The `set_variable` node: store a value in a flow variable."""

from __future__ import annotations

from typing import ClassVar, Literal

from ringcast.flow.context import MISSING
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import StrictModel, ValueSource, VariableName


class SetVariableConfig(StrictModel):
    variable: VariableName
    value: ValueSource


class SetVariableNode(NodeModel):
    """Completes at once; a value that is not there takes onError."""

    OUTPUTS: ClassVar = ("onSuccess", "onError")

    type: Literal["set_variable"]
    config: SetVariableConfig

    def enter(self, run: NodeRun) -> str | None:
        value = run.read(self.config.value)
        if value is MISSING:
            return run.error("value_missing", variable=self.config.variable)
        run.st.variables[self.config.variable] = value
        run.log("variable_set", {"variable": self.config.variable, "value": value})
        return "onSuccess"
