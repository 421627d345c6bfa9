"""A pcapng capture of a live in-memory session, with the keys that decrypt it (`new_session(..., capture=PATH)`).

Every datagram the in-memory network carries is recorded as IPv4/UDP on 127.0.0.1, and the offer and
answer as aiortc's TcpSocketSignaling sends them (a JSON line each, over TCP between two signaling
ports). When the session closes, the file is written atomically, its Decryption Secrets Blocks first
(pcapng §4.7): a TLS key log (CLIENT_RANDOM and the master secret of each connected DTLS transport, as
pyOpenSSL shows them) and the harness's SRTP key lines (each end's address, profile and master key ||
salt, cut from EXTRACTOR-dtls_srtp as RFC 5764 §4.2 says and aiortc does). harness.capture reads both.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from aiortc import RTCSessionDescription
from aiortc.contrib.signaling import object_to_string

from harness.bugs import atomic_write
from harness.capture import HARNESS_SRTP_KEYS, key_log
from harness.peers.memory_network import LOOPBACK, Address
from harness.protocols import pcap
from harness.protocols.srtp_profiles import SrtpProfile, dtls_srtp_profile
from harness.protocols.tls_crypto import DTLS_SRTP_EXPORTER_LABEL

if TYPE_CHECKING:
    from harness.peers.session import Side

# Where each side's signaling messages come from (below the in-memory network's ports).
SIGNALING_ADDRESSES: dict[str, Address] = {"offerer": (LOOPBACK, 38001), "answerer": (LOOPBACK, 38002)}


class SessionCapture:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.packets: list[pcap.Packet] = []
        self._next_sequence: dict[Address, int] = defaultdict(int)  # each signaling end's TCP sequence number

    def _record(self, segment: pcap.Segment) -> None:
        self.packets.append(pcap.Packet(pcap.LINKTYPE_RAW, time.time_ns(), pcap.frame_of(segment)))

    def datagram(self, data: bytes, source: Address, destination: Address) -> None:
        """The network's tap: one datagram as it goes by."""
        self._record(pcap.Segment(pcap.UDP, source, destination, data))

    def signaled(self, sender: str, description: RTCSessionDescription) -> None:
        """An offer or answer from `sender` ("offerer" or "answerer") to the other side, as a JSON line."""
        source = SIGNALING_ADDRESSES[sender]
        destination = next(address for name, address in SIGNALING_ADDRESSES.items() if name != sender)
        line = (object_to_string(description) + "\n").encode()
        self._record(pcap.Segment(pcap.TCP, source, destination, line, self._next_sequence[source]))
        self._next_sequence[source] += len(line)

    def write(self, sides: Iterable[Side]) -> None:
        """The capture and the keys of the sides whose DTLS transport is connected."""
        master_secrets: dict[bytes, bytes] = {}
        srtp: dict[Address, tuple[SrtpProfile, bytes]] = {}
        for side in sides:
            transport, address = side.dtls, side.address
            ssl = transport._ssl
            if transport.state != "connected" or address is None or ssl is None:
                continue
            client_random, master = ssl.client_random(), ssl.master_key()
            if client_random is None or master is None:
                continue
            master_secrets[client_random] = master
            profile = dtls_srtp_profile(ssl.get_selected_srtp_profile())
            key, salt = profile.key_length, profile.salt_length
            material = ssl.export_keying_material(DTLS_SRTP_EXPORTER_LABEL, 2 * (key + salt))
            own = 0 if transport._role == "client" else 1  # RFC 5764 §4.2: client key, server key, then the salts
            srtp[address] = (profile, material[own * key : (own + 1) * key] + material[2 * key + own * salt :][:salt])
        secrets = [
            pcap.Secrets(pcap.TLS_KEY_LOG, key_log(master_secrets, {}).encode()),
            pcap.Secrets(HARNESS_SRTP_KEYS, key_log({}, srtp).encode()),
        ]
        atomic_write(self.path, pcap.write_pcapng(self.packets, secrets))
