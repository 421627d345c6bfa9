"""merge, prune and import: coverage kept while files go, regressions/ untouched, and a capture written by the
session fixtures imported into inputs that replay as accepted, decrypted SRTP and SCTP among them."""

import json
import shutil
from pathlib import Path

import pylibsrtp
import pytest

from harness import capture, cli, corpus, libsrtp, project
from harness.aio import DRIVER
from harness.known_bugs import Registry
from harness.peers.session import MEMORY, connect, new_session
from harness.protocols import demux, pcap
from harness.protocols.srtp_profiles import PROFILES
from harness.target import load_target
from harness.verdict import ACCEPTED
from harness.worker import IsolatedRunner

pytest.importorskip("atheris")

KNOWN = [bug.signature for bug in Registry.load(project.current().known_bugs).bugs]
SDP_SEEDS = project.current().corpora / "sdp_parse"


@pytest.fixture
def sdp_corpus(tmp_path: Path) -> Path:
    """The sdp_parse seeds with two of their regressions/, a duplicate, and a file four times the target's max_len.

    (Two, because each reproducer that crashes a merge costs a restart of its child.)"""
    folder = tmp_path / "sdp"
    shutil.copytree(SDP_SEEDS, folder)
    for reproducer in sorted((folder / corpus.REGRESSIONS).iterdir())[2:]:
        reproducer.unlink()
    first = sorted(p for p in folder.iterdir() if p.is_file())[0]
    (folder / "copy-of-a-seed").write_bytes(first.read_bytes())
    (folder / "too-long").write_bytes(b"v=0\r\n" + b"a=x\r\n" * (load_target("sdp_parse").max_len * 4 // 5))
    return folder


def top_level(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_merge_keeps_the_coverage_of_its_inputs_in_fewer_files_and_adds_only_what_its_output_lacks(
    sdp_corpus, tmp_path
):
    target = load_target("sdp_parse")
    before = corpus.coverage(target, sdp_corpus, known=KNOWN)
    result = corpus.merge(target, tmp_path / "merged", [sdp_corpus], known=KNOWN)
    assert result.coverage == corpus.coverage(target, tmp_path / "merged", known=KNOWN)
    # The known bugs' reproducers are passed over, not lost: what they reach is kept too.
    assert result.coverage.features >= before.features
    assert result.after.files < result.before.files
    assert not result.failed
    assert all(len(data) <= target.max_len for data in top_level(tmp_path / "merged").values())
    again = corpus.merge(target, tmp_path / "merged", [sdp_corpus], known=KNOWN)
    assert again.after == result.after and again.coverage == result.coverage


def test_inputs_that_crash_the_merge_are_left_out_and_the_rest_still_merged(sdp_corpus, tmp_path):
    """With no known bug to pass over, every reproducer crashes libFuzzer's child; the merge goes on past each."""
    target = load_target("sdp_parse")
    reproducers = sorted((sdp_corpus / corpus.REGRESSIONS).iterdir())
    result = corpus.merge(target, tmp_path / "merged", [sdp_corpus], known=())
    assert sorted(result.failed) == [str(p) for p in reproducers]
    assert result.coverage == corpus.coverage(target, sdp_corpus, known=KNOWN)  # regressions/ not counted there


def test_prune_shrinks_in_place_and_leaves_regressions_alone(sdp_corpus):
    target = load_target("sdp_parse")
    regressions = top_level(sdp_corpus / corpus.REGRESSIONS)
    before = corpus.coverage(target, sdp_corpus, known=KNOWN)
    result = corpus.prune(target, sdp_corpus, known=())  # regressions/ is not run: nothing to pass over
    assert top_level(sdp_corpus / corpus.REGRESSIONS) == regressions
    assert result.after.files < result.before.files and not result.failed
    assert corpus.coverage(target, sdp_corpus, known=KNOWN) == before == result.coverage


def test_a_prune_stopped_while_deleting_keeps_a_whole_corpus(sdp_corpus, monkeypatch):
    target = load_target("sdp_parse")
    before = corpus.coverage(target, sdp_corpus, known=KNOWN)
    unlink = Path.unlink
    deleted = []

    def killed_after_one(path: Path, missing_ok: bool = False) -> None:
        if deleted:
            raise KeyboardInterrupt
        deleted.append(path)
        unlink(path)

    monkeypatch.setattr(Path, "unlink", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        corpus.prune(target, sdp_corpus, known=KNOWN)
    monkeypatch.undo()
    assert deleted and corpus.coverage(target, sdp_corpus, known=KNOWN) == before


def test_the_cli_merges_and_refuses_bad_input_in_one_line(sdp_corpus, tmp_path, capsys):
    assert cli.main(["merge", "sdp_parse", str(tmp_path / "out"), str(sdp_corpus)]) == 0
    assert "[sdp_parse] merge: " in capsys.readouterr().out
    for words in (["merge", "sdp_parse", str(tmp_path / "out"), str(tmp_path / "missing")], ["prune", "nope"]):
        assert cli.main(words) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_nightly_merge_step_reports_files_before_and_after(sdp_corpus, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(sdp_corpus, work / "corpus" / "sdp_parse", ignore=shutil.ignore_patterns(corpus.REGRESSIONS))
    args = cli.build_parser().parse_args(["nightly", "--workdir", str(work)])
    cli.locate(args)
    target = load_target("sdp_parse")
    report = cli.TargetReport.of(target)
    cli.merge_working_corpus(args, target, report)
    files = len(list((work / "corpus" / "sdp_parse").iterdir()))
    assert files < len(top_level(sdp_corpus))
    assert report.merged is not None
    assert report.merged.startswith(f"{len(top_level(sdp_corpus))} files, ") and f" -> {files} files, " in report.merged


# --- import ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def call_capture(tmp_path_factory) -> Path:
    """A pcapng of an in-memory call that came up and carried data and media both ways, with its keys."""
    path = tmp_path_factory.mktemp("capture") / "call.pcapng"

    async def call() -> None:
        session = new_session(MEMORY, capture=path)
        try:
            await connect(session)
            assert await session.alive(2.0) is None
        finally:
            await session.close()

    try:
        DRIVER.run(call())
    finally:
        DRIVER.end_tasks()
    return path


def imported(captures: list[Path], out: Path, **options) -> dict[str, list[bytes]]:
    capture.import_captures(captures, out, **options)
    return {folder.name: sorted(p.read_bytes() for p in folder.iterdir()) for folder in out.iterdir()}


def verdicts(target_name: str, inputs: list[bytes]) -> list[str]:
    with IsolatedRunner(load_target(target_name)) as runner:
        return [outcome.verdict if not outcome.is_bug else outcome.signature for outcome in map(runner.run, inputs)]


def test_the_capture_holds_every_datagram_the_signaling_and_the_keys(call_capture):
    read = pcap.read(call_capture.read_bytes())
    kinds = {demux.kind_of(s.payload) for s in map(pcap.segment_of, read.packets) if s and s.transport == pcap.UDP}
    assert {demux.STUN, demux.DTLS, demux.RTP} <= kinds
    assert {s.secrets_type for s in read.secrets} == {pcap.TLS_KEY_LOG, capture.HARNESS_SRTP_KEYS}
    tcp = [s for s in map(pcap.segment_of, read.packets) if s and s.transport == pcap.TCP]
    assert [json.loads(s.payload)["type"] for s in tcp] == ["offer", "answer"]


def test_an_imported_capture_replays_as_accepted_decrypted_srtp_and_sctp_too(call_capture, tmp_path):
    inputs = imported([call_capture], tmp_path / "corpora")
    taken_raw = {"stun_parse", "stun_integrity", "dtls_records"}
    decrypted = {"rtp_parse", "srtp_rtp_path", "srtp_unprotect", "sctp_packet", "sctp_chunks"}
    signaling = {"sdp_parse", "sdp_structured", "remote_description", "signaling_message"}
    assert taken_raw | decrypted | signaling <= set(inputs)
    read = pcap.read(call_capture.read_bytes())
    captured = {s.payload for s in map(pcap.segment_of, read.packets) if s is not None}
    assert not captured & set(inputs["rtp_parse"] + inputs["sctp_packet"])  # plaintexts, not what was on the wire
    for name, found in inputs.items():
        outcomes = verdicts(name, found)
        if name == "sctp_chunks":
            # Another association's packets: some reach the target's known bugs (a TSN far from the one its
            # pinned association expects, a DCEP OPEN on a stream that has its channel), and no other.
            assert outcomes.count(ACCEPTED) > len(outcomes) // 2
            assert all(o == ACCEPTED or o in KNOWN for o in outcomes), outcomes
        else:
            assert outcomes == [ACCEPTED] * len(found), name


def test_replay_through_the_cli_accepts_the_decrypted_inputs(call_capture, tmp_path, capsys):
    corpora = tmp_path / "corpora"
    assert cli.main(["import", str(call_capture), "--out", str(corpora)]) == 0
    assert "[sctp_packet] " in capsys.readouterr().out
    for name in ("srtp_unprotect", "sctp_packet"):
        workdir = tmp_path / f"work-{name}"
        assert cli.main(["replay", name, "--corpus", str(corpora / name), "--workdir", str(workdir)]) == 0
        (run,) = json.loads((workdir / "report" / "report.json").read_text())["targets"][0]["runs"]
        assert run["accepted"] == len(list((corpora / name).iterdir())) > 0


def test_srtp_keys_follow_from_the_dtls_key_log_alone(call_capture, tmp_path):
    """Without the harness's SRTP lines, RFC 5764 §4.2 gives the same keys from the master secret and hellos."""
    read = pcap.read(call_capture.read_bytes())
    tls_only = tmp_path / "tls-only.pcapng"
    tls_only.write_bytes(
        pcap.write_pcapng(read.packets, [s for s in read.secrets if s.secrets_type == pcap.TLS_KEY_LOG])
    )
    assert imported([tls_only], tmp_path / "a") == imported([call_capture], tmp_path / "b")


def test_without_keys_media_is_taken_as_plain_and_nothing_is_decrypted(call_capture, tmp_path):
    read = pcap.read(call_capture.read_bytes())
    bare = tmp_path / "bare.pcap"
    bare.write_bytes(pcap.write_pcap(read.packets, pcap.LINKTYPE_RAW))
    inputs = imported([bare], tmp_path / "corpora")
    assert not {"sctp_packet", "sctp_chunks", "srtp_unprotect"} & set(inputs)
    captured = {s.payload for s in map(pcap.segment_of, read.packets) if s is not None}
    assert set(inputs["rtp_parse"]) <= captured
    # The key log given beside the capture decrypts it as its own blocks did.
    keys = tmp_path / "keys.log"
    keys.write_bytes(b"".join(s.data for s in read.secrets))
    assert imported([bare], tmp_path / "keyed", key_files=[keys]) == imported([call_capture], tmp_path / "own")


@pytest.mark.parametrize(
    "content, said",
    [(b"not a capture at all", "is not a valid pcap or pcapng file"), (None, "is unreadable")],
)
def test_a_malformed_or_missing_capture_is_one_line_and_status_2(tmp_path, capsys, content, said):
    path = tmp_path / "capture.pcapng"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["import", str(path), "--out", str(tmp_path / "corpora")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert said in line and not (tmp_path / "corpora").exists()


def test_a_truncated_capture_and_a_bad_key_log_are_refused(call_capture, tmp_path, capsys):
    truncated = tmp_path / "truncated.pcapng"
    truncated.write_bytes(call_capture.read_bytes()[:-3])
    keys = tmp_path / "keys.log"
    keys.write_text("SRTP 127.0.0.1 notaport SRTP_AES128_CM_SHA1_80 00\n")
    for words in (["import", str(truncated)], ["import", str(call_capture), "--keys", str(keys)]):
        assert cli.main([*words, "--out", str(tmp_path / "corpora")]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_srtcp_under_the_harness_srtp_key_lines_is_decrypted_for_the_rtcp_targets(tmp_path):
    """A sender's SRTCP, protected under the key its SRTP line names: rtcp_parse gets the plaintext,
    srtcp_unprotect the packet protected again under the harness's test key, and both accept it."""
    profile = PROFILES[0]
    key = bytes(range(100, 100 + profile.key_length + profile.salt_length))
    sender, receiver = ("127.0.0.1", 40000), ("127.0.0.1", 40001)
    receiver_report = bytes.fromhex("81c90007") + bytes(range(28))  # RR, one report block (RFC 3550 §6.4.2)
    outbound = libsrtp.session(profile, key, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    protected = outbound.protect_rtcp(receiver_report)
    frame = pcap.frame_of(pcap.Segment(pcap.UDP, sender, receiver, protected))
    keys = capture.key_log({}, {sender: (profile, key)}).encode()
    path = tmp_path / "srtcp.pcapng"
    path.write_bytes(
        pcap.write_pcapng([pcap.Packet(pcap.LINKTYPE_RAW, 0, frame)], [pcap.Secrets(capture.HARNESS_SRTP_KEYS, keys)])
    )
    inputs = imported([path], tmp_path / "corpora")
    assert inputs["rtcp_parse"] == inputs["srtcp_rtcp_path"] == [receiver_report]
    for name in ("rtcp_parse", "srtcp_unprotect", "srtcp_rtcp_path"):
        assert verdicts(name, inputs[name]) == [ACCEPTED]
