"""A learned model and its comparison in words: what `python -m harness learn` prints and writes beside the picture.

Each finding is named by the signature the dtls_handshake target gives the same behaviour
(`oracle:<kind>@dtls_handshake`), so that the known-bug registry says which are known, and a
witness replays there as a conversation.
"""

from __future__ import annotations

from harness.known_bugs import Registry
from harness.learning.compare import Comparison, Difference
from harness.learning.learn import EQUIVALENCE_TESTS, MEAN_MIDDLE_LENGTH, Learned
from harness.peers.dtls_scripts import Move, Script, Start, encode

HANDSHAKE_TARGET = "dtls_handshake"


def signature_of(difference: Difference) -> str:
    return f"oracle:{difference.kind}@{HANDSHAKE_TARGET}"


def witness_input(learned: Learned, difference: Difference) -> bytes:
    """The witness as an input of the dtls_handshake target (a conversation of plain moves), for `repro`."""
    start = Start(learned.role, impostor=learned.impostor)
    return encode(Script(start, tuple(Move(move) for move in difference.witness)))


def new_findings(comparison: Comparison, registry: Registry) -> list[Difference]:
    return [d for d in comparison.findings if signature_of(d) not in registry]


def lines(learned: Learned, comparison: Comparison, registry: Registry, witnesses: dict[str, str]) -> list[str]:
    """The report; `witnesses`: where each finding's witness was written, by kind."""
    s = learned.statistics
    text = [
        f"# {learned.name}: {learned.implementation} as DTLS {learned.role}, seed {learned.seed}",
        "",
        *(
            ["The peer presents another certificate than the one whose fingerprints the transport was told.", ""]
            if learned.impostor
            else []
        ),
        f"Learned {len(learned.model.states)} states in {learned.seconds:.1f} s: {learned.membership_queries} "
        f"membership queries and {learned.equivalence_tests} equivalence tests (up to {EQUIVALENCE_TESTS} a "
        f"hypothesis: a state's access word, a random middle part of {MEAN_MIDDLE_LENGTH} moves on average, a "
        f"characterizing word) in {learned.rounds} rounds.",
        f"Transports made (resets): {s.transports}; moves played on them: {s.live_steps}; moves answered from the "
        f"cache: {s.cached_steps} of {s.steps}; disagreements put to a vote: {s.votes}, never settled: "
        f"{len(s.disagreements)}.",
        f"Started, it answered [{learned.initial_answer}].",
    ]
    text += [f"- never settled: {d}" for d in s.disagreements]
    findings = comparison.findings
    text += ["", f"## Findings ({len(findings)})"]
    for number, difference in enumerate(findings, 1):
        bug = registry.get(signature_of(difference))
        known = f"known: {bug.reason.splitlines()[0][:160]}" if bug else "NEW: not in the known-bug registry"
        text.append(f"{number}. {difference.kind}, {difference.transitions} transition(s); {signature_of(difference)}")
        text.append(f"   {difference.describe()}")
        text.append(f"   {known}")
        text.append(f"   replay (on aiortc's transport, the target's): python -m harness repro {HANDSHAKE_TARGET} "
                    f"{witnesses[difference.kind]}")  # fmt: skip
        answers = learned.model.compute_output_seq(learned.model.initial_state, list(difference.witness))
        text += [f"   {step}. the peer sends {move}: [{answer}]" for step, (move, answer) in
                 enumerate(zip(difference.witness, answers), 1)]  # fmt: skip
    for title, kind in (("Tolerated answers", "tolerated"), ("Other deviations", "deviation")):
        chosen = [d for d in comparison.differences if d.kind == kind]
        text += ["", f"## {title} ({len(chosen)})"]
        text += [f"- {d.describe()} ({d.transitions} transition(s))" for d in chosen]
    text += ["", f"## Sinks ({len(comparison.sinks)})"]
    for sink in comparison.sinks:
        verdict = "a finding: the reference could still complete" if sink.finding else "the reference is stuck too"
        text.append(
            f"- states {', '.join(sink.states)}, entered by {' '.join(sink.witness)}: {verdict} ({sink.reference})"
        )
    text += ["", f"## States the reference lacks ({sum(len(g.states) - 1 for g in comparison.extra_states)})"]
    for group in comparison.extra_states:
        told = "; ".join(f"{state} by {' '.join(word)}" for state, word in group.distinguished_by.items())
        text.append(f"- {group.reference}: {', '.join(group.states)}; told from {group.states[0]}: {told}")
    return text
