"""`NodeRun`: what entering a node may do to the run.

`ringcast.flow.walk.Step` implements it; node modules depend on this protocol,
never on the walker, so the walker can import the node types without a circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ringcast.audio.requests import ClipRequest
from ringcast.flow.events import Action
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.state import RunState
from ringcast.flow.values import AudioItem, ValueSource


class NodeRun(Protocol):
    """One call of `start`/`step` as a node sees it: the state, the time, the actions."""

    @property
    def st(self) -> RunState: ...

    @property
    def at(self) -> datetime: ...

    @property
    def out(self) -> list[Action]: ...

    def node(self) -> NodeModel:
        """The node the run is at."""
        ...

    def follow(self, output: str | None) -> None:
        """Take `output` of the current node and enter what it leads to."""
        ...

    def log(self, type_: str, data: dict[str, Any] | None = None) -> None: ...

    def error(self, code: str, **data: Any) -> str:
        """Note a node error; returns `onError` for the caller to follow."""
        ...

    def read(self, source: ValueSource) -> Any: ...

    def arm(self, delay_ms: int) -> None:
        """(Re)start the node's one timer."""
        ...

    def cancel_timer(self) -> None: ...

    def play(self, clips: tuple[ClipRequest, ...], barge_in: bool) -> None: ...

    def stop_playback(self) -> None: ...

    def clips(self, items: Sequence[AudioItem]) -> tuple[ClipRequest, ...] | None:
        """The clip requests for `items`; None (after `error`) if a value is unusable."""
        ...

    def finish(
        self,
        *,
        outcome: str | None = None,
        reason: str | None = None,
        hangup: str = "normal",
        callee: bool = False,
    ) -> None: ...
