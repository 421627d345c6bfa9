"""A coturn TURN server on 127.0.0.1, for the IP-handling suite's relay-only calls.

    with turn_server() as turn:
        RTCIceServer(urls=turn.url, username=turn.username, credential=turn.password)

`turnserver` (Debian package coturn, installed by .ci/run) is started with no configuration file,
listening and relaying on 127.0.0.1 only (UDP; no TCP, TLS, DTLS, CLI or web admin), with
long-term credentials of a fixed user, password and realm, loopback peers allowed (they are the
only peers here) and its log in a temporary folder. Its relayed addresses come from a known port
range below the kernel's ephemeral range, so a datagram relayed by it is told apart from one sent
by any socket the kernel numbered. It counts as started when an Allocate without credentials gets
its 401 (RFC 8656 §7.2); it is stopped on exit (terminate, wait, kill), even when the test failed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.protocols import stun

LOOPBACK = "127.0.0.1"
USERNAME, PASSWORD, REALM = "harness", "relay-only-secret", "harness.invalid"
# Below Linux's default ephemeral range (32768-60999): no socket bound to port 0 gets one of these.
RELAY_PORTS = range(31000, 31500)
START_TIMEOUT = 10.0  # seconds for turnserver to answer its first Allocate
STOP_TIMEOUT = 3.0  # seconds between SIGTERM and SIGKILL
LOG_TAIL = 20  # lines of its log quoted when it does not start
ALLOCATE = 0x003  # RFC 8656 §17
REQUESTED_TRANSPORT = 0x0019  # RFC 8656 §18.7
UDP_TRANSPORT = bytes([17, 0, 0, 0])  # RFC 8656 §18.7: the IANA protocol number, then RFFU
UNAUTHENTICATED = 401  # RFC 8489 §9.2.4: the answer to a request without credentials


class TurnUnavailable(RuntimeError):
    """turnserver is missing, or did not start: the message is one line."""


@dataclass(frozen=True)
class TurnServer:
    port: int
    relay_ports: range
    log: Path
    username: str = USERNAME
    password: str = PASSWORD
    realm: str = REALM

    @property
    def url(self) -> str:
        return f"turn:{LOOPBACK}:{self.port}?transport=udp"

    def relays(self, address: tuple[str, int]) -> bool:
        """Whether datagrams from `address` come out of this server's relay (an allocation's address)."""
        return address[0] == LOOPBACK and address[1] in self.relay_ports


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _arguments(binary: str, port: int, relay_ports: range, folder: Path) -> list[str]:
    return [
        binary,
        "-n",  # no configuration file: nothing from /etc/turnserver.conf
        f"--listening-ip={LOOPBACK}",
        f"--relay-ip={LOOPBACK}",
        f"--listening-port={port}",
        f"--min-port={relay_ports.start}",
        f"--max-port={relay_ports.stop - 1}",
        "--lt-cred-mech",
        f"--user={USERNAME}:{PASSWORD}",
        f"--realm={REALM}",
        f"--userdb={folder / 'turndb'}",  # not /var/lib/turn/turndb
        "--allow-loopback-peers",
        "--no-tcp",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-rfc5780",  # no second listening port for NAT behaviour discovery
        f"--log-file={folder / 'turn.log'}",
        "--simple-log",
        "--no-stdout-log",
        f"--pidfile={folder / 'turnserver.pid'}",
    ]


def _answers(port: int) -> bool:
    """Whether an Allocate without credentials gets turnserver's 401 within a short wait."""
    request = stun.Message(
        ALLOCATE,
        stun.REQUEST,
        secrets.token_bytes(stun.TRANSACTION_ID_LENGTH),
        (stun.Attribute(REQUESTED_TRANSPORT, UDP_TRANSPORT),),
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind((LOOPBACK, 0))
        client.settimeout(0.2)
        client.sendto(bytes(request), (LOOPBACK, port))
        try:
            answer = stun.Message.parse(client.recv(2048))
        except (TimeoutError, ConnectionRefusedError, ValueError):
            return False
    error = answer.attribute(stun.ERROR_CODE)
    return (
        answer.transaction_id == request.transaction_id
        and answer.message_class == stun.ERROR_RESPONSE
        and error is not None
        and stun.ErrorCode.from_attribute(error).code == UNAUTHENTICATED
    )


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    return " | ".join(lines[-LOG_TAIL:]) or "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def turn_server(*, relay_ports: range = RELAY_PORTS, timeout: float = START_TIMEOUT) -> Iterator[TurnServer]:
    """A turnserver on 127.0.0.1 until the block ends; TurnUnavailable (one line) when it cannot be had."""
    binary = shutil.which("turnserver")
    if binary is None:
        raise TurnUnavailable("coturn's turnserver is not installed (apt-get install coturn; .ci/run does)")
    with tempfile.TemporaryDirectory(prefix="harness-turn-") as folder_name:
        folder = Path(folder_name)
        port = _free_udp_port()
        server = TurnServer(port, relay_ports, folder / "turn.log")
        process = subprocess.Popen(
            _arguments(binary, port, relay_ports, folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C meant for the tests is not its to handle
            env={**os.environ, "LC_ALL": "C"},
        )
        try:
            deadline = time.monotonic() + timeout
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    status = process.poll()
                    state = "stayed silent" if status is None else f"exited with status {status}"
                    raise TurnUnavailable(f"turnserver on {LOOPBACK}:{port} {state}: {_tail(server.log)}")
            yield server
        finally:
            _stop(process)
