"""SARIF 2.1.0 logs of a fuzzing run's bugs and of a conformance run's verdicts, for code scanning.

Bugs: a rule per bug kind, a result per bug (error when new, note when known) located at its
reproducer, with the signature and the sender in its properties and a fingerprint made from the
signature, so that code scanning keeps one alert for one bug night after night, wherever its
reproducer was written. Conformance: a rule per requirement (its RFC, section, keyword, sentence,
and a link to the section on rfc-editor.org), a result per test located at the test function:
a deviation from the expectations is an error, an expected failure a note, a pass kind "pass".
"""

from __future__ import annotations

import hashlib
import re
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import project
from harness.verdict import BUG_KINDS, CRASH, EXCEPTION, EXIT, HANG, OOM, ORACLE, RECURSION

if TYPE_CHECKING:  # the conformance report imports pytest, which the fuzzing commands do without
    from harness.conformance.report import CaseResult, ConformanceReport
    from harness.conformance.requirements import Requirement
    from harness.report import RunReport

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
VERSION = "2.1.0"
TOOL = "webrtc-security-harness"
SOURCE_ROOT = "%SRCROOT%"  # the uriBaseId code scanning resolves against the checkout
FINGERPRINT = "harnessSignature/v1"  # partialFingerprints key: bump it if what it hashes changes

KIND_DESCRIPTIONS = {
    EXCEPTION: "an exception the component does not document as its way to refuse input",
    HANG: "an input ran past the per-input timeout",
    CRASH: "the process died on a signal (segfault, abort)",
    OOM: "the input exhausted the memory limit",
    RECURSION: "the component recursed without end",
    EXIT: "the component ended the process (os._exit, sys.exit)",
    ORACLE: "a property beyond 'did not crash' failed (the signature names it)",
}
# A conformance outcome -> (kind, level) of its SARIF result.
OUTCOME_KINDS = {
    "FAIL": ("fail", "error"),
    "ERROR": ("fail", "error"),
    "XPASS": ("fail", "error"),  # the expectations are stale: a deviation too
    "XFAIL": ("fail", "note"),
    "UNJUDGED": ("review", "warning"),  # a release with no expectations recorded: failed, not judged
    "PASS": ("pass", "none"),
    "SKIP": ("notApplicable", "none"),
}


def _fingerprint(*parts: str) -> dict[str, str]:
    return {FINGERPRINT: hashlib.sha256("\n".join(parts).encode()).hexdigest()}


def _artifact(path: Path) -> dict[str, str]:
    """A file's location: from the project's root when under it (what code scanning resolves), else a file URI."""
    shown = project.current().shown(path.resolve())
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": Path(shown).as_posix(), "uriBaseId": SOURCE_ROOT}


def _log(run: dict[str, Any]) -> dict[str, Any]:
    run["originalUriBaseIds"] = {SOURCE_ROOT: {"uri": project.current().root.as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": VERSION, "runs": [run]}


def _driver(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        version = metadata.version(TOOL)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "unknown"
    return {"name": name, "version": version, "rules": rules}


def bugs_log(report: RunReport) -> dict[str, Any]:
    """The SARIF log of a fuzzing run: one result per bug it recorded."""
    bugs = [bug for target in report.targets for bug in target.bugs]
    kinds = list(BUG_KINDS) + sorted({bug.kind for bug in bugs} - set(BUG_KINDS))
    rules = [
        {
            "id": kind,
            "name": kind.capitalize(),
            "shortDescription": {"text": f"{kind}: {KIND_DESCRIPTIONS.get(kind, 'a bug')}"},
            "fullDescription": {"text": f"A bug of kind {kind}: {KIND_DESCRIPTIONS.get(kind, 'a bug')}."},
            "defaultConfiguration": {"level": "error"},
            "help": {"text": "Reproduce it with the command in the result's message (python -m harness repro)."},
            "properties": {"tags": ["security", "fuzzing"]},
        }
        for kind in kinds
    ]
    index = {kind: number for number, kind in enumerate(kinds)}
    results = []
    for bug in bugs:
        status = f"Known ({bug.upstream}): why in properties.knownReason" if bug.known else "NEW"
        sender = f", sent by the {bug.sender} sender" if bug.sender else ""
        first = bug.message.strip().splitlines()[0] if bug.message.strip() else bug.error
        reproducer = Path(bug.reproducer)
        results.append(
            {
                "ruleId": bug.kind,
                "ruleIndex": index[bug.kind],
                "level": "note" if bug.known else "error",
                "message": {
                    "text": f"{bug.signature} in {bug.target} ({bug.component} {bug.component_version}){sender}:"
                    f" {first}. {status}. Reproduce: python -m harness repro {bug.target}"
                    f" {project.current().shown(reproducer)}"
                },
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": _artifact(reproducer), "region": {"startLine": 1}},
                        "logicalLocations": [{"fullyQualifiedName": bug.frame, "kind": "function"}],
                    }
                ],
                "partialFingerprints": _fingerprint(bug.signature),
                "properties": {
                    "signature": bug.signature,
                    "sender": bug.sender,
                    "target": bug.target,
                    "component": f"{bug.component} {bug.component_version}",
                    "known": bug.known,
                    "knownReason": bug.known_reason,
                    "upstream": bug.upstream,
                    "hits": bug.hits,
                    "engine": bug.engine,
                    "seed": bug.seed,
                },
            }
        )
    run = {
        "tool": {"driver": _driver(f"{TOOL} fuzzing", rules)},
        "automationDetails": {"id": "harness-fuzzing/"},
        "invocations": [{"commandLine": report.command, "executionSuccessful": not report.errors}],
        "results": results,
    }
    return _log(run)


def rule_id(requirement: Requirement) -> str:
    """Stable while the requirement's words are: the document, the section and a hash of the sentence."""
    words = f"{requirement.keyword} {requirement.text}"
    return (
        f"{requirement.document.replace(' ', '')}/{requirement.section}/{hashlib.sha1(words.encode()).hexdigest()[:8]}"
    )


def help_uri(rfc: int | str, section: str) -> str:
    """Where the requirement's section is read: rfc-editor.org for an RFC, the IETF's for a draft, the W3C's page."""
    if isinstance(rfc, int):
        return f"https://www.rfc-editor.org/rfc/rfc{rfc}.html#section-{section}"
    if rfc.startswith("draft-"):
        return f"https://datatracker.ietf.org/doc/html/{rfc}#section-{section}"
    if rfc == "W3C webrtc-pc":
        return "https://www.w3.org/TR/webrtc/"
    return "https://www.rfc-editor.org/"


def conformance_log(report: ConformanceReport) -> dict[str, Any]:
    """The SARIF log of a conformance run: one rule per requirement, one result per test."""
    verdicts = report.requirements
    rules = [
        {
            "id": rule_id(v.requirement),
            "shortDescription": {"text": str(v.requirement)},
            "fullDescription": {
                "text": f"{v.requirement.document} section {v.requirement.section}: "
                f"{v.requirement.keyword} {v.requirement.text}"
            },
            "helpUri": help_uri(v.requirement.rfc, v.requirement.section),
            "help": {"text": f"{v.requirement} ({help_uri(v.requirement.rfc, v.requirement.section)})"},
            "properties": {
                "rfc": str(v.requirement.rfc),
                "section": v.requirement.section,
                "keyword": v.requirement.keyword,
                "text": v.requirement.text,
                "tags": ["conformance", v.requirement.document],
            },
        }
        for v in verdicts
    ]
    index = {v.requirement: number for number, v in enumerate(verdicts)}
    run = {
        "tool": {"driver": _driver(f"{TOOL} conformance", rules)},
        "automationDetails": {"id": "harness-conformance/"},
        "invocations": [{"commandLine": report.command, "executionSuccessful": True}],
        "results": [_conformance_result(result, index[result.requirement]) for result in report.results],
    }
    return _log(run)


def _conformance_result(result: CaseResult, rule_index: int) -> dict[str, Any]:
    kind, level = OUTCOME_KINDS[result.outcome]
    why = f": {result.message}" if result.message else ""
    test_file = project.current().conformance / result.test.split("::")[0]
    return {
        "ruleId": rule_id(result.requirement),
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": f"{result.outcome} {result.test} against {result.implementation}{why}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(test_file),
                    "region": {"startLine": _line_of(test_file, result.test)},
                }
            }
        ],
        "partialFingerprints": _fingerprint(rule_id(result.requirement), result.test),
        "properties": {"outcome": result.outcome, "implementation": result.implementation, "test": result.test},
    }


def _line_of(test_file: Path, test: str) -> int:
    """The line of the test function, for code scanning to show; 1 when the file or the function is not found."""
    function = re.sub(r"\[.*$", "", test.split("::")[-1])
    try:
        lines = test_file.read_text().splitlines()
    except OSError:
        return 1
    pattern = re.compile(rf"^\s*(async\s+)?def {re.escape(function)}\(")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 1)
