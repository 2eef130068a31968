"""The `play` node: say audio items in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from ringcast.flow.nodes.base import NodeModel, Reference, item_references
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.values import AudioItem, StrictModel


class PlayConfig(StrictModel):
    """`audioItems` said in order; `bargeIn` (default false): a key press stops
    the playback, takes onComplete and is kept for the next DTMF node."""

    audioItems: list[AudioItem] = Field(default_factory=list)
    bargeIn: bool = False


class PlayNode(NodeModel):
    """Needs a live call (else onError `not_connected`); no items → onComplete at once."""

    OUTPUTS: ClassVar = ("onComplete", "onError")

    type: Literal["play"]
    config: PlayConfig = PlayConfig()

    def enter(self, run: NodeRun) -> str | None:
        if run.st.call_status != "answered":
            return run.error("not_connected")
        clips = run.clips(self.config.audioItems)
        if clips is None:
            return "onError"
        if not clips:
            return "onComplete"
        run.st.waiting = "play"
        run.play(clips, self.config.bargeIn)
        return None

    def references(self) -> Iterator[Reference]:
        return item_references("config.audioItems", self.config.audioItems)
