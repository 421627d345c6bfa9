"""DTLS fuzzing: hypothesis strategies of records and flights, mutations (one lie per call), splicing and CODEC."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Optional

from hypothesis import strategies as st

from harness.protocols.dtls import (
    CLIENT_HELLO,
    CONTENT_TYPES,
    DECODED_EXTENSIONS,
    ENCRYPT_THEN_MAC,
    EXTENDED_MASTER_SECRET,
    HANDSHAKE,
    MAX_COOKIE_LENGTH,
    MAX_FRAGMENT_LENGTH,
    MAX_MKI_LENGTH,
    MAX_SEQUENCE_NUMBER,
    MAX_SESSION_ID_LENGTH,
    RANDOM_LENGTH,
    RECORD_HEADER_LENGTH,
    RECORD_LENGTH_OFFSET,
    RENEGOTIATION_INFO,
    SIGNATURE_ALGORITHMS,
    SRTP_AES128_CM_HMAC_SHA1_80,
    SRTP_PROFILES,
    SUPPORTED_GROUPS,
    VERSIONS,
    ClientHello,
    Datagram,
    EcPointFormats,
    Extension,
    Handshake,
    HelloVerifyRequest,
    RawExtension,
    Record,
    Uint16List,
    UseSrtp,
    fragment_message,
    handshake_record,
    parse_handshakes,
    vector,
)
from harness.protocols.mutations import (
    Codec,
    check_argument,
    lie_about_length,
    mixed,
    mutate_bytes,
    mutate_field,
    mutate_int,
    mutate_items,
    truncate,
)

# --- strategies -------------------------------------------------------------------------------


def srtp_extensions(*, max_profiles: int = 6) -> st.SearchStrategy[UseSrtp]:
    """use_srtp with registry or unknown profiles (at least one: the vector is <2..2^16-1>) and an MKI."""
    check_argument(max_profiles >= 1, "max_profiles must be at least 1")
    profiles = st.lists(mixed(SRTP_PROFILES, st.integers(0, 0xFFFF)), min_size=1, max_size=max_profiles)
    return st.builds(UseSrtp, profiles, st.binary(max_size=MAX_MKI_LENGTH))


def extension_lists(*, max_size: int = 8) -> st.SearchStrategy[list[Extension]]:
    """Extensions a WebRTC ClientHello carries, in any order, with unknown raw ones among them."""
    check_argument(max_size >= 0, "max_size must not be negative")
    known_raw = st.sampled_from([ENCRYPT_THEN_MAC, EXTENDED_MASTER_SECRET]).map(lambda t: RawExtension(t, b""))
    unknown = st.builds(
        RawExtension,
        st.integers(0, 0xFFFF).filter(lambda t: t not in DECODED_EXTENSIONS),
        st.binary(max_size=32),
    )
    extension = st.one_of(
        srtp_extensions(),
        st.builds(Uint16List, st.just(SUPPORTED_GROUPS), st.lists(st.integers(0, 0xFFFF), max_size=8)),
        st.builds(Uint16List, st.just(SIGNATURE_ALGORITHMS), st.lists(st.integers(0, 0xFFFF), max_size=8)),
        st.builds(EcPointFormats, st.lists(st.integers(0, 255), max_size=4)),
        st.binary(max_size=8).map(lambda v: RawExtension(RENEGOTIATION_INFO, vector(v, 1))),
        known_raw,
        unknown,
    )
    return st.lists(extension, max_size=max_size)


def client_hellos(*, with_cookie: Optional[bool] = None) -> st.SearchStrategy[ClientHello]:
    """ClientHellos (RFC 6347 §4.2.1); `with_cookie` True/False forces a cookie or none, None mixes."""
    check_argument(with_cookie is None or isinstance(with_cookie, bool), "with_cookie must be None, True or False")
    cookie_sizes = {None: (0, MAX_COOKIE_LENGTH), True: (1, MAX_COOKIE_LENGTH), False: (0, 0)}[with_cookie]
    suites = mixed((0xC02B, 0xCCA9, 0xC009, 0xC00A, 0x00FF), st.integers(0, 0xFFFF))
    cipher_suites = st.lists(suites, min_size=1, max_size=8)
    return st.builds(
        ClientHello,
        mixed(VERSIONS, st.integers(0, 0xFFFF)),
        st.binary(min_size=RANDOM_LENGTH, max_size=RANDOM_LENGTH),
        st.binary(max_size=MAX_SESSION_ID_LENGTH),
        st.binary(min_size=cookie_sizes[0], max_size=cookie_sizes[1]),
        cipher_suites,
        st.lists(st.integers(0, 255), min_size=1, max_size=3),
        st.one_of(st.none(), extension_lists()),
    )


def hello_verify_requests() -> st.SearchStrategy[HelloVerifyRequest]:
    return st.builds(HelloVerifyRequest, mixed(VERSIONS, st.integers(0, 0xFFFF)), st.binary(max_size=MAX_COOKIE_LENGTH))


def dtls_records(*, epoch: Optional[int] = None) -> st.SearchStrategy[Record]:
    """Records of any content type, bodies raw; `epoch` pins the epoch (0 is the unencrypted handshake)."""
    check_argument(epoch is None or 0 <= epoch <= 0xFFFF, "epoch must be a uint16")
    return st.builds(
        Record,
        mixed(CONTENT_TYPES, st.integers(0, 0xFF)),
        mixed(VERSIONS, st.integers(0, 0xFFFF)),
        st.just(epoch) if epoch is not None else st.integers(0, 0xFFFF),
        st.one_of(st.sampled_from((0, 1, MAX_SEQUENCE_NUMBER)), st.integers(0, MAX_SEQUENCE_NUMBER)),
        st.binary(max_size=64),
    )


def client_hello_flights(*, max_fragments: int = 3) -> st.SearchStrategy[Datagram]:
    """A first client flight: one ClientHello in one datagram, whole or fragmented over records."""
    check_argument(max_fragments >= 1, "max_fragments must be at least 1")

    def flight(hello: ClientHello, sizes: list[int], record_version: int) -> Datagram:
        fragments = fragment_message(Handshake.whole(CLIENT_HELLO, 0, bytes(hello)), sizes)
        return Datagram(
            [handshake_record(f, sequence_number=n, version=record_version) for n, f in enumerate(fragments)]
        )

    sizes = st.lists(st.integers(1, 200), max_size=max_fragments - 1)
    return st.builds(flight, client_hellos(), sizes, st.sampled_from(VERSIONS))


def datagrams(*, max_records: int = 4) -> st.SearchStrategy[Datagram]:
    """Datagrams of client flights, random records, or both back to back."""
    check_argument(max_records >= 1, "max_records must be at least 1")
    records = st.lists(dtls_records(), min_size=1, max_size=max_records).map(Datagram)
    both = st.builds(lambda flight, extra: Datagram(flight.records + extra.records), client_hello_flights(), records)
    return st.one_of(client_hello_flights(), records, both)


# --- mutations: one lie per call, over a valid datagram ----------------------------------------


def _with_record(datagram: Datagram, index: int, record: Record) -> Datagram:
    return Datagram(datagram.records[:index] + [record] + datagram.records[index + 1 :])


def _record_offset(datagram: Datagram, index: int) -> int:
    return sum(RECORD_HEADER_LENGTH + len(r.fragment) for r in datagram.records[:index])


RECORD_HEADER_FIELDS = ("content_type", "version", "epoch", "sequence_number")
HANDSHAKE_HEADER_FIELDS = ("msg_type", "length", "message_seq", "fragment_offset")


def _mutate_handshake(message: Handshake, rng: random.Random) -> list[Handshake]:
    """One handshake message with its framing lying, its sequence skipping, or cut into odd fragments."""
    choice = rng.randrange(6)
    if choice < 4:  # a sequence that skips or wraps, an offset or total length that lies, another type
        return [mutate_field(message, rng, names=HANDSHAKE_HEADER_FIELDS)]
    if choice == 4 and len(message.body) > 1:  # fragments overlapping, duplicated or dropped
        cut = rng.randrange(1, len(message.body))
        fragments = fragment_message(message, [cut])
        overlap = Handshake(message.msg_type, message.length, message.message_seq, cut // 2, message.body[cut // 2 :])
        return mutate_items([*fragments, overlap], rng)
    message.body = mutate_bytes(message.body, rng)
    return [message]


def _mutate_client_hello(hello: ClientHello, rng: random.Random) -> None:
    choice = rng.randrange(7)
    if choice == 0:
        hello.cookie = mutate_bytes(hello.cookie, rng, max_len=MAX_COOKIE_LENGTH)
    elif choice == 1:
        hello.session_id = mutate_bytes(hello.session_id, rng, max_len=MAX_SESSION_ID_LENGTH)
    elif choice == 2:
        hello.cipher_suites = mutate_items(hello.cipher_suites, rng, new_item=lambda: rng.randrange(0x10000))
    elif choice == 3:
        hello.client_version = rng.choice((*VERSIONS, mutate_int(hello.client_version, 16, rng)))
    elif choice == 4:
        new = lambda: RawExtension(rng.randrange(0x10000), rng.randbytes(rng.randrange(8)))  # noqa: E731
        hello.extensions = mutate_items(hello.extensions or [], rng, new_item=new)
    elif choice == 5:
        hello.extensions = (hello.extensions or []) + [UseSrtp([SRTP_AES128_CM_HMAC_SHA1_80])]
        _mutate_srtp(next(e for e in hello.extensions if isinstance(e, UseSrtp)), rng)
    elif hello.extensions:  # one extension's data lies about its own inner lengths
        position = rng.randrange(len(hello.extensions))
        extension = hello.extensions[position]
        hello.extensions[position] = RawExtension(extension.extension_type, mutate_bytes(extension.data, rng))


def _mutate_srtp(extension: UseSrtp, rng: random.Random) -> None:
    """Profile lists empty, unknown, duplicated or huge; MKI at its bounds (RFC 5764 §4.1.1)."""
    choice = rng.randrange(4)
    if choice == 0:
        extension.profiles = []
    elif choice == 1:
        extension.profiles = mutate_items(extension.profiles, rng, new_item=lambda: rng.randrange(0x10000))
    elif choice == 2:
        extension.profiles = [rng.randrange(0x10000) for _ in range(rng.choice((1, 2, 300)))]
    else:
        extension.mki = rng.choice((b"", b"\x00", rng.randbytes(MAX_MKI_LENGTH)))


def _mutate_handshake_record(datagram: Datagram, index: int, rng: random.Random) -> Optional[Datagram]:
    record = datagram.records[index]
    try:
        messages = parse_handshakes(record.fragment)
    except ValueError:
        return None
    position = rng.randrange(len(messages))
    message = messages[position]
    if message.msg_type == CLIENT_HELLO and message.is_whole and rng.randrange(3):
        try:
            hello = ClientHello.parse(message.body)
        except ValueError:
            return None
        _mutate_client_hello(hello, rng)
        replacement = [Handshake.whole(CLIENT_HELLO, message.message_seq, bytes(hello))]
    else:
        replacement = _mutate_handshake(message, rng)
    messages[position : position + 1] = replacement
    if len(replacement) > 1 and rng.randrange(2):  # fragments in records of their own
        records = [replace(record, fragment=bytes(m)) for m in messages]
        return Datagram(datagram.records[:index] + records + datagram.records[index + 1 :])
    fragment = b"".join(bytes(m) for m in messages)
    return _with_record(datagram, index, replace(record, fragment=fragment))


def mutate(datagram: Datagram, rng: random.Random) -> bytes:
    """The datagram with one field-level mutation: record framing, handshake framing, hello contents."""
    index = rng.randrange(len(datagram.records))
    record = datagram.records[index]
    choice = rng.randrange(6)
    if choice == 0:
        return bytes(_with_record(datagram, index, mutate_field(record, rng, names=RECORD_HEADER_FIELDS)))
    if choice == 1:  # the record length lies
        return lie_about_length(bytes(datagram), _record_offset(datagram, index) + RECORD_LENGTH_OFFSET, 2, rng)
    if choice == 2:  # records duplicated, dropped or reordered within the flight
        return bytes(Datagram(mutate_items(datagram.records, rng)))
    if choice == 3:
        return truncate(bytes(datagram), rng)
    if choice == 4 and record.content_type == HANDSHAKE:
        mutated = _mutate_handshake_record(datagram, index, rng)
        if mutated is not None:
            return bytes(mutated)
    fragment = mutate_bytes(record.fragment, rng, max_len=MAX_FRAGMENT_LENGTH)
    return bytes(_with_record(datagram, index, replace(record, fragment=fragment)))


def splice(first: Datagram, second: Datagram, rng: random.Random) -> bytes:
    """The head of one flight's records followed by the tail of another's."""
    head = first.records[: rng.randint(1, len(first.records))]
    tail = second.records[rng.randrange(len(second.records)) :]
    return bytes(Datagram(head + tail))


CODEC = Codec(parse=Datagram.parse, mutate=mutate, splice=splice)
