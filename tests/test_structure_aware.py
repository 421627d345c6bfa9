"""Repairs and structure-aware mutators reach past a gate that byte mutation does not pass."""

import json
import subprocess
import sys

import pytest

from harness import project

ROOT = project.current().root


SEALED = ["--targets-dir", str(ROOT / "tests" / "sealed_targets")]
LIMITS = ["--timeout", "2", "--rss-limit-mb", "1024"]


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness", *SEALED, *args, *LIMITS]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_repro_applies_the_repair_before_the_entry_point(tmp_path):
    body = tmp_path / "body"
    body.write_bytes(b"structure")  # stored unsealed: only the repair seals it
    result = harness("repro", "sealed", str(body))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "exception:KeyError@_sealed_component.py:open_sealed" in result.stdout


def fuzz(name: str, workdir) -> list[str]:
    result = harness("fuzz", name, "--runs", "300", "--seed", "1", "--jobs", "1", "--workdir", str(workdir))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return [json.loads(p.read_text())["signature"] for p in (workdir / "bugs").rglob("record.json")]


def test_the_custom_mutator_finds_the_bug_that_byte_mutation_misses(tmp_path):
    pytest.importorskip("atheris")
    assert fuzz("sealed", tmp_path / "structured") == ["exception:KeyError@_sealed_component.py:open_sealed"]
    assert fuzz("sealed_blind", tmp_path / "blind") == []


def test_structure_aware_hooks_fall_back_to_byte_mutation():
    pytest.importorskip("atheris")
    from harness.engines.atheris_child import structure_aware
    from harness.target import load_target

    target = load_target("sealed", ROOT / "tests" / "sealed_targets")
    hooks = structure_aware(target, byte_mutate=lambda data, max_size: b"bytes")
    assert set(hooks) == {"custom_mutator"}  # no crossover declared, none installed
    outputs = {hooks["custom_mutator"](b"abcdef", 4, seed) for seed in range(50)}
    assert outputs == {b"stru", b"byte"}, "the mutator's output or a byte mutation, cut to max_size"
