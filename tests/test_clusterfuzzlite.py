"""The ClusterFuzzLite packaging, built here the way OSS-Fuzz's base builder builds it (Docker is not available).

.clusterfuzzlite/build.sh runs as in the image, with two commands of the image stood in for: `pip3` (the
harness is installed in this venv already) and `compile_python_fuzzer`, which runs PyInstaller exactly as
base-builder/compile_python_fuzzer does for one target (a one-file executable `<target>.pkg` and the shell
wrapper OSS-Fuzz runs) and records the others. The executable then runs as ClusterFuzzLite runs it: over
its seed corpus, fuzzing for a fixed number of runs (passing over the known bugs it meets), and on a known
bug's reproducer, where it must end as libFuzzer ends on a crash under atheris 3.0.0: exit status 77 (its
-error_exitcode), " === Uncaught Python exception: ===" and the component's traceback on standard output,
"==PID== ERROR: libFuzzer: fuzz target exited" and the input's bytes on standard error (run on a file,
libFuzzer writes no crash-<sha1> file; while fuzzing it does, with "Test unit written to").
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness import project, standalone
from harness.known_bugs import Registry
from harness.standalone import Finding, reproducing, seed_inputs, write_fuzzers
from harness.target import OracleViolation, Target, load_target, target_files
from harness.verdict import classify_call, innermost_frame

ROOT = project.current().root
BUILD_SH = ROOT / ".clusterfuzzlite" / "build.sh"
BUILT = "stun_parse"  # builds small: aioice's STUN codec, no media stack
SEED = 1  # libFuzzer's -seed of the fuzzing run, printed by libFuzzer
FUZZING_RUNS = 2000

# base-builder/compile_python_fuzzer (google/oss-fuzz) for one target, without what a build here has no use
# for (coverage and introspector modes, the sanitizer library preloaded by the wrapper); the spec file goes
# to the work folder, not into the checkout.
COMPILE_PYTHON_FUZZER = """\
#!/bin/bash -eu
fuzzer_path=$1
shift 1
fuzzer_basename=$(basename -s .py "$fuzzer_path")
fuzzer_package=${fuzzer_basename}.pkg
echo "$fuzzer_basename $*" >> "$WORK/compiled"
[ "$fuzzer_basename" = "$BUILD_ONLY" ] || exit 0
workpath=$WORK/pyfuzzworkdir/$fuzzer_basename
mkdir -p "$workpath"
pyinstaller --distpath "$OUT" --workpath="$workpath" --specpath="$workpath" --onefile --name "$fuzzer_package" \\
  "$@" "$fuzzer_path"
chmod -x "$OUT/$fuzzer_package"
echo "#!/bin/sh
# LLVMFuzzerTestOneInput for fuzzer detection.
this_dir=\\$(dirname \\"\\$0\\")
chmod +x \\$this_dir/$fuzzer_package
\\$this_dir/$fuzzer_package \\$@" > "$OUT/$fuzzer_basename"
chmod +x "$OUT/$fuzzer_basename"
"""
PIP3 = '#!/bin/sh\necho "$*" >> "$WORK/pip3"\n'


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sh(tmp_path_factory.mktemp("cflite"), BUILT)


def build_sh(base: Path, only: str) -> Path:
    """build.sh run as the base builder runs it, PyInstaller packing the target `only`; returns $OUT."""
    out, work, tools = base / "out", base / "work", base / "bin"
    for folder in (out, work, tools):
        folder.mkdir()
    for name, text in (("compile_python_fuzzer", COMPILE_PYTHON_FUZZER), ("pip3", PIP3)):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    # The venv's python3 and pyinstaller, as the image's are on its PATH.
    path = os.pathsep.join([str(tools), str(Path(sys.executable).parent), os.environ["PATH"]])
    if shutil.which("pyinstaller", path=path) is None:
        pytest.fail("PyInstaller is not installed: pip install -e '.[test]'")
    env = dict(os.environ, SRC=str(base), OUT=str(out), WORK=str(work), PATH=path, BUILD_ONLY=only)
    run = subprocess.run(["bash", str(BUILD_SH)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


def fuzzer(out: Path, *args: str, cwd: Path, name: str = BUILT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(out / name), *args], cwd=cwd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )


def test_build_sh_packs_every_target_with_its_seeds_and_dictionary(build):
    names = list(target_files())
    work = build.parent / "work"
    assert (work / "pip3").read_text().split() == ["install", ".[fuzz]"]
    compiled = (work / "compiled").read_text().splitlines()
    assert sorted(compiled) == sorted(f"{name} --paths {ROOT} --hidden-import _cffi_backend" for name in names)
    for name in names:
        with zipfile.ZipFile(build / f"{name}_seed_corpus.zip") as archive:
            seeds = {path.name for path in seed_inputs(ROOT / "corpora" / name)}
            assert set(archive.namelist()) == seeds and seeds, name
        dictionary = ROOT / "targets" / f"{name}.dict"
        assert (build / f"{name}.dict").exists() == dictionary.exists(), name
    # The executable OSS-Fuzz runs is the wrapper; the package beside it is not executable, as there.
    assert os.access(build / BUILT, os.X_OK) and not os.access(build / f"{BUILT}.pkg", os.X_OK)


def test_the_seed_corpus_leaves_the_known_bugs_reproducers_out():
    regressions = ROOT / "corpora" / BUILT / "regressions"
    assert any(regressions.iterdir())
    assert all(path.parent != regressions for path in seed_inputs(ROOT / "corpora" / BUILT))


def test_the_executable_runs_its_seed_corpus_then_fuzzes_a_fixed_number_of_runs(build, tmp_path):
    seeds = tmp_path / "seeds"
    with zipfile.ZipFile(build / f"{BUILT}_seed_corpus.zip") as archive:
        archive.extractall(seeds)
    replayed = fuzzer(build, "-runs=0", str(seeds), cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    assert f"INFO: seed corpus: files: {len(list(seeds.iterdir()))} " in replayed.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    print(f"fuzzing {BUILT} with -seed={SEED}")
    fuzzed = fuzzer(build, f"-seed={SEED}", f"-runs={FUZZING_RUNS}", str(corpus), str(seeds), cwd=tmp_path)
    assert fuzzed.returncode == 0, fuzzed.stdout[-3000:] + fuzzed.stderr[-3000:]
    assert f"Done {FUZZING_RUNS} runs" in fuzzed.stderr
    assert "-max_len is not provided" not in fuzzed.stderr  # the script gives the target's
    assert any(corpus.iterdir()), "the fuzzer kept no input"
    # aioice's known STUN bugs are met within a few hundred runs: passed over while fuzzing, not crashed on.
    assert "harness: passed over known bug exception:struct.error@aioice/stun.py:unpack_unsigned\n" in fuzzed.stderr


def test_a_known_bugs_reproducer_crashes_the_executable_as_libfuzzer_does(build, tmp_path):
    bug = Registry.load().for_target(BUILT)[0]
    crash = fuzzer(build, f"-artifact_prefix={tmp_path}/", str(bug.reproducer), cwd=tmp_path)
    assert crash.returncode == 77, crash.stdout[-3000:] + crash.stderr[-3000:]  # libFuzzer's -error_exitcode
    assert "=== Uncaught Python exception: ===" in crash.stdout
    function = bug.signature.rsplit(":", 1)[1]  # the component's frame is in the traceback shown
    assert 'aioice/stun.py", line' in crash.stdout and f"in {function}\n" in crash.stdout, crash.stdout
    assert "ERROR: libFuzzer: fuzz target exited" in crash.stderr
    assert "SUMMARY: libFuzzer: fuzz target exited" in crash.stderr
    # Run on files, libFuzzer writes no crash file (it has the input): it prints its bytes.
    assert not list(tmp_path.glob("crash-*"))
    assert "".join(f"{octet:#x}," for octet in bug.reproducer.read_bytes()) in crash.stderr


@pytest.mark.slow
def test_a_target_on_pylibsrtp_packs_with_cffis_backend_and_crashes_on_its_known_bug(tmp_path):
    """pylibsrtp's binding imports _cffi_backend from C: without build.sh's --hidden-import, the executable
    fails at its import of the target (ModuleNotFoundError), before it fuzzes anything."""
    name = "srtp_unprotect"
    out = build_sh(tmp_path, name)
    bug = Registry.load().for_target(name)[0]
    crash = fuzzer(out, str(bug.reproducer), cwd=tmp_path, name=name)
    assert crash.returncode == 77, crash.stdout[-3000:] + crash.stderr[-3000:]
    assert 'pylibsrtp/__init__.py", line' in crash.stdout, crash.stdout


def test_every_generated_script_imports_its_target_statically(tmp_path):
    names = write_fuzzers(tmp_path, None)
    assert names == list(target_files())
    registry = Registry.load()
    for name in names:
        tree = ast.parse((tmp_path / f"{name}.py").read_text())
        imports = [
            (node.module, [a.name for a in node.names]) for node in tree.body if isinstance(node, ast.ImportFrom)
        ]
        assert ("targets", [name]) in imports, name
        known = next(node.value for node in tree.body if isinstance(node, ast.AnnAssign))
        assert set(ast.literal_eval(known)) == {bug.signature for bug in registry.for_target(name)}, name
    # Each imports and gives its TestOneInput (instrumenting the target's modules), in one process for all.
    check = "import runpy, sys\nfor path in sys.argv[1:]:\n    assert callable(runpy.run_path(path)['TestOneInput'])"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    scripts = [str(tmp_path / f"{name}.py") for name in names]
    run = subprocess.run([sys.executable, "-c", check, *scripts], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]


def test_known_bugs_are_passed_over_only_while_libfuzzer_fuzzes_a_folder(tmp_path):
    crash = tmp_path / "crash-1"
    crash.write_bytes(b"x")
    assert reproducing(["fuzzer", "-runs=100", str(crash)])
    assert not reproducing(["fuzzer", "-runs=100", str(tmp_path)])
    assert not reproducing(["fuzzer", "-runs=100"])


@pytest.fixture(scope="module")
def faulty() -> Target:
    return load_target("faulty", ROOT / "tests" / "faulty_targets")


def test_test_one_input_returns_on_what_the_harness_accepts_or_refuses(faulty):
    one_input = standalone.test_one_input(faulty, timeout=1)
    for data in (b"fine", b"V refused as documented", b"D random fresh for every input", b"D again"):
        assert one_input(data) is None


def test_a_bug_crashes_with_the_components_own_exception_and_frames(faulty):
    one_input = standalone.test_one_input(faulty, timeout=1)
    with pytest.raises(KeyError) as raised:
        one_input(b"K")
    assert raised.traceback[-1].name == "parse"  # the component's frame, innermost
    with pytest.raises(OracleViolation, match="echo-kept"):  # the oracle applies
        one_input(b"O")


def test_a_known_bug_is_passed_over_while_fuzzing_and_crashes_when_reproduced(faulty, tmp_path, capsys):
    known = classify_call(faulty, b"K").signature
    assert known is not None
    fuzzing = standalone.test_one_input(faulty, [known], ["fuzzer", str(tmp_path)], timeout=1)
    assert fuzzing(b"K") is None and fuzzing(b"K again") is None
    assert capsys.readouterr().err == f"harness: passed over known bug {known}\n"  # once
    with pytest.raises(OracleViolation):  # another bug still crashes
        fuzzing(b"O")
    reproducing_file = standalone.test_one_input(faulty, [known], ["fuzzer", str(tmp_path / "crash")], timeout=1)
    (tmp_path / "crash").write_bytes(b"K")
    with pytest.raises(KeyError):
        reproducing_file(b"K")


def test_a_frozen_fuzzer_places_its_frames_in_the_component_as_the_harness_does(tmp_path, monkeypatch):
    # PyInstaller names a frame's file relative to where the bundle unpacks: "aioice/stun.py".
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    (tmp_path / "aioice").mkdir()
    frames = [("harness/standalone.py", 1, "one_input"), ("aioice/stun.py", 2, "unpack_unsigned")]
    assert innermost_frame(frames, (tmp_path / "aioice",)) == ("aioice/stun.py:unpack_unsigned", 2)


def test_a_hang_crashes_with_the_loop_the_watchdog_sampled(faulty):
    one_input = standalone.test_one_input(faulty, timeout=0.3)
    with pytest.raises(Finding, match=r"(?s)faulty: hang:Timeout@_faulty_component.py:parse.*Stack sample 1"):
        one_input(b"H")
    assert one_input(b"fine") is None  # the watchdog is ready for the next input
