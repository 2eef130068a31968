"""ringcast flow engine: graph model, validation, a pure interpreter, a runner.

Public surface:

- `FlowGraph` (pydantic model of a graph) and `validate_graph(data, resources=...)`
  / `validate_graph_async` → `ValidationResult` (errors, warnings, parsed graph,
  `field_errors()` / `field_details()` for the API error envelope);
- `compile_flow(graph)` / `CompiledFlow.of(graph)` (what it references:
  `audio_ids`, `dictionary_ids`), `RunContext`, `interpreter.start` / `interpreter.step`
  (the pure state machine);
- `FlowRunner(resolver, recordings).run(flow, ctx, channel, timebase)` with
  `RealTimebase` (SIP) or `VirtualTimebase` (simulation) → `FlowTrace`;
- `simulate(graph_json, contact, script, resolver)` → trace dict (simulate mode).
"""

from ringcast.flow.compiled import CompiledFlow, compile_flow
from ringcast.flow.context import RunContext
from ringcast.flow.graph import FlowGraph
from ringcast.flow.issues import Issue
from ringcast.flow.runner import ClipResolver, FlowRunner, MemoryRecordingSink, RecordingSink
from ringcast.flow.simulate import SimulateScript, run_simulation, silence_resolver, simulate
from ringcast.flow.timebase import RealTimebase, Timebase, VirtualTimebase
from ringcast.flow.trace import FlowTrace
from ringcast.flow.validation import (
    FlowValidationError,
    MissingResources,
    ValidationResult,
    validate_graph,
    validate_graph_async,
)

__all__ = [
    "ClipResolver",
    "CompiledFlow",
    "FlowGraph",
    "FlowRunner",
    "FlowTrace",
    "FlowValidationError",
    "Issue",
    "MemoryRecordingSink",
    "MissingResources",
    "RealTimebase",
    "RecordingSink",
    "RunContext",
    "SimulateScript",
    "Timebase",
    "ValidationResult",
    "VirtualTimebase",
    "compile_flow",
    "run_simulation",
    "silence_resolver",
    "simulate",
    "validate_graph",
    "validate_graph_async",
]
