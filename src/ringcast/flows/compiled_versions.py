"""Saved flow versions compiled once per process, for `/flows/execute`.

A flow version never changes once saved, and it was validated when it was saved.
What the *latest* version references cannot be deleted while the flow is live
(`flows.references.ensure_unused` answers 409), so simulating the latest version
needs neither its row nor a fresh validation: only the flow row (which says it is
still live, its name and which version is latest). Older versions are validated
again on every request, as their audio may have been deleted since.

The flow row itself (live or not, its name, its latest version) is held too, for
`HEAD_TTL_S` seconds: a cache hit costs no database round trip at all (the
row's query, BEGIN and COMMIT were most of the route's cost). This process
forgets a flow's row as its own update or delete runs (`forget`, called by those
routes before and again after their commit); another process's edit shows here
within `HEAD_TTL_S`, as an API key's revocation does in `auth.cache`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import NamedTuple

from ringcast.flow.compiled import CompiledFlow

HEAD_TTL_S = 2.0
"""How long a flow row read by `/flows/execute` is trusted without reading it again."""


class FlowHead(NamedTuple):
    """What `/flows/execute` needs of a live flow's row."""

    id: str
    name: str
    latest_version: int


class CompiledVersions:
    """An LRU of `CompiledFlow`s keyed by (flow id, version); ids are UUIDs, so one cache
    serves every organization without mixing them (the flow row is looked up org-scoped)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._flows: OrderedDict[tuple[str, int], CompiledFlow] = OrderedDict()
        self._heads: dict[tuple[str, str], tuple[float, FlowHead]] = {}

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

    def head(self, organization_id: str, flow_id: str) -> FlowHead | None:
        """The flow's row as read less than `HEAD_TTL_S` ago, if it was."""
        entry = self._heads.get((organization_id, flow_id))
        if entry is None:
            return None
        if time.monotonic() - entry[0] > HEAD_TTL_S:
            del self._heads[(organization_id, flow_id)]
            return None
        return entry[1]

    def put_head(self, organization_id: str, head: FlowHead) -> None:
        if len(self._heads) >= self.size:
            self._heads.clear()
        self._heads[(organization_id, head.id)] = (time.monotonic(), head)

    def forget(self, flow_id: str) -> None:
        """Drop the flow's row (it is being changed or deleted)."""
        for key in [k for k in self._heads if k[1] == flow_id]:
            del self._heads[key]
