"""Node types, one module each: its config model, its outputs and how entering it works.

`base.py` is what every type shares (`NodeModel`); `run.py` is what an enter
function may do to the run (`NodeRun`). The registry of types is the `Node`
union in `ringcast.flow.graph`; see ARCHITECTURE.md, "How to add a node type".
"""
