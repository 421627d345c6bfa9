"""OpenSSL's and GnuTLS's command-line DTLS-SRTP peers on 127.0.0.1, as async context managers.

Each fixture generates an ECDSA P-256 self-signed certificate (aiortc offers ECDSA cipher suites
only), starts the tool with DTLS 1.2, one SRTP protection profile and, where the tool can, the
export of RFC 5764 §4.2's EXTRACTOR-dtls_srtp keying material, and always stops it on exit: the
whole process group, even when the test fails. A tool that dies or stays silent fails with the
tail of its output; every wait has a timeout.

    async with openssl_server(b"SRTP_AES128_CM_SHA1_80", tmp_path) as tool:
        ...  # a DTLS client handshakes with 127.0.0.1:tool.port
        negotiated = await tool.negotiated(ice)   # the profile and keying material the tool reports

What each tool reports (OpenSSL 3.0, GnuTLS 3.7.9):
- `openssl s_server` / `s_client` print "SRTP Extension negotiated, profile=<name>" and, under
  -keymatexport, "    Keying material: <HEX>".
- `gnutls-cli` prints "- SRTP profile: <GnuTLS name>" and, under --keymatexport, "- Key material: <hex>".
- `gnutls-serv` accepts --keymatexport but in --udp mode prints neither the keying material nor
  the profile (src/udp-serv.c never prints session information). What it does show: the
  use_srtp extension of the ServerHello it sends (read here off the wire) and, through
  SSLKEYLOGFILE, its master secret, from which the keying material follows by RFC 5705 §4.
  It also has no listen address option: it binds the wildcard addresses (IPv4 and IPv6), so it
  runs in a network namespace of its own (`unshare --net`, root), whose only interface is its
  loopback, and the harness's socket is made inside that namespace and handed over: nothing
  outside can reach it, and it can reach nothing outside.
"""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.protocols import dtls, tls_crypto
from harness.protocols.dtls_handshake import ServerHello
from harness.protocols.srtp_profiles import dtls_srtp_profile

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 5.0  # seconds for a tool to listen, or to hand over its namespace's socket
REPORT_TIMEOUT = 5.0  # seconds for a tool to print what it negotiated, once the handshake is done
STOP_TIMEOUT = 2.0  # seconds between SIGTERM and SIGKILL
OUTPUT_TAIL = 20  # lines of a tool's output quoted when it fails
_EXPORTER_LABEL = tls_crypto.DTLS_SRTP_EXPORTER_LABEL.decode()  # as the tools take it on their command line

# GnuTLS spells the AES-CM profiles with HMAC; OpenSSL and aiortc spell them as RFC 5764 §4.1.2 minus HMAC.
# GnuTLS 3.7.9 has no AEAD_AES_*_GCM profile (its --srtp-profiles refuses them).
_GNUTLS_PROFILE_NAMES = {b"SRTP_AES128_CM_SHA1_80": "SRTP_AES128_CM_HMAC_SHA1_80"}
_OPENSSL_PROFILE_NAMES = {gnutls: openssl for openssl, gnutls in _GNUTLS_PROFILE_NAMES.items()}
# RFC 5764 §4.1.2 and RFC 7714 §14.2 code points of the profiles aiortc offers.
_PROFILE_CODE_POINTS = {
    dtls.SRTP_AES128_CM_HMAC_SHA1_80: b"SRTP_AES128_CM_SHA1_80",
    dtls.SRTP_AEAD_AES_128_GCM: b"SRTP_AEAD_AES_128_GCM",
    dtls.SRTP_AEAD_AES_256_GCM: b"SRTP_AEAD_AES_256_GCM",
}
# Bringing up a network namespace's loopback (linux/sockios.h, linux/if.h).
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_IFREQ_FLAGS = "16sh22x"  # struct ifreq: the interface name, then ifr_flags, padded to 40 octets


@dataclass(frozen=True)
class _Report:
    """The output lines in which a tool names the SRTP profile and prints the keying material."""

    profile: re.Pattern[str]
    keying_material: re.Pattern[str]


_OPENSSL_REPORT = _Report(
    re.compile(r"SRTP Extension negotiated, profile=(\S+)"), re.compile(r"^\s*Keying material: ([0-9A-Fa-f]+)\s*$")
)
_GNUTLS_REPORT = _Report(re.compile(r"^- SRTP profile: (\S+)"), re.compile(r"^- Key material: ([0-9A-Fa-f]+)\s*$"))


class ToolError(RuntimeError):
    """A tool is missing, did not start, died, or did not report in time."""


class Wire(Protocol):
    """What the harness's side saw of the conversation (harness.peers.udp_ice.UdpIce)."""

    sent: list[bytes]
    received: list[bytes]


@dataclass(frozen=True)
class Credentials:
    """The tool's certificate and key files, and the SHA-256 fingerprint the other side expects."""

    certificate: Path
    key: Path
    sha256_fingerprint: str  # "AB:CD:...", as in an SDP a=fingerprint line (RFC 8122 §5)


def make_credentials(directory: Path) -> Credentials:
    """An ECDSA P-256 key and a self-signed certificate for it, as PEM files in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "harness interop peer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "tool-certificate.pem", directory / "tool-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    fingerprint = ":".join(f"{octet:02X}" for octet in certificate.fingerprint(hashes.SHA256()))
    return Credentials(certificate_path, key_path, fingerprint)


@dataclass(frozen=True)
class Negotiated:
    """What a tool reports of a handshake: the SRTP profile (OpenSSL's spelling) and the keying material."""

    profile: bytes
    keying_material: bytes


class ToolProcess:
    """A running tool: its output lines as they come (stdout and stderr merged), and a way to await one."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._finished = False
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\r\n"))
            self._changed.set()
        self._finished = True
        self._changed.set()

    def tail(self) -> str:
        return "\n".join(self.lines[-OUTPUT_TAIL:]) or "(no output)"

    def failure(self, what: str) -> ToolError:
        return ToolError(f"{self.name} {what}; the tail of its output:\n{self.tail()}")

    async def line_matching(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first output line matching `pattern`, waiting for it (fails if the tool ends or times out)."""

        async def scan() -> re.Match[str]:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if match := pattern.search(line):
                        return match
                seen = len(self.lines)
                if self._finished:
                    status = await self.process.wait()
                    raise self.failure(f"ended (status {status}) without printing /{pattern.pattern}/")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except asyncio.TimeoutError:
            raise self.failure(f"did not print /{pattern.pattern}/ within {timeout:g} s") from None

    async def output_ended(self) -> None:
        """Wait a little for the tool's last words, so that a failure quotes them."""
        await asyncio.wait([self._reader], timeout=STOP_TIMEOUT)

    async def stop(self) -> None:
        """End the tool's whole process group: SIGTERM, then SIGKILL if it lingers."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
                break
            except asyncio.TimeoutError:
                continue
        await self._reader


@asynccontextmanager
async def _running(binary: str, command: Sequence[str], **options: object) -> AsyncIterator[ToolProcess]:
    """Start `command`, which runs `binary`; stop its process group on exit."""
    if shutil.which(binary) is None:
        raise ToolError(f"{binary} is not installed (apt-get install openssl gnutls-bin; .ci/run does it)")
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,  # kept open: s_server, s_client and gnutls-cli quit at end of input
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so that stop() ends it and its children
        **options,  # type: ignore[arg-type]
    )
    tool = ToolProcess(binary, process)
    try:
        yield tool
    finally:
        await tool.stop()


def _line_buffered(command: Sequence[str]) -> list[str]:
    # Through a pipe, stdio buffers whole blocks: a tool's report would only come out when it exits.
    return ["stdbuf", "-oL", *command]


def _keying_material_length(profile: bytes) -> int:
    """RFC 5764 §4.2: two master keys and two master salts."""
    srtp_profile = dtls_srtp_profile(profile)
    return 2 * (srtp_profile.key_length + srtp_profile.salt_length)


@dataclass
class ToolPeer:
    """A started tool and how to read what it negotiated."""

    process: ToolProcess
    credentials: Credentials
    report: Optional[_Report] = None  # None: the tool prints no report, read `key_log` and the wire instead
    port: Optional[int] = None  # a server's UDP port on 127.0.0.1
    namespaced_socket: Optional[socket.socket] = None  # the harness's socket, made in the server's own network
    key_log: Optional[Path] = None  # SSLKEYLOGFILE of a tool that prints no keying material

    async def negotiated(self, wire: Wire) -> Negotiated:
        """The profile and keying material the tool reports (gnutls-serv: from its ServerHello and key log)."""
        if self.report is None:
            assert self.key_log is not None
            return _negotiated_from_key_log(self.key_log, wire)
        profile = (await self.process.line_matching(self.report.profile, REPORT_TIMEOUT)).group(1)
        material = (await self.process.line_matching(self.report.keying_material, REPORT_TIMEOUT)).group(1)
        return Negotiated(_OPENSSL_PROFILE_NAMES.get(profile, profile.encode()), bytes.fromhex(material))


def _free_port() -> int:
    # The kernel's choice of a free port; the tool binds it a moment later and fails loudly if taken.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _openssl_common(profile: bytes, credentials: Credentials) -> list[str]:
    return [
        "-dtls1_2",
        "-use_srtp", profile.decode(),
        "-keymatexport", _EXPORTER_LABEL,
        "-keymatexportlen", str(_keying_material_length(profile)),
        "-cert", str(credentials.certificate),
        "-key", str(credentials.key),
    ]  # fmt: skip


def _gnutls_common(profile: bytes, credentials: Credentials) -> list[str]:
    return [
        "--udp",
        f"--srtp-profiles={_GNUTLS_PROFILE_NAMES[profile]}",
        f"--x509certfile={credentials.certificate}",
        f"--x509keyfile={credentials.key}",
    ]


@asynccontextmanager
async def openssl_server(profile: bytes, directory: Path) -> AsyncIterator[ToolPeer]:
    """`openssl s_server` on 127.0.0.1:<free port>, requiring a client certificate (as WebRTC does)."""
    credentials, port = make_credentials(directory), _free_port()
    address = f"{LOOPBACK}:{port}"
    command = ["openssl", "s_server", *_openssl_common(profile, credentials), "-accept", address, "-Verify", "1"]
    async with _running("openssl", _line_buffered(command)) as process:
        await process.line_matching(re.compile(r"^ACCEPT$"), START_TIMEOUT)
        yield ToolPeer(process, credentials, _OPENSSL_REPORT, port=port)


@asynccontextmanager
async def openssl_client(profile: bytes, port: int, directory: Path) -> AsyncIterator[ToolPeer]:
    """`openssl s_client` connecting to 127.0.0.1:`port`, from 127.0.0.1, with a client certificate."""
    credentials = make_credentials(directory)
    addresses = ["-connect", f"{LOOPBACK}:{port}", "-bind", f"{LOOPBACK}:0"]
    command = ["openssl", "s_client", *_openssl_common(profile, credentials), *addresses]
    async with _running("openssl", _line_buffered(command)) as process:
        yield ToolPeer(process, credentials, _OPENSSL_REPORT)


@asynccontextmanager
async def gnutls_client(profile: bytes, port: int, directory: Path) -> AsyncIterator[ToolPeer]:
    """`gnutls-cli` connecting to 127.0.0.1:`port` with a client certificate, not verifying the server's."""
    credentials = make_credentials(directory)
    command = [
        "gnutls-cli", LOOPBACK, "-p", str(port), *_gnutls_common(profile, credentials), "--insecure",
        f"--keymatexport={_EXPORTER_LABEL}", f"--keymatexportsize={_keying_material_length(profile)}",
    ]  # fmt: skip
    async with _running("gnutls-cli", _line_buffered(command)) as process:
        yield ToolPeer(process, credentials, _GNUTLS_REPORT)


@asynccontextmanager
async def gnutls_server(profile: bytes, directory: Path) -> AsyncIterator[ToolPeer]:
    """`gnutls-serv` alone in a network namespace, requiring a client certificate; see the module's notes.

    Its port and the harness's socket come from inside the namespace (see `_namespace_helper`).
    """
    credentials, key_log = make_credentials(directory), directory / "gnutls-serv.keylog"
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # SEQPACKET: EOF when the helper dies
    command = [
        "unshare", "--net", "--", sys.executable, "-m", __name__, str(theirs.fileno()),
        *_line_buffered(["gnutls-serv", *_gnutls_common(profile, credentials), "--require-client-cert"]),
    ]  # fmt: skip
    environment = {**os.environ, "SSLKEYLOGFILE": str(key_log)}
    with ours, theirs:
        async with _running("gnutls-serv", command, pass_fds=[theirs.fileno()], env=environment) as process:
            theirs.close()  # the helper holds the other end now: if it dies, ours reads end of file
            port, sock = await _handover(ours, process)
            try:
                await process.line_matching(re.compile(r"^Waiting for connection"), START_TIMEOUT)
                yield ToolPeer(process, credentials, port=port, namespaced_socket=sock, key_log=key_log)
            finally:
                sock.close()


async def _handover(channel: socket.socket, process: ToolProcess) -> tuple[int, socket.socket]:
    """The server's port and the harness's socket, both from inside the namespace, sent by the helper."""
    channel.settimeout(START_TIMEOUT)
    try:
        message, fds, _, _ = await asyncio.to_thread(socket.recv_fds, channel, 64, 1)
    except OSError as error:  # socket.timeout included
        raise process.failure(f"did not hand over a socket from its network namespace ({error})") from None
    if not fds:
        await process.output_ended()
        raise process.failure("did not start in a network namespace of its own (unshare --net needs root)")
    return int(message), socket.socket(fileno=fds[0])


def _namespace_helper(channel_fd: int, command: list[str]) -> None:
    """Run inside `unshare --net`: bring up the loopback, hand over a socket and a port, become the server."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        request = fcntl.ioctl(control, _SIOCGIFFLAGS, struct.pack(_IFREQ_FLAGS, b"lo", 0))
        _, flags = struct.unpack(_IFREQ_FLAGS, request)
        fcntl.ioctl(control, _SIOCSIFFLAGS, struct.pack(_IFREQ_FLAGS, b"lo", flags | _IFF_UP))
    harness_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    harness_socket.bind((LOOPBACK, 0))
    port = _free_port()  # nothing else lives in this namespace: free until the server binds it
    with socket.socket(fileno=channel_fd) as channel:
        socket.send_fds(channel, [str(port).encode()], [harness_socket.fileno()])
    harness_socket.close()
    os.execvp(command[0], [*command, "-p", str(port)])


# --- gnutls-serv's keying material, from its ServerHello and its key log ---------------------------


def _server_hello(datagrams: Sequence[bytes]) -> ServerHello:
    """The first whole ServerHello among the server's datagrams (epoch 0: in the clear)."""
    for data in datagrams:
        for record in dtls.Datagram.parse(data).records:
            if record.content_type == dtls.HANDSHAKE and record.epoch == 0:
                for message in dtls.parse_handshakes(record.fragment):
                    if message.msg_type == dtls.SERVER_HELLO and message.is_whole:
                        return ServerHello.parse(message.body)
    raise ToolError("the server sent no whole ServerHello")


def _negotiated_from_key_log(key_log: Path, wire: Wire) -> Negotiated:
    """RFC 5705 §4: PRF(master_secret, label, client_random + server_random), no context."""
    # The last ClientHello: the one answering a HelloVerifyRequest carries the same random anyway (RFC 6347 §4.2.1).
    client_hello = [hello for data in wire.sent for hello in dtls.client_hellos_of(dtls.Datagram.parse(data))][-1]
    server_hello = _server_hello(wire.received)
    if server_hello.cipher_suite not in tls_crypto.CIPHER_SUITES:  # the suites whose PRF is P_SHA256
        raise ToolError(f"cipher suite 0x{server_hello.cipher_suite:04X} is not one of aiortc's")
    use_srtp = server_hello.extension(dtls.USE_SRTP)
    if not isinstance(use_srtp, dtls.UseSrtp) or len(use_srtp.profiles) != 1:
        raise ToolError(f"the ServerHello's use_srtp extension is not one profile (RFC 5764 §4.1.1): {use_srtp}")
    # NSS key log format: "CLIENT_RANDOM <client random> <master secret>", hex, one session a line.
    secrets = dict(line.split()[1:3] for line in key_log.read_text().splitlines() if line.startswith("CLIENT_RANDOM "))
    master_secret = bytes.fromhex(secrets[client_hello.random.hex()])
    profile = _PROFILE_CODE_POINTS[use_srtp.profiles[0]]
    material = tls_crypto.export_keying_material(
        master_secret,
        client_hello.random,
        server_hello.random,
        tls_crypto.DTLS_SRTP_EXPORTER_LABEL,
        _keying_material_length(profile),
    )
    return Negotiated(profile, material)


if __name__ == "__main__":
    _namespace_helper(int(sys.argv[1]), sys.argv[2:])
