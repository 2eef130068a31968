"""The `dtmf` node: collect keys — prompts, digits, timeouts, retries.

One visit of a DTMF node is a series of attempts. An attempt plays the prompt
(digits pressed while it plays stop it and count — a prompt always allows
barge-in), then waits `timeout` ms for the first key. Keys typed ahead during
an earlier barge-in Play are consumed first, before any prompt.

- `single_digit`: a key in `allowedDigits` (absent/empty = any key) succeeds:
  stored in `variable`, then its branch if one exists, else `onSuccess`. Any
  other key is an invalid attempt.
- `multi_digit`: keys accumulate; the terminator (not stored) ends the entry,
  reaching `maxDigits` ends it, and after a key `interDigitTimeout` ms of
  silence ends it. An entry of at least `minDigits` succeeds (the string goes to
  `variable`; a branch keyed by the whole string wins over `onSuccess`);
  shorter is invalid. No key at all before `timeout` is a timeout.

A failed attempt (invalid or timeout) counts against the node: after
`retry.maxRetries + 1` failures the node takes `onMaxRetries`. Otherwise it
takes `onInvalid`/`onTimeout` if that specific output is wired (`default`
does not count here: it would swallow the retry), else re-prompts
(`invalidPrompt` then `prompt` after an invalid key; `prompt` after a timeout).
The failure count lives in the run, not the visit, so a flow that wires
onInvalid back to the same node still reaches onMaxRetries; success resets it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ringcast.flow.events import CollectDigits
from ringcast.flow.nodes.base import NodeModel, Reference, check_keys, item_references
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.state import DtmfProgress
from ringcast.flow.values import AudioItem, StrictModel, VariableName


class SingleDigitConfig(StrictModel):
    """`allowedDigits`: the keys accepted; absent or empty = any key."""

    allowedDigits: list[str] | None = None

    @field_validator("allowedDigits")
    @classmethod
    def _digits(cls, value: list[str] | None) -> list[str] | None:
        for digit in value or []:
            if len(digit) != 1:
                check_keys("", "allowedDigits")
            check_keys(digit, "allowedDigits")
        return value


class MultiDigitConfig(StrictModel):
    """Defaults: minDigits 1, maxDigits 20, terminator `#` (null = none),
    interDigitTimeout 3000 ms."""

    minDigits: int = Field(1, ge=1, le=64)
    maxDigits: int = Field(20, ge=1, le=64)
    terminator: str | None = "#"
    interDigitTimeout: int = Field(3000, ge=1)

    @field_validator("terminator")
    @classmethod
    def _terminator(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            check_keys("", "terminator")
        return None if value is None else check_keys(value, "terminator")

    @model_validator(mode="after")
    def _min_max(self) -> MultiDigitConfig:
        if self.minDigits > self.maxDigits:
            raise PydanticCustomError(
                "min_exceeds_max",
                "minDigits ({min}) must not exceed maxDigits ({max})",
                {"min": self.minDigits, "max": self.maxDigits},
            )
        return self


class RetryConfig(StrictModel):
    """`maxRetries` (default 2): attempts after the first, so 2 = up to 3 tries."""

    maxRetries: int = Field(2, ge=0, le=20)


class DtmfConfig(StrictModel):
    """Defaults: mode `single_digit`, `timeout` 5000 ms (wait for the first key
    after the prompt), no variable, no prompt, retry.maxRetries 2."""

    mode: Literal["single_digit", "multi_digit"] = "single_digit"
    variable: VariableName | None = None
    timeout: int = Field(5000, ge=1)
    singleDigitConfig: SingleDigitConfig = SingleDigitConfig()
    multiDigitConfig: MultiDigitConfig = MultiDigitConfig()
    retry: RetryConfig = RetryConfig()
    prompt: list[AudioItem] = Field(default_factory=list)
    invalidPrompt: list[AudioItem] = Field(default_factory=list)


class DtmfNode(NodeModel):
    """Digit branches live in `outputs.branches` (`{"1": nodeId}`); a top-level
    `branches` map is accepted too."""

    OUTPUTS: ClassVar = ("onSuccess", "onTimeout", "onInvalid", "onMaxRetries", "onError")
    OPTIONAL_OUTPUTS: ClassVar = frozenset({"onTimeout", "onInvalid"})

    type: Literal["dtmf"]
    config: DtmfConfig = DtmfConfig()
    branches: dict[str, str] = Field(default_factory=dict)

    def all_branches(self) -> dict[str, str]:
        inner = self.outputs.get("branches")
        return {**self.branches, **(inner if isinstance(inner, dict) else {})}

    def enter(self, run: NodeRun) -> str | None:
        if run.st.call_status != "answered":
            return run.error("not_connected")
        run.st.waiting = "dtmf"
        run.st.dtmf = DtmfProgress()
        return _begin_attempt(run, self, self.config.prompt)

    def references(self) -> Iterator[Reference]:
        yield from item_references("config.prompt", self.config.prompt)
        yield from item_references("config.invalidPrompt", self.config.invalidPrompt)


def digit(run: NodeRun, key: str) -> None:
    node, progress = _current(run)
    cfg = node.config
    if progress.phase == "prompt":
        run.stop_playback()
        progress.phase = "collect"
    run.cancel_timer()
    if cfg.mode == "single_digit":
        allowed = cfg.singleDigitConfig.allowedDigits
        if allowed and key not in allowed:
            progress.digits = key
            _fail(run, node, "invalid")
        else:
            _succeed(run, node, key)
        return
    multi = cfg.multiDigitConfig
    if key == multi.terminator:
        if len(progress.digits) >= multi.minDigits:
            _succeed(run, node, progress.digits)
        else:
            _fail(run, node, "invalid")
        return
    progress.digits += key
    if len(progress.digits) >= multi.maxDigits:
        _succeed(run, node, progress.digits)
    else:
        run.arm(multi.interDigitTimeout)


def timeout(run: NodeRun) -> None:
    node, progress = _current(run)
    multi = node.config.multiDigitConfig
    if node.config.mode == "multi_digit" and progress.digits:
        if len(progress.digits) >= multi.minDigits:
            _succeed(run, node, progress.digits)
        else:
            _fail(run, node, "invalid")
    else:
        _fail(run, node, "timeout")


def prompt_done(run: NodeRun) -> None:
    node, progress = _current(run)
    if progress.phase == "prompt":
        progress.phase = "collect"
        run.arm(node.config.timeout)


def _current(run: NodeRun) -> tuple[DtmfNode, DtmfProgress]:
    node = run.node()
    progress = run.st.dtmf
    assert isinstance(node, DtmfNode)
    assert progress is not None
    return node, progress


def _begin_attempt(run: NodeRun, node: DtmfNode, prompt: Sequence[AudioItem]) -> str | None:
    st = run.st
    progress = st.dtmf
    assert progress is not None
    progress.attempt += 1
    progress.digits = ""
    cfg = node.config
    single = cfg.mode == "single_digit"
    # After the prompt's Play, so a driver that types keys knows a prompt plays.
    collect = CollectDigits(
        node.id, cfg.mode, 1 if single else cfg.multiDigitConfig.maxDigits, cfg.timeout
    )
    if st.digit_buffer:
        run.out.append(collect)
        progress.phase = "collect"
        attempt = progress.attempt
        # Each key may end this attempt (and move on); stop as soon as it has.
        while st.digit_buffer and st.dtmf is progress and progress.attempt == attempt:
            digit(run, st.digit_buffer.pop(0))
        if st.dtmf is progress and progress.attempt == attempt and st.active_timer is None:
            run.arm(cfg.timeout)
        return None
    clips = run.clips(prompt)
    if clips is None:
        return "onError"
    if clips:
        progress.phase = "prompt"
        run.play(clips, barge_in=True)
        run.out.append(collect)
    else:
        progress.phase = "collect"
        run.out.append(collect)
        run.arm(cfg.timeout)
    return None


def _succeed(run: NodeRun, node: DtmfNode, value: str) -> None:
    st = run.st
    st.dtmf_failures.pop(node.id, None)
    if node.config.variable:
        st.variables[node.config.variable] = value
    progress = st.dtmf
    run.log("dtmf_collected", {"value": value, "attempt": progress.attempt if progress else None})
    run.follow(f"branches.{value}" if value in node.all_branches() else "onSuccess")


def _fail(run: NodeRun, node: DtmfNode, kind: str) -> None:
    st = run.st
    cfg = node.config
    progress = st.dtmf
    assert progress is not None
    failures = st.dtmf_failures.get(node.id, 0) + 1
    st.dtmf_failures[node.id] = failures
    run.log(
        f"dtmf_{kind}",
        {"digits": progress.digits, "attempt": progress.attempt, "failures": failures},
    )
    output = "onInvalid" if kind == "invalid" else "onTimeout"
    if failures > cfg.retry.maxRetries:
        del st.dtmf_failures[node.id]
        run.follow("onMaxRetries")
    elif node.target(output) is not None:
        run.follow(output)
    else:
        run.log("dtmf_reprompt", {"attempt": progress.attempt + 1})
        prompt = [*cfg.invalidPrompt, *cfg.prompt] if kind == "invalid" else cfg.prompt
        nxt = _begin_attempt(run, node, prompt)
        if nxt is not None:
            run.follow(nxt)
