"""What a scripted callee does, and which number does what."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["human", "machine", "busy", "reject", "no_answer", "unavailable"]
KINDS: tuple[str, ...] = ("human", "machine", "busy", "reject", "no_answer", "unavailable")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One callee's script.

    - `kind`: human / machine answer; busy (486), reject (603), unavailable
      (480) refuse; no_answer rings until cancelled.
    - `digits`: one entry per prompt the callee hears: the keys it types when
      that prompt ends (`""` = says nothing). Typed by `dtmf` mode.
    - `greeting`: the callee voice (`assets/callee/<name>.wav`) played on answer.
    - `hangup_after_ms`: the callee hangs up this long after answering.
    """

    kind: Kind = "human"
    digits: tuple[str, ...] = ()
    dtmf: Literal["rfc4733", "inband"] = "rfc4733"
    ring_ms: int = 800
    greeting: str | None = None
    hangup_after_ms: int | None = None

    @property
    def voice(self) -> str:
        if self.greeting:
            return self.greeting
        return "machine_greeting" if self.kind == "machine" else "human_hello"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Behaviour:
        kind = str(data.get("kind", "human"))
        if kind not in KINDS:
            raise ValueError(f"unknown callee kind {kind!r}; use one of {', '.join(KINDS)}")
        digits = data.get("digits", ())
        if isinstance(digits, str):
            digits = (digits,)
        for entry in digits:
            if any(k not in "0123456789*#" for k in str(entry)):
                raise ValueError(f"digits entries are keys 0-9, * and #: {entry!r}")
        dtmf = str(data.get("dtmf", "rfc4733"))
        if dtmf not in ("rfc4733", "inband"):
            raise ValueError("dtmf is rfc4733 or inband")
        hangup = data.get("hangupAfterMs")
        return cls(
            kind=kind,  # type: ignore[arg-type]
            digits=tuple(str(d) for d in digits),
            dtmf=dtmf,  # type: ignore[arg-type]
            ring_ms=int(data.get("ringMs", 800)),
            greeting=data.get("greeting"),
            hangup_after_ms=int(hangup) if hangup is not None else None,
        )


# For numbers with no explicit script (a farm started by hand): the last two
# digits choose. Documented in `ringcast callee-farm --help`.
SUFFIX_RULES: tuple[tuple[range, Behaviour], ...] = (
    (range(0, 40), Behaviour("human", ("1",))),
    (range(40, 55), Behaviour("human", ("2",))),
    (range(55, 60), Behaviour("human", ("9", "1"))),
    (range(60, 65), Behaviour("human", ("",))),
    (range(65, 75), Behaviour("machine")),
    (range(75, 82), Behaviour("busy")),
    (range(82, 87), Behaviour("reject")),
    (range(87, 93), Behaviour("no_answer")),
    (range(93, 100), Behaviour("human", ("1",), hangup_after_ms=1500)),
)


@dataclass
class BehaviourBook:
    """Number → behaviour: explicit entries first, then the suffix rules."""

    by_number: dict[str, Behaviour] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    per_attempt: dict[str, tuple[Behaviour, ...]] = field(default_factory=dict)

    def set(self, number: str, *behaviours: Behaviour) -> None:
        """One behaviour, or one per attempt (the last repeats)."""
        key = _normal(number)
        if len(behaviours) == 1:
            self.by_number[key] = behaviours[0]
        else:
            self.per_attempt[key] = tuple(behaviours)

    def next_for(self, number: str) -> Behaviour:
        key = _normal(number)
        n = self.attempts.get(key, 0)
        self.attempts[key] = n + 1
        if key in self.per_attempt:
            seq = self.per_attempt[key]
            return seq[min(n, len(seq) - 1)]
        if key in self.by_number:
            return self.by_number[key]
        digits = "".join(c for c in key if c.isdigit())
        suffix = int(digits[-2:]) if len(digits) >= 2 else 0
        for span, behaviour in SUFFIX_RULES:
            if suffix in span:
                return behaviour
        return Behaviour()

    @classmethod
    def load(cls, path: Path) -> BehaviourBook:
        """`{"+2126...": {...}, "+2127...": [{...}, {...}]}` (a list = per attempt)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        book = cls()
        for number, spec in data.items():
            specs = spec if isinstance(spec, list) else [spec]
            book.set(number, *(Behaviour.from_dict(s) for s in specs))
        return book


def _normal(number: str) -> str:
    number = number.strip()
    if number.startswith("sip:"):
        number = number[4:].split("@", 1)[0]
    return number.lstrip("+")
