"""A learned model against the reference machine: every difference with its shortest witness, and what it means.

The comparison walks the product of the learned Mealy machine and the reference
(harness.learning.reference) breadth first, tracking for each learned state the set of reference
states its path allows. A transition whose learned answer no allowed answer matches is a
difference; breadth first, the word that reaches it first is the shortest witness, and the walk
stops there on that path (past a difference the reference has nothing to say). Differences with
the same cause (the same move, the same learned answer, the same reference answers) are one
difference, counted, with the shortest witness.

What the issue and the RFCs make a finding:
- `delivered-only-when-connected`: data or media handed up while the transport was not connected;
- `delivered-before-authenticated`: "connected", data or media where the reference is not past a
  complete, authenticated handshake (W3C webrtc-pc §5.5.1, RFC 5763 §5);
- `fatal-alert-ignored`: a fatal alert from the peer that does not end the connection, and
  `alert-without-closing`: a fatal alert sent by the transport that stays up (RFC 5246 §7.2.2);
- `error`: an exception of the transport's own; `never-stuck`: a move it did not handle in time;
- `not-delivered`: the authenticated peer's data or media lost once connected;
- a sink: learned states that never connect nor fail whatever the peer sends, where the reference
  could still complete the handshake;
- other differences are `deviation`s, described in words; `tolerated` answers (a reference
  alternative marked so) are listed, and the walk goes on past them; states the transport tells
  apart where the reference sees one are listed as `extra states`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from aalpy.automata import MealyMachine, MealyState

from harness.conformance.dtls_exchange import DELIVERED_WHEN_CONNECTED
from harness.learning.reference import CONNECTED, CONNECTING, FATAL_ALERT_CLOSES, OFF_SCRIPT, Allowed, Reference, Spec
from harness.peers.dtls_moves import STUCK, Answer

# The kinds of finding, named as the dtls_handshake target's oracle names the same promise broken, so that a
# learned witness and a fuzzed conversation give one signature (oracle:<kind>@dtls_handshake).
DELIVERED_BEFORE_AUTHENTICATED = "delivered-before-authenticated"
NEVER_STUCK = "never-stuck"
FATAL_ALERT_IGNORED = "fatal-alert-ignored"
ALERT_WITHOUT_CLOSING = "alert-without-closing"
NOT_DELIVERED = "not-delivered"
FINDING_KINDS = (
    DELIVERED_WHEN_CONNECTED, DELIVERED_BEFORE_AUTHENTICATED, FATAL_ALERT_IGNORED, ALERT_WITHOUT_CLOSING,
    NOT_DELIVERED, NEVER_STUCK, "error", "sink",
)  # fmt: skip


@dataclass
class Difference:
    kind: str
    witness: tuple[str, ...]  # the shortest word reaching it; its last move is the one answered differently
    learned: Answer  # what the transport answered to that move
    allowed: tuple[Allowed, ...]  # what the reference allows there
    state: str  # the learned state the last move was played in
    at: list[tuple[str, str]] = field(default_factory=list)  # every (learned state, move) of the same cause

    @property
    def transitions(self) -> int:
        return len(self.at)

    @property
    def finding(self) -> bool:
        return self.kind in FINDING_KINDS

    def describe(self) -> str:
        allowed = "; ".join(sorted({f"{a.what} ({a.rule.document} §{a.rule.section})" for a in self.allowed}))
        word = " ".join(self.witness) if self.witness else "(starting)"
        return f"{word}: the transport answered [{self.learned}], the reference allows: {allowed or 'nothing'}"


@dataclass
class Sink:
    states: tuple[str, ...]
    witness: tuple[str, ...]  # the shortest word into it
    reference: str  # what the reference says of where the witness leads
    finding: bool  # the reference could still complete the handshake from there


@dataclass
class ExtraStates:
    """Learned states that stand for the same reference states, and a word telling each from the first."""

    reference: str
    states: tuple[str, ...]
    distinguished_by: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Comparison:
    differences: list[Difference]
    sinks: list[Sink]
    extra_states: list[ExtraStates]
    pairs: int  # product states walked
    differing: set[tuple[str, str]]  # (learned state, move) of every differing transition, for the picture

    @property
    def findings(self) -> list[Difference]:
        return [d for d in self.differences if d.finding]


def compare(model: MealyMachine, initial_answer: Answer, reference: Reference) -> Comparison:
    alphabet = model.get_input_alphabet()
    differences: dict[tuple[Any, ...], Difference] = {}
    differing: set[tuple[str, str]] = set()
    if not reference.start_allows(initial_answer):
        differences[("start",)] = Difference(
            "deviation", (), initial_answer, (), model.initial_state.state_id
        )  # no transition
    start = (model.initial_state, frozenset({reference.initial}))
    seen = {(start[0].state_id, start[1])}
    images: dict[str, set[Spec]] = {}
    access: dict[str, tuple[str, ...]] = {}
    queue: deque[tuple[MealyState, frozenset[Spec], tuple[str, ...]]] = deque([(*start, ())])
    while queue:
        state, specs, word = queue.popleft()
        images.setdefault(state.state_id, set()).update(specs)
        access.setdefault(state.state_id, word)
        for move in alphabet:
            answer: Answer = state.output_fun[move]
            allowed = _allowed(reference, specs, move)
            holding = [a for a in allowed if a.holds(answer)]
            matching = frozenset(a.then for a in holding)
            if holding and all(a.tolerated for a in holding):
                cause: tuple[Any, ...] = ("tolerated", move, str(answer), tuple(sorted({a.what for a in holding})))
                _count(
                    differences, cause, Difference("tolerated", (*word, move), answer, tuple(holding), state.state_id)
                )
            if not matching:
                differing.add((state.state_id, move))
                kind = _kind(move, answer, specs, allowed)
                # One cause: a finding's kind; a deviation's move, answer and what the reference allowed.
                whats = tuple(sorted({a.what for a in allowed}))
                cause = (kind,) if kind in FINDING_KINDS else (kind, move, str(answer), whats)
                _count(differences, cause, Difference(kind, (*word, move), answer, allowed, state.state_id))
                continue
            following = state.transitions[move]
            if (following.state_id, matching) not in seen:
                seen.add((following.state_id, matching))
                queue.append((following, matching, (*word, move)))
    return Comparison(
        sorted(differences.values(), key=lambda d: (not d.finding, len(d.witness), d.witness)),
        _sinks(model, access, images),
        _extra_states(model, images, access),
        len(seen),
        differing,
    )


def first_finding(
    reference: Reference, start: Answer, moves: Sequence[str], answers: Sequence[Answer]
) -> Optional[Difference]:
    """Along one conversation (the transport's answer when started, then to each move): the first answer the
    reference does not allow, when it is a finding (what the dtls_handshake target holds a plain conversation to)."""
    specs = frozenset({reference.initial})
    if not reference.start_allows(start):
        return None
    for index, (move, answer) in enumerate(zip(moves, answers)):
        allowed = _allowed(reference, specs, move)
        matching = frozenset(a.then for a in allowed if a.holds(answer))
        if not matching:
            kind = _kind(move, answer, specs, allowed)
            return Difference(kind, tuple(moves[: index + 1]), answer, allowed, "") if kind in FINDING_KINDS else None
        specs = matching
    return None


def _allowed(reference: Reference, specs: frozenset[Spec], move: str) -> tuple[Allowed, ...]:
    return tuple(a for spec in sorted(specs, key=str) for a in reference.allowed(spec, move))


def _count(differences: dict[tuple[Any, ...], Difference], cause: tuple[Any, ...], difference: Difference) -> None:
    """One difference per cause, with the first (shortest) witness met, counting the transitions."""
    at = differences.setdefault(cause, difference).at
    transition = (difference.state, difference.witness[-1])
    if transition not in at:  # reached again with other reference states: still one transition
        at.append(transition)


def _kind(move: str, answer: Answer, specs: frozenset[Spec], allowed: tuple[Allowed, ...]) -> str:
    if answer.trouble == STUCK:
        return NEVER_STUCK
    if answer.trouble:
        return "error"  # an exception of the transport's: the dtls_handshake target names it by its frame
    if any(s.alerted for s in specs) and answer.state not in ("failed", "closed"):
        return FATAL_ALERT_IGNORED
    if any("@" in kind for kind in answer.delivered):
        return DELIVERED_WHEN_CONNECTED
    may_connect = any(s.transport == CONNECTED for s in specs) or any(a.then.transport == CONNECTED for a in allowed)
    if (answer.state == "connected" or answer.delivered) and not may_connect:
        return DELIVERED_BEFORE_AUTHENTICATED
    if (
        move == "Alert"
        and answer.state not in ("failed", "closed")
        and any(a.rule == FATAL_ALERT_CLOSES for a in allowed)
    ):
        return FATAL_ALERT_IGNORED
    if any(name.startswith("Alert(fatal") for name in answer.sent) and answer.state not in ("failed", "closed"):
        return ALERT_WITHOUT_CLOSING
    if (
        any(s.transport == CONNECTED and s.readable for s in specs)
        and move in ("ApplicationData", "SRTP")
        and (not answer.delivered)
    ):
        return NOT_DELIVERED
    return "deviation"


def _sinks(model: MealyMachine, access: dict[str, tuple[str, ...]], images: dict[str, set[Spec]]) -> list[Sink]:
    """Reachable states from which no word leads to an answer other than "connecting": stuck for good."""
    ends = {
        state.state_id
        for state in model.states
        if any(state.output_fun[move].state != "connecting" for move in state.transitions)
    }
    # Grow backwards: a state that can reach an end is not stuck.
    changed = True
    while changed:
        changed = False
        for state in model.states:
            if state.state_id not in ends and any(t.state_id in ends for t in state.transitions.values()):
                ends.add(state.state_id)
                changed = True
    stuck = [s.state_id for s in model.states if s.state_id not in ends and s.state_id in access]
    stuck.sort(key=lambda i: (len(access[i]), access[i]))
    if not stuck:
        return []
    specs: set[Spec] = set().union(*(images[i] for i in stuck))
    completable = any(s.transport == CONNECTING and s.progress != OFF_SCRIPT and not s.alerted for s in specs)
    return [Sink(tuple(stuck), access[stuck[0]], " or ".join(sorted(map(str, specs))), completable)]


def _extra_states(
    model: MealyMachine, images: dict[str, set[Spec]], access: dict[str, tuple[str, ...]]
) -> list[ExtraStates]:
    groups: dict[frozenset[Spec], list[str]] = {}
    for state_id, reached in images.items():
        groups.setdefault(frozenset(reached), []).append(state_id)
    alphabet = model.get_input_alphabet()
    extra = []
    for specs, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (len(access[i]), access[i]))
        first = model.get_state_by_id(members[0])
        group = ExtraStates(" or ".join(sorted(map(str, specs))), tuple(members))
        for other in members[1:]:
            word = model.find_distinguishing_seq(first, model.get_state_by_id(other), alphabet)
            group.distinguished_by[other] = tuple(word or ())
        extra.append(group)
    return sorted(extra, key=lambda g: -len(g.states))
