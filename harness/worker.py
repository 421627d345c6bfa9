"""Run a target's inputs in a child process, so that the harness survives its targets.

The parent (`IsolatedRunner`) sends inputs one at a time and reads back an Outcome. A Python
loop that overruns the timeout is interrupted by the child's watchdog (harness.watchdog). When
the child hangs in C, dies on a signal, or ends itself, the parent still knows which input did
it, and faulthandler's dump on the child's stderr names the frame.

Wire format, parent -> child: 4-byte big-endian length, then the input. Child -> parent: one
JSON line per input, on a private copy of stdout (the target's own prints go to stderr).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Optional

from harness import project
from harness.target import Target, UsageError, load_target
from harness.verdict import CRASH, EXIT, HANG, OOM, Outcome, bug_from_dump, watched_classifier
from harness.watchdog import Watchdog

# Seconds per input. Well under the time an endless loop that allocates takes to reach the memory
# limit (about 16 s for aiortc's decode_params at 2 GB), so that such a loop is named a hang every time.
DEFAULT_TIMEOUT = 5.0
DEFAULT_RSS_LIMIT_MB = 2048
STARTUP_TIMEOUT = 120.0
HANG_BANNER = "Timeout ("  # faulthandler.dump_traceback_later's header
# The watchdog interrupts a Python loop at the timeout; faulthandler ends the process this much
# later, for a hang the watchdog cannot interrupt (a loop in C).
BACKSTOP_GRACE = 5.0
EXIT_BANNER = "harness: os._exit"  # printed by the worker's os._exit wrapper


def _send(stream: IO[bytes], message: dict[str, object]) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            return b""
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _trace_os_exit() -> None:
    """Dump the stack before os._exit, so an exit has a frame like any other bug."""
    real_exit = os._exit

    def traced_exit(status: int) -> None:  # type: ignore[misc]
        sys.stderr.write(f"{EXIT_BANNER}({status})\n")
        sys.stderr.flush()
        faulthandler.dump_traceback(file=sys.stderr, all_threads=False)
        real_exit(status)

    os._exit = traced_exit  # type: ignore[assignment]


def serve(target: Target, timeout: float, rss_limit_mb: int) -> None:
    limit = rss_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    faulthandler.enable(file=sys.stderr, all_threads=False)
    _trace_os_exit()
    classify = watched_classifier(target, Watchdog(timeout))
    stdin = sys.stdin.buffer
    _send(protocol_out, {"ready": True})
    while True:
        header = _read_exact(stdin, 4)
        if not header:
            return
        data = _read_exact(stdin, int.from_bytes(header, "big"))
        faulthandler.dump_traceback_later(timeout + BACKSTOP_GRACE, exit=True)  # dumps every thread
        outcome = classify(data)
        faulthandler.cancel_dump_traceback_later()
        _send(protocol_out, outcome.to_dict())


class WorkerError(Exception):
    """The worker could not start (the target does not import, say)."""


class IsolatedRunner:
    """Parent side: runs inputs of one target in a worker process, restarting it as needed."""

    def __init__(
        self,
        target: Target,
        *,
        targets_dir: Optional[Path] = None,
        timeout: float = DEFAULT_TIMEOUT,
        rss_limit_mb: int = DEFAULT_RSS_LIMIT_MB,
        python_options: tuple[str, ...] = (),
    ) -> None:
        """`python_options`: options of the worker's interpreter, such as "-O" (assert statements removed)."""
        self.target = target
        self.python_options = python_options
        self.targets_dir = targets_dir or project.current().targets
        self.timeout = timeout
        self.rss_limit_mb = rss_limit_mb
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._stderr: Optional[IO[bytes]] = None

    def __enter__(self) -> "IsolatedRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream:
                    stream.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self) -> None:
        self.close()
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONFAULTHANDLER="1", PYTHONHASHSEED="0")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                *self.python_options,
                "-m",
                "harness.worker",
                "--target",
                self.target.name,
                "--targets-dir",
                str(self.targets_dir),
                "--timeout",
                str(self.timeout),
                "--rss-limit-mb",
                str(self.rss_limit_mb),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=project.HARNESS_SOURCE,
            env=env,
        )
        if self._reply(STARTUP_TIMEOUT) is None:
            lines = self._stderr_since(0).strip().splitlines() or ["no output"]
            self.close()
            raise WorkerError(f"target {self.target.name} did not start: {lines[-1]}")

    def _reply(self, timeout: float) -> Optional[dict[str, object]]:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self._proc.stdout.readline()
        return json.loads(line) if line else None

    def _stderr_since(self, offset: int) -> str:
        assert self._stderr is not None
        self._stderr.seek(offset)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.seek(0, os.SEEK_END)
        return text

    def run(self, data: bytes) -> Outcome:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        assert self._proc is not None and self._proc.stdin is not None and self._stderr is not None
        offset = self._stderr.seek(0, os.SEEK_END)
        try:
            self._proc.stdin.write(len(data).to_bytes(4, "big") + data)
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # the worker died; the reply below is None and the exit code tells why
        # The child's own faulthandler timer ends a hang with a dump; this is the backstop.
        reply = self._reply(self.timeout + BACKSTOP_GRACE + 10.0)
        if reply is not None:
            outcome = Outcome.from_dict(reply)
            if outcome.kind in (OOM, HANG):
                # A MemoryError may leave the worker unusable; an interrupted input leaves the
                # component mid-way (and its garbage alive): the next input gets a fresh worker.
                self.close()
            return outcome
        return self._post_mortem(offset)

    def _post_mortem(self, offset: int) -> Outcome:
        assert self._proc is not None
        try:
            status = self._proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            status = None
        dump = self._stderr_since(offset)
        self.close()
        target = self.target
        if status is None:
            return bug_from_dump(HANG, "Timeout", dump, target, "no answer; worker killed")
        if HANG_BANNER in dump:
            return bug_from_dump(HANG, "Timeout", dump, target, f"ran longer than {self.timeout + BACKSTOP_GRACE:g} s")
        if status < 0:
            name = signal.Signals(-status).name
            kind = OOM if -status == signal.SIGKILL else CRASH  # SIGKILL: the kernel's OOM killer
            return bug_from_dump(kind, name, dump, target, f"killed by {name}")
        return bug_from_dump(EXIT, f"exit({status})", dump, target, f"process ended with status {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--targets-dir", type=Path)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--rss-limit-mb", type=int, default=DEFAULT_RSS_LIMIT_MB)
    args = parser.parse_args()
    try:
        target = load_target(args.target, args.targets_dir)
    except UsageError as exc:
        sys.stderr.write(f"harness worker: {exc}\n")
        sys.exit(2)
    serve(target, args.timeout, args.rss_limit_mb)


if __name__ == "__main__":
    main()
