"""The command line: listing, reproduction, replay, fuzzing of faulty targets, bad input."""

import importlib.metadata
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import project
from harness.known_bugs import Registry
from harness.target import target_files

ROOT = project.current().root
FAULTY = ["--targets-dir", str(ROOT / "tests" / "faulty_targets")]
LIMITS = ["--timeout", "2", "--rss-limit-mb", "1024"]


def harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )


BLIND = ["stun_parse", "sdp_parse", "rtp_parse", "rtcp_parse", "sctp_packet", "srtp_unprotect", "srtcp_unprotect"]
STRUCTURED = ["stun_integrity", "sctp_chunks", "srtp_rtp_path", "srtcp_rtcp_path", "sdp_structured", "dtls_records"]
DIFFERENTIAL = ["srtp_differential", "srtcp_differential"]
CONVERSATIONS = ["dtls_handshake", "session_udp", "session_memory"]
NEGOTIATION = ["remote_description", "signaling_message"]


def test_list_shows_every_target_with_component_version_and_what_guides_it():
    result = harness("list")
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert sorted(lines) == sorted(BLIND + STRUCTURED + DIFFERENTIAL + CONVERSATIONS + NEGOTIATION)
    assert all("mutator" in lines[name] for name in STRUCTURED + DIFFERENTIAL)
    assert not any("mutator" in lines[name] for name in BLIND)
    assert all(lines[name].endswith("mutator oracle") for name in DIFFERENTIAL + CONVERSATIONS)
    for component in ("aioice", "aiortc", "pylibsrtp"):
        assert f"{component} {importlib.metadata.version(component)}" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["repro", "no_such_target", "pyproject.toml"], "unknown target 'no_such_target'"),
        (["repro", "stun_parse", "no/such/file"], "does not exist"),
        (["repro", "stun_parse", "corpora"], "is not a file"),
        (["replay", "stun_parse", "--corpus", "no/such/corpus"], "does not exist"),
        (["replay", "stun_parse", "--corpus", "pyproject.toml"], "is not a directory"),
        (["fuzz", "stun_parse", "--budget", "0"], "must be positive"),
        (["fuzz", "stun_parse", "--budget", "-5"], "must be positive"),
        (["fuzz", "stun_parse", "--runs", "many"], "is not a whole number"),
        (["fuzz"], "fuzz needs a target name or --all"),
        (["nightly", "--budget", "0"], "must be positive"),
        (["minimize", "stun_parse", "pyproject.toml"], "does not trigger a bug"),
        (["frobnicate"], "invalid choice"),
        (["fuzz", "stun_parse", "--workdir", "/proc/nope"], "work folder /proc/nope cannot be written"),
        (["fuzz", "--all", "--budget", "5"], f"less than 3 s for each of the {len(target_files())} targets"),
        (["conformance", "srtp", "--srtp-adapter", "os:path"], "path is not a class or function"),
        (
            ["conformance", "srtp", "--srtp-adapter", "tests/broken_adapters/srtp.py:AcceptsRtpDuplicates"],
            "AcceptsRtpDuplicates() failed: TypeError",
        ),
    ],
)
def test_bad_input_gives_one_line_and_status_2(args, message):
    result = harness(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_corpus_named_on_the_command_line_is_a_usage_error(tmp_path):
    result = harness("replay", "stun_parse", "--corpus", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"harness: error: corpus {tmp_path} holds no inputs"


def test_a_reader_that_stops_early_gets_no_traceback():
    # `true` reads nothing and is gone before the harness writes: every write meets a closed pipe.
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{shlex.quote(sys.executable)} -m harness list | true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize("command", ["nightly", "replay"])
def test_an_interrupt_exits_130_and_writes_the_report_of_what_was_done(tmp_path, command):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    budget = ["--budget", "60", "--seed", "1", "--jobs", "1"] if command == "nightly" else []
    # A corpus of hangs, each at the timeout's cost: the interrupt comes while the run is busy.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(10):
        (corpus / f"hang-{number}").write_bytes(b"H%d" % number)
    where = ["--corpus", str(corpus)] if command == "replay" else []
    run = subprocess.Popen(
        [sys.executable, "-m", "harness", *FAULTY, command, *where, *budget, "--workdir", str(workdir), *LIMITS],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    busy = time.monotonic() + 60
    while not (workdir / ".writable").exists() and time.monotonic() < busy:
        time.sleep(0.1)
    time.sleep(3.0)
    os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: to every process of the run
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr.splitlines()[-1]
    assert json.loads((workdir / "report" / "report.json").read_text())["interrupted"] is True


def test_repro_gives_the_same_verdict_and_traceback_every_time_without_atheris(tmp_path):
    # An `atheris` that cannot be imported stands first on the path.
    (tmp_path / "atheris.py").write_text("raise ImportError('atheris is not installed here')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ["PYTHONPATH"]]))
    reproducer = tmp_path / "input"
    reproducer.write_bytes(b"K-reproducer")
    runs = [harness(*FAULTY, "repro", "faulty", str(reproducer), *LIMITS, env=env) for _ in range(2)]
    assert [r.returncode for r in runs] == [1, 1]
    assert runs[0].stdout == runs[1].stdout
    assert "exception:KeyError@_faulty_component.py:parse" in runs[0].stdout
    assert "Traceback (most recent call last)" in runs[0].stdout


def test_repro_of_a_registered_bug_quotes_its_entry_and_a_differential_one_its_scenario():
    known = next(b for b in Registry.load().bugs if b.target == "srtp_differential")
    result = harness("repro", known.target, str(known.reproducer), *LIMITS)
    assert result.returncode == 1
    assert f"known bug: {known.reason} ({known.upstream})" in result.stdout
    assert "scenario:" in result.stdout and "replay window" in result.stdout


def test_replay_records_every_fault_and_goes_on_to_the_next_target(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for head in b"VKHANMRXSOz":
        (corpus / chr(head)).write_bytes(bytes([head]) + b"!")
    workdir = tmp_path / "work"
    result = harness(*FAULTY, "replay", "--corpus", str(corpus), "--workdir", str(workdir), *LIMITS)
    assert result.returncode == 1, result.stderr
    report = json.loads((workdir / "report" / "report.json").read_text())
    by_name = {t["name"]: t for t in report["targets"]}
    [faulty_run], [calm_run] = by_name["faulty"]["runs"], by_name["calm"]["runs"]
    assert len(faulty_run["exposed"]) == 9
    assert faulty_run["accepted"] == 1 and faulty_run["rejected"] == 1
    assert calm_run["executions"] == 11 and not calm_run["exposed"]
    assert {b["kind"] for b in by_name["faulty"]["bugs"]} == {
        "exception",
        "hang",
        "crash",
        "oom",
        "recursion",
        "exit",
        "oracle",
    }
    assert (workdir / "report" / "junit.xml").read_text().count("<failure") == 9
    assert "9 new bug(s)" in (workdir / "report" / "report.md").read_text()


def test_minimize_command_writes_a_smaller_reproducer(tmp_path):
    original = tmp_path / "crash"
    original.write_bytes(b"R" + b"x" * 200)
    result = harness(*FAULTY, "minimize", "faulty", str(original), *LIMITS)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "crash.min").read_bytes() == b"R"


def test_atheris_fuzzing_survives_faults_and_every_record_reproduces(tmp_path):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    # Nearly every byte is a fault here, hangs included, each passed over at the timeout's cost: keep it short.
    fast = ["--timeout", "0.5", "--rss-limit-mb", "1024"]
    run = ["--runs", "1000", "--seed", "3", "--jobs", "1", "--workdir", str(workdir)]
    result = harness(*FAULTY, "fuzz", "faulty", *run, *fast)
    assert result.returncode == 1, result.stderr[-2000:]
    records = [json.loads(p.read_text()) for p in (workdir / "bugs").rglob("record.json")]
    kinds = {r["kind"] for r in records}
    assert len(kinds) >= 3, kinds
    for record in records:
        rerun = harness(*FAULTY, "repro", "faulty", record["reproducer"], *LIMITS)
        assert record["signature"] in rerun.stdout
        # A hang is kept as found (harness/minimize.py: each trial would cost the whole timeout).
        if record["kind"] != "hang":
            assert Path(record["reproducer"]).stat().st_size <= 2, "minimized to the byte that matters"


def fuzz_faulty_from(workdir: Path, heads: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """Fuzz the faulty target from a corpus of one-byte inputs, which every job runs first."""
    corpus = workdir / "corpus" / "faulty"
    corpus.mkdir(parents=True)
    for head in heads:
        (corpus / f"input-{head}").write_bytes(bytes([head]))
    fast = ["--timeout", "0.5", "--rss-limit-mb", "1024"]
    return harness(*FAULTY, "fuzz", "faulty", "--workdir", str(workdir), *args, *fast)


def test_two_jobs_that_crash_on_the_same_input_triage_it_once_and_end_with_a_report(tmp_path):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    # Both jobs abort on this input first, and again after every restart (an abort cannot be passed
    # over): each time both write the same crash-<sha1>, and the first one triaged takes it.
    result = fuzz_faulty_from(workdir, b"A", "--runs", "400", "--seed", "11", "--jobs", "2")
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads((workdir / "report" / "report.json").read_text())
    assert [b["signature"] for b in report["targets"][0]["bugs"]] == ["crash:SIGABRT@_faulty_component.py:parse"]
    assert "only known bugs that cannot be passed over" in report["targets"][0]["runs"][0]["stopped_early"][0]


def test_each_record_of_a_two_job_run_names_the_seed_of_the_job_that_found_it(tmp_path):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    fuzz_faulty_from(workdir, b"KOSR", "--runs", "40", "--seed", "11", "--jobs", "2")
    records = [json.loads(p.read_text()) for p in (workdir / "bugs").rglob("record.json")]
    assert len(records) >= 4
    for record in records:
        log = workdir / "logs" / f"faulty-seed{record['seed']}.log"
        assert f"-{record['input_sha1']}" in log.read_text(), "rerun with --jobs 1 --seed from the record"


def test_a_finding_that_depends_on_random_is_the_same_in_the_fuzzer_and_at_triage(tmp_path):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    # D fails unless `random` is where every input starts, as the worker leaves it for triage.
    fuzz_faulty_from(workdir, b"D", "--runs", "30", "--seed", "2", "--jobs", "1")
    [fuzzed] = json.loads((workdir / "report" / "report.json").read_text())["targets"][0]["runs"]
    assert fuzzed["executions"] > 0
    assert fuzzed["unreproduced"] == []
    assert not any("LookupError" in signature for signature in fuzzed["exposed"])


def test_hypothesis_engine_finds_and_shrinks_a_fault_within_its_workdir(tmp_path):
    workdir = tmp_path / "work"
    started = time.time()
    result = harness(
        *FAULTY,
        "fuzz",
        "faulty",
        "--engine",
        "hypothesis",
        "--runs",
        "400",
        "--seed",
        "5",
        "--workdir",
        str(workdir),
        *LIMITS,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    records = [json.loads(p.read_text()) for p in (workdir / "bugs").rglob("record.json")]
    assert len(records) >= 3
    # The harness's minimizer, as for atheris: a hang is kept as found.
    assert all(Path(r["reproducer"]).stat().st_size == 1 for r in records if r["kind"] != "hang")
    assert not (ROOT / ".hypothesis").exists() or (ROOT / ".hypothesis").stat().st_mtime < started
    assert (workdir / "hypothesis").is_dir()
    run = json.loads((workdir / "report" / "report.json").read_text())["targets"][0]["runs"][0]
    assert run["engine"] == "hypothesis" and run["executions"] == 400 and run["jobs"] == 1


def test_a_hypothesis_run_keeps_its_budget_and_reports_like_an_atheris_run(tmp_path):
    workdir = tmp_path / "work"
    # Hangs at the timeout's cost, found and triaged late: the budget is kept within a few seconds.
    result = harness(*FAULTY, "fuzz", "faulty", "--engine", "hypothesis", "--budget", "6", "--seed", "5",
                     "--jobs", "2", "--workdir", str(workdir), *LIMITS)  # fmt: skip
    assert result.returncode == 1
    assert "seed 5, jobs 1" in result.stderr, "hypothesis runs one process, and says so"
    report = json.loads((workdir / "report" / "report.json").read_text())
    assert report["seconds"] < 6 + 10
    assert "| faulty | _faulty_component unknown | hypothesis |" in result.stdout
    assert "hypothesis done:" in result.stderr and "execs in" in result.stderr


def test_nightly_replays_fuzzes_every_target_and_fails_on_the_new_bugs(tmp_path):
    pytest.importorskip("atheris")
    workdir = tmp_path / "work"
    result = harness(
        *FAULTY, "nightly", "--budget", "8", "--seed", "2", "--jobs", "1", "--workdir", str(workdir), *LIMITS
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "seed 2" in result.stderr
    report = json.loads((workdir / "report" / "report.json").read_text())
    assert report["seconds"] < 8 + 10, "the budget is kept within a few seconds"
    assert [t["name"] for t in report["targets"]] == ["calm", "faulty"]
    assert all([r["engine"] for r in t["runs"]] == ["replay", "atheris"] for t in report["targets"])
    assert all(t["runs"][1]["executions"] > 0 for t in report["targets"])
    assert report["new_bugs"] >= 1 and not report["targets"][0]["bugs"]


SLOW_TARGET = """import json
import time

from harness.target import Target

time.sleep(2.5)  # a slow import: the fuzzer's child loads its corpus only after it

target = Target(name="slow", protocol="TEST", component="json", entry=json.loads, rejects=(ValueError,),
                instrument=("json",), max_len=64)
"""


def test_the_coverage_curve_has_no_point_before_the_fuzzer_has_loaded_its_corpus(tmp_path):
    pytest.importorskip("atheris")
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "__init__.py").write_text("")  # a folder of targets is a package
    (targets / "slow.py").write_text(SLOW_TARGET)
    workdir = tmp_path / "work"
    harness("--targets-dir", str(targets), "fuzz", "slow", "--budget", "10", "--seed", "1", "--jobs", "1",
            "--workdir", str(workdir))  # fmt: skip
    [run] = json.loads((workdir / "report" / "report.json").read_text())["targets"][0]["runs"]
    curve = [point["coverage"] for point in run["timeline"]]
    assert None in curve, "points were taken before libFuzzer's INITED line"
    assert 0 not in curve and any(curve), curve
