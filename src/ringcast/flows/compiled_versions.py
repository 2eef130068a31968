"""Saved flow versions compiled once per process, for `/flows/execute`.

A flow version never changes once saved, and it was validated when it was saved.
What the *latest* version references cannot be deleted while the flow is live
(`flows.references.ensure_unused` answers 409), so simulating the latest version
needs neither its row nor a fresh validation: only the flow row (which says it is
still live, its name and which version is latest). Older versions are validated
again on every request, as their audio may have been deleted since.
"""

from __future__ import annotations

from collections import OrderedDict

from ringcast.flow.compiled import CompiledFlow


class CompiledVersions:
    """An LRU of `CompiledFlow`s keyed by (flow id, version); ids are UUIDs, so one cache
    serves every organization without mixing them (the flow row is looked up org-scoped)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._flows: OrderedDict[tuple[str, int], CompiledFlow] = OrderedDict()

    def get(self, flow_id: str, version: int) -> CompiledFlow | None:
        flow = self._flows.get((flow_id, version))
        if flow is not None:
            self._flows.move_to_end((flow_id, version))
        return flow

    def put(self, flow_id: str, version: int, flow: CompiledFlow) -> None:
        self._flows[(flow_id, version)] = flow
        self._flows.move_to_end((flow_id, version))
        while len(self._flows) > self.size:
            self._flows.popitem(last=False)
