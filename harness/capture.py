"""Corpus inputs from packet captures (`python -m harness import`), and the key log that decrypts them.

Every UDP datagram of a pcap or pcapng capture (harness.protocols.pcap) is demultiplexed by RFC 7983
(harness.protocols.demux; TURN ChannelData unwrapped) and goes to the targets that take it as it is:

- STUN -> stun_parse, stun_integrity (which signs it again with its agents' passwords);
- DTLS of epoch 0 (the handshake flights) -> dtls_records (a server mid-handshake); the application
  data of later epochs, decrypted, is SCTP -> sctp_packet, sctp_chunks (which sets its own tags and CRC);
- RTP -> rtp_parse and srtp_rtp_path, RTCP -> rtcp_parse and srtcp_rtcp_path: the plaintext, decrypted
  when the sender's SRTP keys are known (a packet that does not decrypt under them is left out), taken
  as plain RTP/RTCP otherwise. srtp_unprotect and srtcp_unprotect take a protected packet under the
  harness's fixed test key, behind a byte naming the profile: the plaintext is protected again so;
- signaling (a UDP datagram, or a TCP stream, that is SDP text or JSON {"type", "sdp"} lines, as
  aiortc's TcpSocketSignaling sends them) -> sdp_parse, sdp_structured (the SDP), remote_description
  (its situation byte, "1" for an offer and "0" for an answer, then the SDP) and signaling_message (the
  JSON line, candidates too).

The others take structured inputs that no single packet is: srtp_differential and srtcp_differential
(scenarios of steps), dtls_handshake (conversations of moves), session_udp and session_memory
(injections into a live call).

Keys come from the capture's Decryption Secrets Blocks (pcapng §4.7) and from `--keys` files, both a key
log: NSS's `CLIENT_RANDOM <client random> <master secret>` lines (TLS_KEY_LOG), and the harness's own
`SRTP <address> <port> <profile> <master key || master salt>` lines (HARNESS_SRTP_KEYS): what the sender
at that address protects its SRTP and SRTCP with, the profile as RFC 5764 §4.1.2 names it. When the DTLS
handshake and its master secret are in the capture, the SRTP keys also follow from them (RFC 5764 §4.2).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

import pylibsrtp

from harness import libsrtp
from harness.bugs import atomic_write, sha1
from harness.errors import UsageError
from harness.peers.dtls_peer_state import SRTP_PROFILES_BY_CODE
from harness.protocols import demux, dtls, pcap
from harness.protocols.dtls_handshake import ServerHello
from harness.protocols.srtp_profiles import PROFILES, SrtpProfile, dtls_srtp_profile
from harness.protocols.tls_crypto import CIPHER_SUITES, key_block, srtp_keying_material
from harness.protocols.tls_record_protection import RecordProtection

HARNESS_SRTP_KEYS = 0x53525450  # "SRTP": the harness's own secrets type for its SRTP lines (not registered)
CLIENT_RANDOM, SRTP = "CLIENT_RANDOM", "SRTP"
OFFER, ANSWER = "offer", "answer"
SITUATION = {OFFER: b"1", ANSWER: b"0"}  # remote_description's first byte: odd takes an offer, even an answer

Address = pcap.Address


@dataclass
class Keys:
    master_secrets: dict[bytes, bytes] = field(default_factory=dict)  # client random -> master secret
    srtp: dict[Address, tuple[SrtpProfile, bytes]] = field(default_factory=dict)  # sender -> profile, key || salt

    def read(self, text: str, where: str) -> None:
        """Take in a key log's lines; other labels (TLS 1.3 secrets, comments) are passed over."""
        for number, line in enumerate(text.splitlines(), 1):
            words = line.split()
            try:
                if words[:1] == [CLIENT_RANDOM] and len(words) == 3:
                    self.master_secrets[bytes.fromhex(words[1])] = bytes.fromhex(words[2])
                elif words[:1] == [SRTP] and len(words) == 5:
                    profile = dtls_srtp_profile(words[3].encode())
                    self.srtp[(words[1], int(words[2]))] = (profile, bytes.fromhex(words[4]))
            except (ValueError, StopIteration):
                raise UsageError(f"{where}: line {number} of the key log is invalid") from None


def key_log(master_secrets: dict[bytes, bytes], srtp: dict[Address, tuple[SrtpProfile, bytes]]) -> str:
    """The key log lines of `Keys`: NSS's CLIENT_RANDOM lines, then the harness's SRTP lines."""
    lines = [f"{CLIENT_RANDOM} {random.hex()} {secret.hex()}" for random, secret in master_secrets.items()]
    lines += [f"{SRTP} {host} {port} SRTP_{p.name} {key.hex()}" for (host, port), (p, key) in srtp.items()]
    return "".join(line + "\n" for line in lines)


@dataclass
class _DtlsConnection:
    """What the capture shows of one DTLS association: its hellos, then its record protection both ways."""

    client: Optional[Address] = None
    server: Optional[Address] = None
    client_random: bytes = b""
    server_hello: Optional[ServerHello] = None
    protection: dict[Address, RecordProtection] = field(default_factory=dict)  # sender -> its write protection


class Importer:
    """Sorts the payloads of captures into inputs per target, decrypting what the keys allow."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.inputs: dict[str, dict[str, bytes]] = defaultdict(dict)  # target -> sha1 -> input
        self.left_out = 0  # packets under keys they do not verify with
        self._dtls: dict[frozenset[Address], _DtlsConnection] = defaultdict(_DtlsConnection)
        self._srtp: dict[Address, pylibsrtp.Session] = {}  # each sender's inbound session, kept for its ROC
        self._tcp: dict[tuple[Address, Address], dict[int, bytes]] = defaultdict(dict)  # flow -> seq -> payload

    def add(self, targets: Iterable[str], data: bytes) -> None:
        for target in targets:
            self.inputs[target][sha1(data)] = data

    def take(self, capture: pcap.Capture) -> None:
        for secrets in capture.secrets:
            if secrets.secrets_type in (pcap.TLS_KEY_LOG, HARNESS_SRTP_KEYS):
                self.keys.read(secrets.data.decode("utf-8", "replace"), "capture's decryption secrets")
        for packet in capture.packets:
            segment = pcap.segment_of(packet)
            if segment is None:
                continue
            if segment.transport == pcap.TCP:
                self._tcp[(segment.source, segment.destination)].setdefault(segment.sequence, segment.payload)
            else:
                self._datagram(segment)
        for chunks in self._tcp.values():
            self._signaling(b"".join(chunks[sequence] for sequence in sorted(chunks)))
        self._tcp.clear()

    def _datagram(self, segment: pcap.Segment) -> None:
        kind, data = demux.classify(segment.payload)
        if kind == demux.STUN:
            self.add(("stun_parse", "stun_integrity"), data)
        elif kind == demux.DTLS:
            self._dtls_datagram(segment, data)
        elif kind in (demux.RTP, demux.RTCP):
            self._media(segment.source, data, rtcp=kind == demux.RTCP)
        elif kind is None:
            self._signaling(data)

    def _media(self, sender: Address, data: bytes, *, rtcp: bool) -> None:
        keyed = self.keys.srtp.get(sender)
        if keyed is None:
            plain = data
        else:
            profile, key = keyed
            session = self._srtp.get(sender)
            if session is None:
                session = self._srtp[sender] = libsrtp.session(profile, key, pylibsrtp.Policy.SSRC_ANY_INBOUND)
            try:
                plain = session.unprotect_rtcp(data) if rtcp else session.unprotect(data)
            except (pylibsrtp.Error, ValueError):
                self.left_out += 1
                return
            self._protected_again(profile, plain, rtcp=rtcp)
        self.add(("rtcp_parse", "srtcp_rtcp_path") if rtcp else ("rtp_parse", "srtp_rtp_path"), plain)

    def _protected_again(self, profile: SrtpProfile, plain: bytes, *, rtcp: bool) -> None:
        """The plaintext as srtp_unprotect / srtcp_unprotect take it: the profile's byte, then the packet
        protected under the harness's fixed test key by a fresh session (harness.protocols.srtp_profiles)."""
        session = libsrtp.session(profile, profile.master_key, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        try:
            protected = session.protect_rtcp(plain) if rtcp else session.protect(plain)
        except (pylibsrtp.Error, ValueError):  # too long for pylibsrtp's buffer
            return
        self.add(("srtcp_unprotect",) if rtcp else ("srtp_unprotect",), bytes([PROFILES.index(profile)]) + protected)

    def _dtls_datagram(self, segment: pcap.Segment, data: bytes) -> None:
        try:
            records = dtls.Datagram.parse(data).records
        except ValueError:
            return
        if all(record.epoch == 0 for record in records):
            self.add(("dtls_records",), data)
        connection = self._dtls[frozenset((segment.source, segment.destination))]
        for record in records:
            if record.epoch == 0 and record.content_type == dtls.HANDSHAKE:
                self._hellos(connection, segment.source, record.fragment)
            elif record.epoch > 0 and record.content_type == dtls.APPLICATION_DATA:
                protection = connection.protection.get(segment.source)
                if protection is None:
                    continue
                try:
                    plain = protection.unprotect(
                        record.epoch, record.sequence_number, record.content_type, record.version, record.fragment
                    )
                except ValueError:
                    self.left_out += 1
                    continue
                self.add(("sctp_packet", "sctp_chunks"), plain)

    def _hellos(self, connection: _DtlsConnection, sender: Address, fragment: bytes) -> None:
        try:
            messages = [m for m in dtls.parse_handshakes(fragment) if m.is_whole]
            for message in messages:
                if message.msg_type == dtls.CLIENT_HELLO:
                    connection.client = sender
                    connection.client_random = dtls.ClientHello.parse(message.body).random
                elif message.msg_type == dtls.SERVER_HELLO:
                    connection.server, connection.server_hello = sender, ServerHello.parse(message.body)
        except ValueError:
            return
        self._derive(connection)

    def _derive(self, connection: _DtlsConnection) -> None:
        """Both ends' record protection (and SRTP keys), once the hellos and the master secret are known."""
        hello, client, server = connection.server_hello, connection.client, connection.server
        master = self.keys.master_secrets.get(connection.client_random)
        if hello is None or client is None or server is None or master is None or connection.protection:
            return
        if hello.cipher_suite not in CIPHER_SUITES:
            return
        suite = CIPHER_SUITES[hello.cipher_suite]
        block = key_block(suite, master, connection.client_random, hello.random)
        encrypt_then_mac = hello.extension(dtls.ENCRYPT_THEN_MAC) is not None
        connection.protection[client] = RecordProtection(suite, block.client, encrypt_then_mac)
        connection.protection[server] = RecordProtection(suite, block.server, encrypt_then_mac)
        use_srtp = hello.extension(dtls.USE_SRTP)
        if isinstance(use_srtp, dtls.UseSrtp) and use_srtp.profiles and use_srtp.profiles[0] in SRTP_PROFILES_BY_CODE:
            # RFC 5764 §4.2: the SRTP keys follow from the same handshake, unless the key log named them.
            profile = SRTP_PROFILES_BY_CODE[use_srtp.profiles[0]]
            material = srtp_keying_material(master, connection.client_random, hello.random, profile)
            self.keys.srtp.setdefault(client, (profile, material.client_master))
            self.keys.srtp.setdefault(server, (profile, material.server_master))

    def _signaling(self, payload: bytes) -> None:
        text = payload.decode("utf-8", "replace")
        if text.startswith("v=0"):
            self.add(("sdp_parse", "sdp_structured"), payload)
            return
        for line in text.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                continue
            self.add(("signaling_message",), line.encode())
            sdp = message.get("sdp")
            if message["type"] in SITUATION and isinstance(sdp, str):
                self.add(("sdp_parse", "sdp_structured"), sdp.encode())
                self.add(("remote_description",), SITUATION[message["type"]] + sdp.encode())


def read_capture(path: Path) -> pcap.Capture:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"capture {path} is unreadable: {exc.strerror or exc}") from None
    try:
        return pcap.read(data)
    except ValueError as exc:
        raise UsageError(f"capture {path} is not a valid pcap or pcapng file: {exc}") from None


def import_captures(
    captures: list[Path],
    out: Path,
    *,
    key_files: Iterable[Path] = (),
    targets: Optional[Iterable[str]] = None,
    progress: Callable[[str], None] = lambda line: None,
) -> dict[str, tuple[int, int]]:
    """Write the captures' inputs into out/<target>/<sha1>: target -> (inputs found, of which new).

    `targets`: the project's targets, so that an input for a target the project lacks is not written.
    A malformed capture or key log is a usage error, before anything is written.
    """
    keys = Keys()
    for path in key_files:
        try:
            keys.read(path.read_text(errors="replace"), str(path))
        except OSError as exc:
            raise UsageError(f"key log {path} is unreadable: {exc.strerror or exc}") from None
    importer = Importer(keys)
    for path in captures:
        try:
            importer.take(read_capture(path))
        except ValueError as exc:
            raise UsageError(f"capture {path} is not a valid pcap or pcapng file: {exc}") from None
    if importer.left_out:
        progress(f"import: {importer.left_out} packet(s) did not verify under their keys and were left out")
    wanted = set(targets) if targets is not None else None
    counts = {}
    for target, inputs in sorted(importer.inputs.items()):
        if wanted is not None and target not in wanted:
            continue
        new = 0
        for name, data in inputs.items():
            destination = out / target / name
            if not destination.exists():
                atomic_write(destination, data)
                new += 1
        counts[target] = (len(inputs), new)
    return counts
