"""A learned model as a Graphviz picture, with what differs from the reference highlighted.

One edge per pair of states and answer, labelled with every move that takes it ("ClientHello,
ClientHelloWithCookie / ServerHello ... | connecting"); a state whose every move loops back with
nothing sent is drawn with a note instead of a dozen loops. Red: transitions where the
transport's answer is one the reference does not allow (bold when a finding); orange: tolerated
answers; grey: states of a sink. The dot text is written whatever the machine has; the SVG
needs Graphviz's `dot` (Debian's graphviz), and its absence is said, not hidden.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional

from aalpy.automata import MealyMachine

from harness.learning.compare import Comparison
from harness.peers.dtls_moves import NOTHING

FINDING_COLOUR, DIFFERENCE_COLOUR, TOLERATED_COLOUR, SINK_FILL = "red", "firebrick1", "darkorange", "grey85"


def _quote(text: str) -> str:
    """A dot string: backslashes and quotes escaped, line breaks as dot's \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(model: MealyMachine, comparison: Comparison, *, title: str) -> str:
    colours: dict[tuple[str, str], tuple[str, bool]] = {}
    for difference in comparison.differences:
        drawn = TOLERATED_COLOUR if difference.kind == "tolerated" else FINDING_COLOUR
        for transition in difference.at:
            colours.setdefault(transition, (drawn, difference.finding))
    for transition in comparison.differing:
        colours.setdefault(transition, (DIFFERENCE_COLOUR, False))
    sunk = {state for sink in comparison.sinks for state in sink.states}
    lines = [
        "digraph learned {",
        f"  label={_quote(title)}; labelloc=t; fontname=Helvetica;",
        "  node [shape=circle, fontname=Helvetica]; edge [fontname=Helvetica, fontsize=10];",
        "  __start [shape=point];",
        f"  __start -> {model.initial_state.state_id};",
    ]
    for state in model.states:
        loops_silently = all(
            target is state and not state.output_fun[move].sent and not state.output_fun[move].delivered
            for move, target in state.transitions.items()
        ) and not any((state.state_id, move) in colours for move in state.transitions)
        fill = f", style=filled, fillcolor={SINK_FILL}" if state.state_id in sunk else ""
        if loops_silently:
            answer = next(iter(state.output_fun.values()))
            label = f"{state.state_id}\n(every move: {NOTHING} | {answer.state})"
            lines.append(f"  {state.state_id} [shape=doublecircle, label={_quote(label)}{fill}];")
            continue
        lines.append(f"  {state.state_id} [label={_quote(state.state_id)}{fill}];")
        edges: dict[tuple[str, str, Optional[tuple[str, bool]]], list[str]] = {}
        for move, target in state.transitions.items():
            key = (target.state_id, str(state.output_fun[move]), colours.get((state.state_id, move)))
            edges.setdefault(key, []).append(move)
        for (target_id, answer, colour), moves in edges.items():
            style = ""
            if colour is not None:
                style = f", color={colour[0]}, fontcolor={colour[0]}" + (", penwidth=2.5" if colour[1] else "")
            label = f"{','.join(moves)} /\n{answer}"
            lines.append(f"  {state.state_id} -> {target_id} [label={_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_file: Path) -> Optional[Path]:
    """dot_file rendered next to it as SVG; None when Graphviz is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    svg = dot_file.with_suffix(".svg")
    subprocess.run([dot, "-Tsvg", str(dot_file), "-o", str(svg)], check=True, timeout=300)
    return svg
