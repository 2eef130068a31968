"""The demo campaign's callees and what must come of each.

Contacts get a balance and a scripted behaviour (the callee farm plays it);
`expect` says the final outcome, the number of attempts and the key the flow
must have collected, given the program's retry strategy (fixed delay, one
retry, default `retryOn`). The self-check compares call reports with these.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ringcast.calleefarm import Behaviour

MAX_RETRIES = 1  # fixed_delay maxRetries: up to 2 attempts
AGENT = "+212522000099"
"""The agent a callee pressing 0 is forwarded to: a farm number that answers, says
hello and hangs up after `AGENT_TALK_MS` (it takes many calls at once: a call centre)."""
AGENT_TALK_MS = 3000
LONGEST_CALL_MS = 120_000
"""No scripted call may last longer: the longest script (a callee who never presses a
key hears the menu twice and waits out both 5 s timeouts) takes well under a minute,
so a call past two minutes is one the flow lost track of (a node that never
finished), whatever outcome it was reported with."""


@dataclass(frozen=True, slots=True)
class Expectation:
    outcome: str
    attempts: int
    choice: str | None
    agent: bool = False  # forwarded to the agent, who answered and hung up


@dataclass(frozen=True, slots=True)
class ScriptedContact:
    phone: str
    first_name: str
    balance: int
    label: str
    behaviours: tuple[Behaviour, ...]  # one per attempt; the last repeats
    expect: Expectation


# label, weight, behaviours per attempt, expected (outcome, attempts, choice)
PROFILES: tuple[tuple[str, int, tuple[Behaviour, ...], Expectation], ...] = (
    ("human presses 1", 30, (Behaviour("human", ("1",)),), Expectation("completed", 1, "1")),
    ("human presses 2", 15, (Behaviour("human", ("2",)),), Expectation("completed", 1, "2")),
    (
        "human presses 1 in-band",
        8,
        (Behaviour("human", ("1",), dtmf="inband"),),
        Expectation("completed", 1, "1"),
    ),
    (
        "human presses 9, then 2",
        8,
        (Behaviour("human", ("9", "2")),),
        Expectation("completed", 1, "2"),
    ),
    ("human says nothing", 6, (Behaviour("human", ("", "")),), Expectation("completed", 1, None)),
    (
        "human hangs up mid-prompt",
        5,
        (Behaviour("human", (), hangup_after_ms=2500),),
        Expectation("completed", 1, None),
    ),
    ("machine", 10, (Behaviour("machine"),), Expectation("voicemail", 1 + MAX_RETRIES, None)),
    ("busy", 5, (Behaviour("busy"),), Expectation("busy", 1 + MAX_RETRIES, None)),
    (
        "busy, then presses 1",
        5,
        (Behaviour("busy"), Behaviour("human", ("1",))),
        Expectation("completed", 2, "1"),
    ),
    ("rejects", 4, (Behaviour("reject"),), Expectation("rejected", 1 + MAX_RETRIES, None)),
    (
        "never answers",
        4,
        (Behaviour("no_answer"),),
        Expectation("no_answer", 1 + MAX_RETRIES, None),
    ),
)

FIRST_NAMES = (
    "Amina",
    "Youssef",
    "Sara",
    "Omar",
    "Lina",
    "Karim",
    "Nadia",
    "Hamza",
    "Salma",
    "Mehdi",
)


AGENT_PROFILE: tuple[str, tuple[Behaviour, ...], Expectation] = (
    "human presses 0, talks to an agent",
    (Behaviour("human", ("0",)),),
    Expectation("completed", 1, "0", agent=True),
)
AGENT_SHARE = 40  # one callee in this many asks for an agent (at least one)


def build_contacts(count: int, seed: int = 7) -> list[ScriptedContact]:
    """`count` contacts with Moroccan mobile numbers, profiles spread by weight, then
    `count // AGENT_SHARE` (at least one) more who press 0 for an agent (added after,
    so the others keep the numbers and scripts they always had)."""
    contacts = _profiled(count, seed)
    label, behaviours, expect = AGENT_PROFILE
    for i in range(count, count + max(1, count // AGENT_SHARE)):
        contacts.append(_contact(i, 1523, label, behaviours, expect))
    return contacts


def _contact(
    i: int, balance: int, label: str, behaviours: tuple[Behaviour, ...], expect: Expectation
) -> ScriptedContact:
    return ScriptedContact(
        phone=f"+2126{61000000 + i:08d}",
        first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
        balance=balance,
        label=label,
        behaviours=behaviours,
        expect=expect,
    )


def _profiled(count: int, seed: int) -> list[ScriptedContact]:
    rng = random.Random(seed)
    weights = [p[1] for p in PROFILES]
    contacts: list[ScriptedContact] = []
    # every profile at least once when count allows, the rest by weight
    order = list(range(len(PROFILES)))[:count]
    order += rng.choices(range(len(PROFILES)), weights, k=max(0, count - len(order)))
    rng.shuffle(order)
    for i, profile in enumerate(order):
        label, _, behaviours, expect = PROFILES[profile]
        balance = rng.choice((1523, 250, 99, 12000, 780, 3400, 21, 100000))
        contacts.append(_contact(i, balance, label, behaviours, expect))
    return contacts
