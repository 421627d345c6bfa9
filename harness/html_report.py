"""The static HTML report: one self-contained page, without script or network resource, that opens from file://.

It shows the bugs (new, known, fixed upstream: a known bug whose reproducer no longer reproduces),
every target with its runs and its coverage and corpus curves, drawn here as inline SVG from the
samples the engines recorded while they ran, the conformance verdicts grouped by document and
section, and the learned state machines' pictures. It reads what the reports' JSON holds, so that
nightly (its own run) and `python -m harness report` (a work folder's files) draw the same page.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from harness import sarif
from harness.bugs import atomic_write
from harness.errors import UsageError

# Plot geometry, in CSS pixels: the drawing area sits inside the margins that hold the axis labels.
WIDTH, HEIGHT = 380, 160
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 22, 30
COLOURS = ("#1f6feb", "#d97706", "#7c3aed", "#059669")  # one per engine run on the same plot
PICTURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
SUMMARY_CHARACTERS = 120  # of a bug's message in its row; the whole of it unfolds below

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 48px; color: #1b1f24; }
h1 { margin-top: 24px; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d0d7de; padding: 3px 8px; }
th { background: #f6f8fa; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.NEW, .FAIL, .ERROR, .XPASS { background: #ffebe9; color: #a40e26; }
.known, .XFAIL, .UNJUDGED { background: #fff8c5; color: #7d4e00; }
.fixed, .PASS { background: #dafbe1; color: #116329; }
.SKIP, .none { background: #eaeef2; color: #57606a; }
.target { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 12px 10px; margin: 12px 0; }
.target h3 { margin: 8px 0 4px; } .plots { display: flex; flex-wrap: wrap; gap: 12px; }
.model { margin: 16px 0; } .model figure { margin: 0; overflow: auto; border: 1px solid #d0d7de; }
.model img { max-width: 100%; display: block; background: white; }
.model input:checked ~ figure img { max-width: none; }
table.bugs { table-layout: fixed; width: 100%; } table.bugs td { overflow-wrap: anywhere; vertical-align: top; }
table.bugs th:nth-child(1) { width: 7.5em; } table.bugs th:nth-child(2) { width: 20%; }
table.bugs th:nth-child(3) { width: 10em; } table.bugs th:nth-child(4) { width: 6.5em; }
table.bugs th:nth-child(5) { width: 28%; } table.bugs th:nth-child(6) { width: 20%; }
pre { white-space: pre-wrap; font-size: 11px; }
summary { cursor: pointer; } p.summary { font-size: 15px; }
details { margin: 2px 0; } td ul { margin: 2px 0; padding-left: 18px; }
"""


@dataclass(frozen=True)
class ModelPicture:
    """A learned state machine's picture, with what its report says first."""

    name: str
    title: str
    summary: str
    mime: str
    image: bytes


def models_in(folder: Optional[Path]) -> list[ModelPicture]:
    """The pictures `python -m harness learn` drew in `folder` (SVG, else PNG), each with its report's heading."""
    if folder is None or not folder.is_dir():
        return []
    pictures: dict[str, ModelPicture] = {}
    for path in sorted(folder.iterdir(), key=lambda path: (path.stem, path.suffix != ".svg")):
        if path.suffix not in PICTURE_TYPES or path.stem in pictures:
            continue
        lines = path.with_suffix(".md").read_text().splitlines() if path.with_suffix(".md").is_file() else []
        title = lines[0].lstrip("# ").strip() if lines else path.stem
        summary = " ".join(line for line in lines[1:4] if line.strip())
        findings = next((line.lstrip("# ") for line in lines if line.startswith("## Findings")), "")
        summary = f"{summary} {findings}".strip()
        pictures[path.stem] = ModelPicture(path.stem, title, summary, PICTURE_TYPES[path.suffix], path.read_bytes())
    return list(pictures.values())


def page(
    destination: Path,
    *,
    fuzzing: Optional[dict[str, Any]] = None,
    conformance: Optional[dict[str, Any]] = None,
    models: Sequence[ModelPicture] = (),
) -> str:
    """The page, for writing at `destination` (reproducers are linked from there): what is given, in that order."""
    sections = [("Fuzzing", *_fuzzing(fuzzing, destination))] if fuzzing is not None else []
    if conformance is not None:
        sections.append(("Conformance", *_conformance(conformance)))
    if models:
        names = ", ".join(model.name for model in models)
        sections.append(
            ("Learned state machines", f"<p class=summary>{len(models)}: {escape(names)}</p>", _models(models))
        )
    parts = [body for _, _, body in sections]
    contents = [(anchor, title) for anchor, title in _SECTIONS if any(f'id="{anchor}"' in part for part in parts)]
    nav = " · ".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in contents)
    glance = "".join(f"<h3>{title}</h3>{summary}" for title, summary, _ in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'  # no favicon request: the page loads nothing
        "<title>WebRTC harness report</title>"
        f"<style>{STYLE}</style></head><body><h1>WebRTC harness report</h1><p>{nav}</p>{glance}\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


_SECTIONS = (
    ("bugs", "Bugs"),
    ("targets", "Targets"),
    ("conformance", "Conformance"),
    ("models", "Learned state machines"),
)


def _table(header: Iterable[str], rows: Iterable[str], attributes: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _badge(word: str, css: Optional[str] = None) -> str:
    return f'<span class="badge {escape(css or word)}">{escape(word)}</span>'


def _number(value: Any) -> str:
    return '<td class="n">-</td>' if value is None else f'<td class="n">{escape(str(value))}</td>'


def _link(path: str, destination: Path) -> str:
    """A link to the file at `path`, relative from the page."""
    href = urllib.parse.quote(Path(os.path.relpath(Path(path).absolute(), destination.parent.absolute())).as_posix())
    return f'<a href="{escape(href)}">(the file)</a>'


# --- fuzzing -------------------------------------------------------------------------------------


def _fuzzing(report: dict[str, Any], destination: Path) -> tuple[str, str]:
    """The run's summary, and its section: the bugs, then the targets."""
    targets: list[dict[str, Any]] = report.get("targets", [])
    bugs = [bug for t in targets for bug in t.get("bugs", [])]
    fixed = [
        (t["name"], signature)
        for t in targets
        for run in t.get("runs", [])
        for signature in run.get("no_longer_reproducing", [])
    ]
    new = [bug for bug in bugs if not bug.get("known")]
    seed = f"seed {report['seed']}, " if report.get("seed") is not None else ""
    budget = f"budget {report['budget']:g} s, " if report.get("budget") is not None else ""
    verdict = f"{len(new)} new bug(s)" if new else "no new bug"
    unreproduced = [(t["name"], f) for t in targets for run in t.get("runs", []) for f in run.get("unreproduced", [])]
    summary = (
        f"<p class=summary><code>{escape(report.get('command', ''))}</code> ({seed}{budget}took "
        f"{report.get('seconds', 0):.0f} s, Python {escape(str(report.get('python', '?')))}"
        f"{', interrupted' if report.get('interrupted') else ''}): <b>{verdict}</b>, "
        f"{len(bugs) - len(new)} known, {len(fixed)} fixed upstream, {len(unreproduced)} finding(s) triage could"
        f" not reproduce; {len(targets)} target(s).</p>"
    )
    rows = [_bug_row(bug, destination) for bug in sorted(bugs, key=lambda b: (b.get("known", False), b["target"]))]
    rows += [
        f"<tr><td>{_badge('fixed upstream', 'fixed')}</td><td><code>{escape(signature)}</code></td>"
        f"<td>{escape(name)}</td><td colspan=3>a known bug whose registered reproducer no longer reproduces:"
        " fixed upstream? Check, then remove it from the registry</td></tr>"
        for name, signature in fixed
    ]
    bug_table = (
        _table(("status", "signature", "target", "sender, hits", "what", "reproduce"), rows, ' class="bugs"')
        if rows
        else "<p>No bug met in this run.</p>"
    )
    others = [
        ("Findings the fuzzer reported that triage could not reproduce", unreproduced),
        (
            "Runs that stopped before their budget",
            [(t["name"], why) for t in targets for r in t.get("runs", []) for why in r.get("stopped_early", [])],
        ),
        ("Targets that could not be run", [(t["name"], e) for t in targets for e in t.get("errors", [])]),
        (
            "Targets skipped: the installed stack lacks what they need (not bugs of it)",
            [(t["name"], t["skipped"]) for t in targets if t.get("skipped")],
        ),
    ]
    notes = "".join(
        f"<h3>{escape(title)}</h3><ul>"
        + "".join(f"<li>{escape(name)}: {escape(item)}</li>" for name, item in items)
        + "</ul>"
        for title, items in others
        if items
    )
    overview = _table(
        ("target", "component", "engines", "executions", "coverage", "corpus", "bugs (new / known)"),
        (_overview_row(t) for t in targets),
    )
    cards = "".join(_target_card(t) for t in targets)
    return summary, f'<h2 id="bugs">Bugs</h2>{bug_table}{notes}<h2 id="targets">Targets</h2>{overview}{cards}'


def _bug_row(bug: dict[str, Any], destination: Path) -> str:
    message = (bug.get("message") or "").strip()
    first = message.splitlines()[0] if message else bug.get("error", "")
    short = first if len(first) <= SUMMARY_CHARACTERS else first[:SUMMARY_CHARACTERS] + "…"
    if bug.get("known"):
        status = _badge("known")
        upstream = bug.get("upstream", "")
        link = f'<a href="{escape(upstream)}">{escape(upstream)}</a>' if upstream.startswith("http") else upstream
        more = f"{escape(first)}<br>known: {escape(bug.get('known_reason', ''))} ({link})"
    else:
        status, more = _badge("NEW"), f"<pre>{escape(bug.get('traceback', '') or first)}</pre>"
    sender = f"{escape(bug['sender'])} sender, " if bug.get("sender") else ""
    return (
        f"<tr><td>{status}</td><td><code>{escape(bug['signature'])}</code></td><td>{escape(bug['target'])}<br>"
        f"<small>{escape(bug.get('component', ''))} {escape(bug.get('component_version', ''))}</small></td>"
        f"<td>{sender}{bug.get('hits', 1)} hit(s)</td><td><details><summary>{escape(short)}</summary>{more}"
        f"</details></td><td><code>python -m harness repro {escape(bug['target'])} {escape(bug['reproducer'])}</code>"
        f" {_link(bug['reproducer'], destination)}</td></tr>"
    )


def _bug_counts(target: dict[str, Any]) -> str:
    bugs = target.get("bugs", [])
    known = {b["signature"] for b in bugs if b.get("known")}
    known |= {s for r in target.get("runs", []) for s in r.get("known_passed_over", [])}
    return f"{sum(not b.get('known') for b in bugs)} / {len(known)}"


def _overview_row(target: dict[str, Any]) -> str:
    runs = target.get("runs", [])
    coverage = max((r["coverage"] for r in runs if r.get("coverage") is not None), default=None)
    corpus = next((r["corpus_files"] for r in reversed(runs) if r.get("corpus_files") is not None), None)
    engines = ", ".join(r["engine"] for r in runs) or "did not run"
    return (
        f'<tr data-target="{escape(target["name"])}"><td><a href="#target-{escape(target["name"])}">'
        f"{escape(target['name'])}</a></td><td>{escape(target['component'])} {escape(target['version'])}</td>"
        f"<td>{escape(engines)}</td>{_number(sum(r.get('executions', 0) for r in runs))}{_number(coverage)}"
        f"{_number(corpus)}<td>{_bug_counts(target)}</td></tr>"
    )


def _target_card(target: dict[str, Any]) -> str:
    runs = target.get("runs", [])
    rows = [
        f"<tr><td>{escape(r['engine'])}</td>{_number(round(r.get('seconds', 0)))}{_number(r.get('executions'))}"
        f"{_number(round(r['executions'] / r['seconds']) if r.get('seconds') else 0)}{_number(r.get('coverage'))}"
        f"{_number(r.get('corpus_files'))}<td>"
        + ("-" if r.get("accepted") is None else f"{r['accepted']} / {r['rejected']}")
        + f"</td>{_number(len(r.get('timeline', [])))}</tr>"
        for r in runs
    ]
    table = (
        _table(
            ("engine", "seconds", "executions", "exec/s", "coverage", "corpus", "accepted / refused", "samples"), rows
        )
        if rows
        else ""
    )
    notes = [f"could not run: {error}" for error in target.get("errors", [])]
    notes += [f"skipped: {target['skipped']}"] if target.get("skipped") else []
    notes += [f"working corpus merged: {target['merged']}"] if target.get("merged") else []
    shown = "".join(f"<p>{escape(note)}</p>" for note in notes)
    return (
        f'<section class="target" id="target-{escape(target["name"])}" data-target="{escape(target["name"])}">'
        f"<h3>{escape(target['name'])}</h3><p>{escape(target['protocol'])}, {escape(target['component'])} "
        f"{escape(target['version'])}; bugs new / known: {_bug_counts(target)}</p>{table}{shown}"
        f"{_plots(target['name'], runs)}</section>"
    )


def _plots(name: str, runs: list[dict[str, Any]]) -> str:
    sampled = [r for r in runs if r.get("timeline")]
    if not sampled:
        engines = ", ".join(r["engine"] for r in runs)
        why = f"{escape(engines)} recorded none while running" if runs else "no engine ran it"
        return f'<p class="no-samples">no samples: {why}</p>'
    charts = []
    for key, title, unit in (("coverage", "coverage", "edges"), ("corpus", "corpus size", "files")):
        series = [
            (r["engine"], [(s["seconds"], s[key]) for s in r["timeline"] if s.get(key) is not None]) for r in sampled
        ]
        series = [(engine, points) for engine, points in series if points]
        if series:
            charts.append(plot(f"{title} ({unit})", series, f"{name}: {title} ({unit}) over seconds of fuzzing"))
        else:
            engines = ", ".join(r["engine"] for r in sampled)
            charts.append(f"<p>{escape(title)}: not measured by {escape(engines)}</p>")
    return f'<div class="plots">{"".join(charts)}</div>'


def plot(title: str, series: Sequence[tuple[str, Sequence[tuple[float, float]]]], description: str) -> str:
    """A line chart as inline SVG: each series (label, [(seconds, value)]) against one time axis from 0."""
    x_max = max(x for _, points in series for x, _ in points) or 1.0
    y_max = max(y for _, points in series for _, y in points) or 1.0
    inner_width, inner_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x: float, y: float) -> str:
        return f"{LEFT + x / x_max * inner_width:.1f},{TOP + inner_height - y / y_max * inner_height:.1f}"

    shapes = [
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="600">{escape(title)}</text>',
        f'<polyline points="{at(0, y_max)} {at(0, 0)} {at(x_max, 0)}" fill="none" stroke="#57606a"/>',
    ]
    for y in (0, y_max / 2, y_max):
        label = f"{y:.0f}" if y_max >= 10 else f"{y:.2g}"
        shapes.append(
            f'<text x="{LEFT - 6}" y="{at(0, y).split(",")[1]}" font-size="10" text-anchor="end"'
            f' dominant-baseline="middle">{label}</text>'
        )
        if y:
            shapes.append(f'<polyline points="{at(0, y)} {at(x_max, y)}" stroke="#eaeef2" fill="none"/>')
    for x, anchor in ((0, "start"), (x_max, "end")):
        shapes.append(
            f'<text x="{at(x, 0).split(",")[0]}" y="{HEIGHT - 12}" font-size="10"'
            f' text-anchor="{anchor}">{x:.0f} s</text>'
        )
    legend = []  # under the time axis, between its ends: each series' last value, in its colour
    for number, (label, points) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        line = " ".join(at(x, y) for x, y in points)
        shapes.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        cx, cy = at(*points[-1]).split(",")  # the last value, marked: a line of one sample has no length
        shapes.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        legend.append(f'<tspan fill="{colour}">{escape(label)}: {points[-1][1]:g}</tspan>')
    shapes.append(
        f'<text x="{LEFT + inner_width / 2:.1f}" y="{HEIGHT - 12}" font-size="10" text-anchor="middle">'
        + "  ".join(legend)
        + "</text>"
    )
    return (
        f'<svg class="plot" role="img" aria-label="{escape(description)}" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(description)}</title>{''.join(shapes)}</svg>"
    )


# --- conformance ---------------------------------------------------------------------------------


def _document(requirement: dict[str, Any]) -> str:
    rfc = requirement["rfc"]
    return f"RFC {rfc}" if isinstance(rfc, int) else str(rfc)


def _conformance(report: dict[str, Any]) -> tuple[str, str]:
    """The run's summary, and its section: the requirements by document and section."""
    counts = ", ".join(f"{n} {o}" for o, n in report.get("verdicts", {}).items())
    requirements: list[dict[str, Any]] = report.get("requirements", [])
    tests = sum(len(r.get("tests", [])) for r in requirements)
    verdict = "conforms to the expectations" if report.get("passed") else "deviates from the expectations"
    summary = (
        f"<p class=summary><code>{escape(report.get('command', ''))}</code>"
        f" against {escape(', '.join(report.get('implementations', [])))}: <b>{verdict}</b> "
        f"({len(requirements)} requirements: {escape(counts)}; {tests} tests)</p>"
    )
    parts = ['<h2 id="conformance">Conformance</h2>']
    documents: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for requirement in requirements:
        documents.setdefault(_document(requirement), {}).setdefault(requirement["section"], []).append(requirement)
    for document, sections in documents.items():
        rows = []
        for section, members in sections.items():
            link = sarif.help_uri(members[0]["rfc"], section)
            cell = f'<td rowspan="{len(members)}"><a href="{escape(link)}">§{escape(section)}</a></td>'
            for number, requirement in enumerate(members):
                rows.append(f"<tr>{cell if number == 0 else ''}{_requirement_cells(requirement)}</tr>")
        total = sum(len(m) for m in sections.values())
        parts.append(
            f"<h3>{escape(document)} ({total} requirement{'s' if total != 1 else ''})</h3>"
            + _table(("section", "keyword", "requirement", "verdict", "tests"), rows)
        )
    return summary, "".join(parts)


def _requirement_cells(requirement: dict[str, Any]) -> str:
    tests: list[dict[str, Any]] = requirement.get("tests", [])
    outcomes: dict[str, int] = {}
    for test in tests:
        outcomes[test["outcome"]] = outcomes.get(test["outcome"], 0) + 1
    tally = ", ".join(f"{n} {o.lower()}" for o, n in outcomes.items())
    why = [t for t in tests if t["outcome"] != "PASS"]
    details = (
        f"<details><summary>why {len(why)} did not pass</summary><ul>"
        + "".join(
            f"<li>{_badge(t['outcome'])} <code>{escape(t['test'])}</code>: {escape(t.get('message', ''))}</li>"
            for t in why
        )
        + "</ul></details>"
        if why
        else ""
    )
    return (
        f"<td>{escape(requirement['keyword'])}</td><td>{escape(requirement['text'])}</td>"
        f"<td>{_badge(requirement['verdict'])}</td><td>{escape(tally)}{details}</td>"
    )


# --- models --------------------------------------------------------------------------------------


def _models(models: Sequence[ModelPicture]) -> str:
    parts = ['<h2 id="models">Learned state machines</h2>']
    for model in models:
        data = base64.b64encode(model.image).decode()
        parts.append(
            f'<div class="model" id="model-{escape(model.name)}"><h3>{escape(model.name)}</h3>'
            f"<p><b>{escape(model.title)}</b>. {escape(model.summary)}</p>"
            f'<input type="checkbox" id="full-{escape(model.name)}"><label for="full-{escape(model.name)}">'
            " actual size</label><figure>"
            f'<img alt="learned state machine {escape(model.name)}" src="data:{model.mime};base64,{data}">'
            "</figure></div>"
        )
    return "".join(parts)


# --- python -m harness report --------------------------------------------------------------------


def _read_report(path: Path) -> Optional[dict[str, Any]]:
    """A report.json, or None when there is none; one that cannot be read is a usage error."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"report {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"report {path} is not a harness report")
    return data


def bundle(workdir: Path, conformance: Path, models: Path, destination: Path) -> list[str]:
    """Write one page of what a work folder holds: the last nightly's report, the last conformance report,
    the learned models. Returns what went in; nothing to put in is a usage error."""
    fuzzing = _read_report(workdir / "report" / "report.json")
    verdicts = _read_report(conformance / "report.json")
    pictures = models_in(models)
    if fuzzing is None and verdicts is None and not pictures:
        raise UsageError(
            f"nothing to report: no {workdir / 'report' / 'report.json'}, no {conformance / 'report.json'},"
            f" no picture in {models} (run nightly, conformance or learn first)"
        )
    if fuzzing is not None and not isinstance(fuzzing.get("targets"), list):
        raise UsageError(f"report {workdir / 'report' / 'report.json'} is not a fuzzing report")
    if verdicts is not None and not isinstance(verdicts.get("requirements"), list):
        raise UsageError(f"report {conformance / 'report.json'} is not a conformance report")
    try:
        atomic_write(destination, page(destination, fuzzing=fuzzing, conformance=verdicts, models=pictures).encode())
    except OSError as exc:
        raise UsageError(f"{destination} cannot be written: {exc.strerror or exc}") from None
    contents = [f"fuzzing report of {len(fuzzing['targets'])} target(s)"] if fuzzing is not None else []
    if verdicts is not None:
        contents.append(f"conformance report of {len(verdicts['requirements'])} requirement(s)")
    if pictures:
        contents.append(f"{len(pictures)} learned model(s)")
    return contents
