"""Packet captures: pcap and pcapng files read and written, and the UDP and TCP payloads inside their frames.

File formats: draft-ietf-opsawg-pcap (§4 the file header: magic, version, snaplen, link type;
§5 the packet record: seconds, micro- or nanoseconds, captured and original length) and
draft-ietf-opsawg-pcapng (§3.1 the general block structure, type, total length, body, total length
again; §3.5 options; §4.1 the Section Header Block and its byte-order magic; §4.2 the Interface
Description Block, its link type and if_tsresol; §4.3 the Enhanced Packet Block; §4.4 the Simple
Packet Block; §4.7 the Decryption Secrets Block; Appendix A the obsolete Packet Block). Link types:
draft-ietf-opsawg-pcaplinktype (NULL, ETHERNET, RAW, LOOP, LINUX_SLL, LINUX_SLL2, IPV4, IPV6).
Frames: Ethernet II with 802.1Q/802.1ad tags, IPv4 (RFC 791 §3.1; fragments are skipped, not
reassembled), IPv6 (RFC 8200 §3, §4: hop-by-hop, routing and destination options skipped, fragments
skipped), UDP (RFC 768) and TCP (RFC 9293 §3.1). Malformed input raises
`ValueError("pcap <field> is invalid")`; a frame of another protocol is passed over.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

# draft-ietf-opsawg-pcap §4: the magic number says the byte order and the timestamps' unit.
PCAP_MICROSECONDS = 0xA1B2C3D4
PCAP_NANOSECONDS = 0xA1B23C4D
PCAP_HEADER_LENGTH = 24
PCAP_RECORD_HEADER_LENGTH = 16
LINK_TYPE_MASK = 0x0FFFFFFF  # §4: the top four bits of LinkType are FCS information

# draft-ietf-opsawg-pcapng §4: block types, and §4.1's byte-order magic.
SECTION_HEADER = 0x0A0D0D0A
INTERFACE_DESCRIPTION = 0x00000001
OBSOLETE_PACKET = 0x00000002  # Appendix A
SIMPLE_PACKET = 0x00000003
ENHANCED_PACKET = 0x00000006
DECRYPTION_SECRETS = 0x0000000A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
BLOCK_OVERHEAD = 12  # §3.1: type, total length, and total length again
IF_TSRESOL = 9  # §4.2: the interface's timestamp resolution option
DEFAULT_TSRESOL = 6  # §4.2: microseconds when if_tsresol is absent
# §4.7: the registered secrets type of a TLS key log (NSS key log format).
TLS_KEY_LOG = 0x544C534B

# draft-ietf-opsawg-pcaplinktype: the link types read here.
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
VLAN_TAGS = (0x8100, 0x88A8)  # IEEE 802.1Q and 802.1ad: 4 octets before the real EtherType
# BSD address families as the NULL and LOOP link types carry them (IPv6's value differs by system).
AF_INET, AF_INET6 = 2, (10, 24, 28, 30)
PROTOCOL_TCP, PROTOCOL_UDP = 6, 17
IPV6_SKIPPED_HEADERS = (0, 43, 60)  # RFC 8200 §4: hop-by-hop, routing, destination options
IPV6_FRAGMENT = 44
IPV4_DONT_FRAGMENT_MASK = 0x3FFF  # RFC 791 §3.1: MF and the fragment offset
TCP_PSH_ACK = 0x18
UDP, TCP = "udp", "tcp"

Address = tuple[str, int]


def _invalid(what: str) -> ValueError:
    return ValueError(f"pcap {what} is invalid")


@dataclass(frozen=True)
class Packet:
    """One captured frame: its interface's link type, the capture time in nanoseconds, the octets captured."""

    link_type: int
    timestamp_ns: int
    data: bytes


@dataclass(frozen=True)
class Secrets:
    """A Decryption Secrets Block's content (§4.7): its secrets type and the secrets."""

    secrets_type: int
    data: bytes


@dataclass
class Capture:
    packets: list[Packet] = field(default_factory=list)
    secrets: list[Secrets] = field(default_factory=list)


def read(data: bytes) -> Capture:
    """A pcap or pcapng file, told apart by its first four octets."""
    if len(data) < 4:
        raise _invalid("file header")
    if int.from_bytes(data[:4], "little") == SECTION_HEADER:
        return _read_pcapng(data)
    return _read_pcap(data)


def _read_pcap(data: bytes) -> Capture:
    if len(data) < PCAP_HEADER_LENGTH:
        raise _invalid("file header")
    for order in "<>":
        (magic,) = struct.unpack_from(order + "I", data)
        if magic in (PCAP_MICROSECONDS, PCAP_NANOSECONDS):
            break
    else:
        raise _invalid("magic number")
    unit = 1000 if magic == PCAP_MICROSECONDS else 1
    link_type = struct.unpack_from(order + "I", data, 20)[0] & LINK_TYPE_MASK
    capture, offset = Capture(), PCAP_HEADER_LENGTH
    while offset < len(data):
        if offset + PCAP_RECORD_HEADER_LENGTH > len(data):
            raise _invalid("packet record header")
        seconds, fraction, captured, _ = struct.unpack_from(order + "IIII", data, offset)
        offset += PCAP_RECORD_HEADER_LENGTH
        if offset + captured > len(data):
            raise _invalid("packet record length")
        capture.packets.append(Packet(link_type, seconds * 10**9 + fraction * unit, data[offset : offset + captured]))
        offset += captured
    return capture


def _ticks_per_second(options: bytes, order: str) -> int:
    """Timestamp units per second, from an IDB's if_tsresol option (§4.2): units of 10^-n or 2^-n seconds."""
    for code, value in _options(options, order):
        if code == IF_TSRESOL and value:
            exponent = value[0] & 0x7F
            return 2**exponent if value[0] & 0x80 else 10**exponent
    return 10**DEFAULT_TSRESOL


def _options(data: bytes, order: str) -> Iterator[tuple[int, bytes]]:
    """§3.5: code, length, value padded to 32 bits; opt_endofopt (0) ends them."""
    offset = 0
    while offset + 4 <= len(data):
        code, length = struct.unpack_from(order + "HH", data, offset)
        if code == 0:
            return
        offset += 4
        if offset + length > len(data):
            raise _invalid("option length")
        yield code, data[offset : offset + length]
        offset += length + (-length % 4)


def _read_pcapng(data: bytes) -> Capture:
    capture = Capture()
    order = "<"
    interfaces: list[tuple[int, int]] = []  # link type, timestamp units per second
    offset = 0
    while offset < len(data):
        if offset + BLOCK_OVERHEAD > len(data):
            raise _invalid("block header")
        if int.from_bytes(data[offset : offset + 4], "little") == SECTION_HEADER:
            # §4.1: the byte-order magic of each section says how the rest of it is read.
            if offset + 12 > len(data):
                raise _invalid("section header")
            magic = data[offset + 8 : offset + 12]
            if magic == BYTE_ORDER_MAGIC.to_bytes(4, "little"):
                order = "<"
            elif magic == BYTE_ORDER_MAGIC.to_bytes(4, "big"):
                order = ">"
            else:
                raise _invalid("byte-order magic")
            interfaces = []
        block_type, total = struct.unpack_from(order + "II", data, offset)
        if total < BLOCK_OVERHEAD or total % 4 or offset + total > len(data):
            raise _invalid("block total length")
        if struct.unpack_from(order + "I", data, offset + total - 4)[0] != total:
            raise _invalid("block trailing total length")
        body = data[offset + 8 : offset + total - 4]
        offset += total
        if block_type == INTERFACE_DESCRIPTION:
            if len(body) < 8:
                raise _invalid("interface description block")
            link_type = struct.unpack_from(order + "H", body)[0]
            interfaces.append((link_type, _ticks_per_second(body[8:], order)))
        elif block_type in (ENHANCED_PACKET, OBSOLETE_PACKET):
            if len(body) < 20:
                raise _invalid("packet block")
            if block_type == ENHANCED_PACKET:
                interface, high, low, captured, _ = struct.unpack_from(order + "IIIII", body)
            else:
                interface, _, high, low, captured, _ = struct.unpack_from(order + "HHIIII", body)
            if interface >= len(interfaces) or 20 + captured > len(body):
                raise _invalid("packet block interface or length")
            link_type, ticks = interfaces[interface]
            stamp = ((high << 32) | low) * 10**9 // ticks
            capture.packets.append(Packet(link_type, stamp, body[20 : 20 + captured]))
        elif block_type == SIMPLE_PACKET:
            if len(body) < 4 or not interfaces:
                raise _invalid("simple packet block")
            original = struct.unpack_from(order + "I", body)[0]
            capture.packets.append(Packet(interfaces[0][0], 0, body[4 : 4 + original]))
        elif block_type == DECRYPTION_SECRETS:
            if len(body) < 8:
                raise _invalid("decryption secrets block")
            secrets_type, length = struct.unpack_from(order + "II", body)
            if 8 + length > len(body):
                raise _invalid("decryption secrets length")
            capture.secrets.append(Secrets(secrets_type, body[8 : 8 + length]))
        elif block_type == SECTION_HEADER and len(body) < 16:
            raise _invalid("section header")
    return capture


def _block(block_type: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    total = len(body) + BLOCK_OVERHEAD
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def write_pcapng(packets: Sequence[Packet], secrets: Sequence[Secrets] = ()) -> bytes:
    """One little-endian section: the secrets first (§4.7 wants them before the packets they decrypt), one
    interface per link type (nanosecond timestamps, if_tsresol 9), an Enhanced Packet Block per packet."""
    out = [_block(SECTION_HEADER, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1))]
    out += [_block(DECRYPTION_SECRETS, struct.pack("<II", s.secrets_type, len(s.data)) + s.data) for s in secrets]
    link_types = sorted({packet.link_type for packet in packets})
    nanoseconds = struct.pack("<HHB3x", IF_TSRESOL, 1, 9) + bytes(4)  # the option, then opt_endofopt
    out += [_block(INTERFACE_DESCRIPTION, struct.pack("<HHI", t, 0, 0) + nanoseconds) for t in link_types]
    for packet in packets:
        interface, stamp, length = link_types.index(packet.link_type), packet.timestamp_ns, len(packet.data)
        header = struct.pack("<IIIII", interface, stamp >> 32, stamp & 0xFFFFFFFF, length, length)
        out.append(_block(ENHANCED_PACKET, header + packet.data))
    return b"".join(out)


def write_pcap(packets: Sequence[Packet], link_type: int) -> bytes:
    """A classic pcap file with nanosecond timestamps (§4), every packet of the one link type."""
    out = [struct.pack("<IHHiIII", PCAP_NANOSECONDS, 2, 4, 0, 0, 0xFFFF, link_type)]
    for packet in packets:
        if packet.link_type != link_type:
            raise ValueError("pcap link type is invalid: a pcap file has one")
        seconds, fraction = divmod(packet.timestamp_ns, 10**9)
        out.append(struct.pack("<IIII", seconds, fraction, len(packet.data), len(packet.data)) + packet.data)
    return b"".join(out)


# --- frames --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A UDP datagram's or a TCP segment's payload, with its addresses (and the TCP sequence number)."""

    transport: str  # UDP or TCP
    source: Address
    destination: Address
    payload: bytes
    sequence: int = 0


def _ip_packet(link_type: int, frame: bytes) -> Optional[bytes]:
    """The IP packet a frame carries; None for a frame of another network protocol."""
    if link_type == LINKTYPE_ETHERNET:
        offset = 12
        if len(frame) < offset + 2:
            raise _invalid("ethernet header")
        ethertype = int.from_bytes(frame[offset : offset + 2], "big")
        while ethertype in VLAN_TAGS and len(frame) >= offset + 6:
            offset += 4
            ethertype = int.from_bytes(frame[offset : offset + 2], "big")
        return frame[offset + 2 :] if ethertype in (ETHERTYPE_IPV4, ETHERTYPE_IPV6) else None
    if link_type in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(frame) < 4:
            raise _invalid("loopback header")
        # NULL is in the capturing host's byte order, LOOP in network order: either order names the family.
        families = {int.from_bytes(frame[:4], "big"), int.from_bytes(frame[:4], "little")}
        return frame[4:] if families & {AF_INET, *AF_INET6} else None
    if link_type == LINKTYPE_LINUX_SLL:
        return frame[16:] if frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if link_type == LINKTYPE_LINUX_SLL2:
        return frame[20:] if frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if link_type in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return frame
    return None


def _transport(packet: bytes) -> Optional[tuple[int, str, str, bytes]]:
    """Protocol number, source, destination and payload of an unfragmented IPv4 or IPv6 packet."""
    if not packet:
        raise _invalid("ip header")
    version = packet[0] >> 4
    if version == 4:
        header = (packet[0] & 0x0F) * 4
        if header < 20 or len(packet) < header:
            raise _invalid("ipv4 header length")
        total = int.from_bytes(packet[2:4], "big")
        if int.from_bytes(packet[6:8], "big") & IPV4_DONT_FRAGMENT_MASK:
            return None
        source, destination = (str(ipaddress.IPv4Address(packet[i : i + 4])) for i in (12, 16))
        return packet[9], source, destination, packet[header : max(header, total)]
    if version == 6:
        if len(packet) < 40:
            raise _invalid("ipv6 header")
        next_header, offset = packet[6], 40
        end = 40 + int.from_bytes(packet[4:6], "big")
        while next_header in IPV6_SKIPPED_HEADERS:
            if len(packet) < offset + 2:
                raise _invalid("ipv6 extension header")
            next_header, offset = packet[offset], offset + (packet[offset + 1] + 1) * 8
        if next_header == IPV6_FRAGMENT:
            return None
        source, destination = (str(ipaddress.IPv6Address(packet[i : i + 16])) for i in (8, 24))
        return next_header, source, destination, packet[offset:end]
    raise _invalid("ip version")


def segment_of(packet: Packet) -> Optional[Segment]:
    """The UDP or TCP payload of a captured frame; None for anything else (ARP, ICMP, a fragment)."""
    ip = _ip_packet(packet.link_type, packet.data)
    carried = _transport(ip) if ip is not None else None
    if carried is None:
        return None
    protocol, source, destination, body = carried
    if protocol == PROTOCOL_UDP:
        if len(body) < 8:
            raise _invalid("udp header")
        source_port, destination_port, length = struct.unpack_from(">HHH", body)
        if length < 8:
            raise _invalid("udp length")
        return Segment(UDP, (source, source_port), (destination, destination_port), body[8:length])
    if protocol == PROTOCOL_TCP:
        if len(body) < 20 or len(body) < (body[12] >> 4) * 4:
            raise _invalid("tcp header")
        source_port, destination_port, sequence = struct.unpack_from(">HHI", body)
        payload = body[(body[12] >> 4) * 4 :]
        return Segment(TCP, (source, source_port), (destination, destination_port), payload, sequence)
    return None


def _checksum(data: bytes) -> int:
    """RFC 1071: the ones' complement of the ones' complement sum of 16-bit words."""
    data += bytes(len(data) % 2)
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame_of(segment: Segment) -> bytes:
    """A LINKTYPE_RAW frame carrying `segment`: IPv4 or IPv6 by its addresses, with valid checksums."""
    source, destination = ipaddress.ip_address(segment.source[0]), ipaddress.ip_address(segment.destination[0])
    ports = struct.pack(">HH", segment.source[1], segment.destination[1])
    if segment.transport == UDP:
        protocol = PROTOCOL_UDP
        header = ports + struct.pack(">HH", 8 + len(segment.payload), 0)
    else:
        protocol = PROTOCOL_TCP
        header = ports + struct.pack(">IIBBHHH", segment.sequence, 0, 5 << 4, TCP_PSH_ACK, 0xFFFF, 0, 0)
    body = header + segment.payload
    if source.version == 4:
        pseudo = source.packed + destination.packed + struct.pack(">BBH", 0, protocol, len(body))
    else:
        pseudo = source.packed + destination.packed + struct.pack(">I3xB", len(body), protocol)
    checksum = _checksum(pseudo + body) or 0xFFFF  # RFC 768: a computed zero is sent as all ones
    where = 6 if protocol == PROTOCOL_UDP else 16
    body = body[:where] + checksum.to_bytes(2, "big") + body[where + 2 :]
    if source.version == 4:
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(body), 0, 0x4000, 64, protocol, 0)
        ip += source.packed + destination.packed
        ip = ip[:10] + _checksum(ip).to_bytes(2, "big") + ip[12:]
    else:
        ip = struct.pack(">IHBB", 6 << 28, len(body), protocol, 64) + source.packed + destination.packed
    return ip + body
