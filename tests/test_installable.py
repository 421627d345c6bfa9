"""The harness as a wheel: built from the repository, installed in a fresh venv, run from another folder.

The wheel carries the harness, not a project: it is pointed at one (--project, or the environment
variable), and then lists, replays, reproduces and fuzzes every target of it.
"""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from harness import project
from harness.known_bugs import Registry
from harness.target import target_files

ROOT = project.current().root


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console script of a fresh venv holding the wheel built from this checkout, with the fuzz extra."""
    where = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(where / "dist"), str(ROOT)], check=True)
    [wheel] = (where / "dist").glob("webrtc_security_harness-*.whl")
    venv.create(where / "venv", with_pip=True)
    python = where / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", "install", f"{wheel}[fuzz]"],
                   check=True)  # fmt: skip
    return where / "venv" / "bin" / "webrtc-harness"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder outside the checkout, with no trace of it in the environment."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def run(script: Path, *args: str, cwd: Path, project_root: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", project.ENVIRONMENT_VARIABLE)}
    if project_root is not None:
        env[project.ENVIRONMENT_VARIABLE] = project_root
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_wheel_holds_the_harness_and_runs_from_its_own_venv(installed: Path, elsewhere: Path) -> None:
    shown = run(installed, "--help", cwd=elsewhere)
    assert shown.returncode == 0, shown.stderr
    venv_root = installed.parents[1]
    code = "import harness, sys; print(harness.__file__)"
    where = subprocess.run([str(venv_root / "bin" / "python"), "-c", code], cwd=elsewhere, capture_output=True,
                           text=True, check=True)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv_root), "the wheel's harness, not the checkout's"


def test_without_a_project_it_says_how_to_name_one_in_one_line(installed: Path, elsewhere: Path) -> None:
    result = run(installed, "list", cwd=elsewhere)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"harness: error: no project to work on: pass --project DIR or set {project.ENVIRONMENT_VARIABLE}"
    ]
    result = run(installed, "--project", str(elsewhere), "list", cwd=elsewhere)
    assert result.returncode == 2
    assert result.stderr.strip() == f"harness: error: {elsewhere} is not a harness project: it has no targets/ package"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_it_lists_every_target_of_the_project_it_is_pointed_at(installed: Path, elsewhere: Path, how: str) -> None:
    if how == "option":
        result = run(installed, "--project", str(ROOT), "list", cwd=elsewhere)
    else:
        result = run(installed, "list", cwd=elsewhere, project_root=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(target_files())


def test_it_replays_every_corpus_and_reproduces_a_known_bug(installed: Path, elsewhere: Path) -> None:
    replay = run(installed, "replay", "--workdir", "work", cwd=elsewhere, project_root=str(ROOT))
    assert replay.returncode == 0, replay.stderr[-3000:]
    report = json.loads((elsewhere / "work" / "report" / "report.json").read_text())
    assert sorted(t["name"] for t in report["targets"]) == sorted(target_files())
    assert all(t["runs"][0]["executions"] > 0 for t in report["targets"])
    known = Registry.load().for_target("stun_parse")[0]
    repro = run(installed, "repro", "stun_parse", str(known.reproducer), cwd=elsewhere, project_root=str(ROOT))
    assert repro.returncode == 1 and known.signature in repro.stdout, repro.stdout + repro.stderr


def test_it_fuzzes_every_target(installed: Path, elsewhere: Path) -> None:
    fuzz = run(installed, "--project", str(ROOT), "fuzz", "--all", "--runs", "20", "--jobs", "1", "--seed", "1",
               "--workdir", "work", cwd=elsewhere)  # fmt: skip
    assert fuzz.returncode == 0, fuzz.stderr[-3000:]
    report = json.loads((elsewhere / "work" / "report" / "report.json").read_text())
    runs = {t["name"]: t["runs"] for t in report["targets"]}
    assert sorted(runs) == sorted(target_files())
    assert all([r["engine"] for r in target_runs] == ["atheris"] and target_runs[0]["executions"] > 0
               for target_runs in runs.values()), runs  # fmt: skip
