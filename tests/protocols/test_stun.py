"""The STUN codec against RFC 5769's messages, its own strategies, and aioice as the receiver of its signatures."""

import hashlib
import json
import random

import pytest
from aioice import stun as aioice_stun
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness import project
from harness.protocols.stun import (
    BINDING,
    ERROR_RESPONSE,
    FINGERPRINT,
    HEADER_LENGTH,
    ICE_CONTROLLED,
    ICE_CONTROLLING,
    MAGIC_COOKIE,
    MESSAGE_INTEGRITY,
    PRIORITY,
    REQUEST,
    SOFTWARE,
    SUCCESS_RESPONSE,
    USE_CANDIDATE,
    USERNAME,
    XOR_MAPPED_ADDRESS,
    Attribute,
    ErrorCode,
    Message,
    XorMappedAddress,
    fingerprint,
    message_integrity,
    message_type,
    parse_unsigned,
    sign,
    split_message_type,
)
from harness.protocols.stun_fuzzing import (
    CODEC,
    binding_responses,
    error_codes,
    ice_checks,
    mutate,
    splice,
    stun_messages,
    xor_mapped_addresses,
)
from harness.target import load_target

VECTORS_DIR = project.current().vectors


VECTORS = {v["id"]: v for v in json.loads((VECTORS_DIR / "stun_rfc5769.json").read_text())["vectors"]}
SHORT_TERM = [name for name, v in VECTORS.items() if v["inputs"]["credential_mechanism"] == "short-term"]
FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def vector(name: str) -> tuple[bytes, Message, dict]:
    raw = bytes.fromhex(VECTORS[name]["inputs"]["message_hex"])
    return raw, Message.parse(raw), VECTORS[name]["expected"]


def integrity_key(name: str) -> bytes:
    inputs, expected = VECTORS[name]["inputs"], VECTORS[name]["expected"]
    return bytes.fromhex(inputs.get("integrity_key_hex") or expected["integrity_key_md5_hex"])


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_rfc5769_header_and_attributes_decode_field_by_field(name):
    raw, message, expected = vector(name)
    assert message_type(message.method, message.message_class) == int(expected["message_type_hex"], 16)
    assert len(raw) - HEADER_LENGTH == expected["message_length"]
    assert raw[4:8] == bytes.fromhex(expected["magic_cookie_hex"]) == MAGIC_COOKIE.to_bytes(4, "big")
    assert message.transaction_id == bytes.fromhex(expected["transaction_id_hex"])
    assert len(message.attributes) == len(expected["attributes"])
    offset = HEADER_LENGTH
    for attribute, printed in zip(message.attributes, expected["attributes"]):
        assert offset == printed["offset"]
        assert attribute.type == int(printed["type_hex"], 16)
        assert len(attribute.value) == printed["length"]
        assert attribute.value == bytes.fromhex(printed["value_hex"])
        assert attribute.padding == bytes.fromhex(printed["padding_hex"])  # spaces in §2.1, NULs in §2.4
        offset += len(bytes(attribute))
    assert bytes(message) == raw  # and back, byte for byte


def test_rfc5769_2_1_request_values():
    _, message, expected = vector("rfc5769-2.1-request-short-term")
    assert (message.method, message.message_class) == (BINDING, REQUEST)
    software = message.attribute(SOFTWARE)
    priority = message.attribute(PRIORITY)
    controlled = message.attribute(ICE_CONTROLLED)
    username = message.attribute(USERNAME)
    assert software is not None and software.value.decode() == expected["software"]
    assert priority is not None and parse_unsigned(priority, 4) == expected["priority"]
    assert controlled is not None and controlled.value == bytes.fromhex(expected["ice_controlled_tie_breaker_hex"])
    assert username is not None and username.value.decode() == expected["username"]


@pytest.mark.parametrize("name", ["rfc5769-2.2-ipv4-response", "rfc5769-2.3-ipv6-response"])
def test_rfc5769_xor_mapped_address(name):
    _, message, expected = vector(name)
    assert (message.method, message.message_class) == (BINDING, SUCCESS_RESPONSE)
    attribute = message.attribute(XOR_MAPPED_ADDRESS)
    assert attribute is not None
    address = XorMappedAddress.from_attribute(attribute, message.transaction_id)
    printed = expected["xor_mapped_address"]
    assert address.family == {"IPv4": 1, "IPv6": 2}[printed["family"]]
    assert address.port == printed["port"]
    assert address.ip == printed["address"]
    assert attribute.value[2:4] == bytes.fromhex(printed["x_port_hex"])
    assert address.to_attribute(message.transaction_id) == attribute


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_rfc5769_message_integrity_and_fingerprint_verify(name):
    raw, message, expected = vector(name)
    offsets = {int(a["type_hex"], 16): a["offset"] for a in expected["attributes"]}
    integrity = message.attribute(MESSAGE_INTEGRITY)
    assert integrity is not None
    prefix = raw[: offsets[MESSAGE_INTEGRITY]]
    assert (
        message_integrity(prefix, integrity_key(name))
        == integrity.value
        == bytes.fromhex(expected["message_integrity_hex"])
    )
    assert message_integrity(prefix, b"wrong key") != integrity.value
    if FINGERPRINT in offsets:
        assert fingerprint(raw[: offsets[FINGERPRINT]]) == bytes.fromhex(expected["fingerprint_hex"])
    assert sign(raw, key=integrity_key(name)) == raw  # the repair leaves a valid message as it is


def test_rfc5769_2_4_long_term_key_is_md5_of_username_realm_password():
    expected = VECTORS["rfc5769-2.4-request-long-term"]["expected"]
    key = hashlib.md5(expected["integrity_key_input"].encode()).digest()  # RFC 8489 §9.2.2, as RFC 5389 §15.4
    assert key == integrity_key("rfc5769-2.4-request-long-term")


@given(st.integers(0, 0xFFF), st.integers(0, 3))
def test_message_type_interleaves_method_and_class_bits(method, message_class):
    value = message_type(method, message_class)
    assert value < 0x4000 and split_message_type(value) == (method, message_class)


@FAST
@given(stun_messages() | ice_checks(username="LoCa:ReMo") | binding_responses())
def test_messages_round_trip(message):
    assert Message.parse(bytes(message)) == message


@FAST
@given(st.binary(min_size=12, max_size=12), xor_mapped_addresses(), error_codes())
def test_typed_values_round_trip(transaction_id, address, error):
    assert XorMappedAddress.from_attribute(address.to_attribute(transaction_id), transaction_id) == address
    assert ErrorCode.from_attribute(error.to_attribute()) == error


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(19),
        bytes.fromhex("0001000421120000" + "00" * 12),  # wrong cookie
        bytes.fromhex("0001000621120000" + "00" * 12) + bytes(6),  # length not a multiple of 4
        bytes.fromhex("000100042112a442" + "00" * 12) + bytes.fromhex("00060008"),  # attribute overruns
        bytes.fromhex("c00100002112a442" + "00" * 12),  # the two top bits set
    ],
)
def test_parse_refuses_malformed_headers_with_value_error(data):
    with pytest.raises(ValueError, match="^STUN .* is invalid$"):
        Message.parse(data)


def test_unknown_attributes_of_both_ranges_are_kept_raw():
    message = Message(BINDING, REQUEST, bytes(12), (Attribute(0x7FFF, b"abc"), Attribute(0xFFFF, b"")))
    assert Message.parse(bytes(message)).attributes == message.attributes


@settings(max_examples=1, database=None)
@given(st.data())
def test_strategies_check_their_arguments(data):
    with pytest.raises(InvalidArgument):
        data.draw(ice_checks(username="no colon"))
    with pytest.raises(InvalidArgument):
        data.draw(binding_responses(transaction_id=b"short"))
    with pytest.raises(InvalidArgument):
        data.draw(stun_messages(methods=()))


@FAST
@given(stun_messages() | ice_checks(username="LoCa:ReMo") | binding_responses(), st.integers(0, 2**32))
def test_mutate_and_splice_never_raise_and_return_bytes(message, seed):
    rng = random.Random(seed)
    assert isinstance(mutate(message, rng), bytes)
    assert isinstance(splice(message, message, rng), bytes)
    assert isinstance(CODEC.mutator(bytes(message), rng), bytes)


def test_mutations_tell_lies_of_every_kind():
    """Over many seeds a mutated check sometimes still parses and differs, and sometimes no longer parses."""
    _, message, _ = vector("rfc5769-2.1-request-short-term")
    outcomes = set()
    for seed in range(300):
        data = mutate(message, random.Random(seed))
        try:
            outcomes.add("changed" if Message.parse(data) != message else "same")
        except ValueError:
            outcomes.add("invalid")
    assert {"changed", "invalid"} <= outcomes


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=200))
def test_sign_is_total_and_keeps_the_size(data):
    signed = sign(data, key=b"key")
    assert len(signed) == len(data)
    assert sign(signed, key=b"key") == signed
    if len(data) < HEADER_LENGTH:
        assert signed == data


@FAST
@given(ice_checks(username="LoCa:ReMo") | binding_responses(), st.randoms(use_true_random=False))
def test_aioice_accepts_what_sign_repaired_and_refuses_it_broken(message, rng):
    # Dummy seals of any value, and a header length that lies: sign() must overwrite all three.
    dummies = tuple(
        Attribute(a.type, rng.randbytes(len(a.value))) if a.type in (MESSAGE_INTEGRITY, FINGERPRINT) else a
        for a in message.attributes
    )
    data = bytearray(bytes(Message(message.method, message.message_class, message.transaction_id, dummies)))
    data[2:4] = rng.randbytes(2)
    signed = sign(bytes(data), key=b"password")
    parsed = aioice_stun.parse_message(signed)  # header length and FINGERPRINT verified
    if message.attribute(MESSAGE_INTEGRITY) is not None:
        assert parsed.check_message_integrity(b"password")
        assert not parsed.check_message_integrity(b"other password")
    broken = bytearray(signed)
    broken[HEADER_LENGTH - 1] ^= 0x01  # the transaction ID, covered by both seals
    with pytest.raises(ValueError, match="fingerprint"):
        aioice_stun.parse_message(bytes(broken))


def test_the_target_agents_answer_signed_checks_and_refuse_wrong_keys():
    target = load_target("stun_integrity")
    check = Message(
        BINDING,
        REQUEST,
        bytes(range(12)),
        (
            Attribute(USERNAME, b"LoCa:ReMo"),
            Attribute(PRIORITY, (1).to_bytes(4, "big")),
            Attribute(ICE_CONTROLLING, (1).to_bytes(8, "big")),  # loses against the agents' tie-breaker
            Attribute(USE_CANDIDATE, b""),
            Attribute(MESSAGE_INTEGRITY, bytes(20)),
            Attribute(FINGERPRINT, bytes(4)),
        ),
    )

    def answers(data: bytes) -> list[tuple[int, int]]:
        _, sent = target.entry(data)
        replies = [aioice_stun.parse_message(d) for d in sent]
        return [
            (r.message_class, r.attributes.get("ERROR-CODE", (0,))[0])
            for r in replies
            if r.transaction_id == check.transaction_id
        ]

    assert target.repair is not None
    controlled_ok, controlling_conflict = aioice_stun.Class.RESPONSE, aioice_stun.Class.ERROR
    assert answers(target.repair(bytes(check))) == [(controlled_ok, 0), (controlling_conflict, 487)]
    assert answers(sign(bytes(check), key=b"not the agents' password")) == [
        (aioice_stun.Class.ERROR, 401),
        (aioice_stun.Class.ERROR, 401),
    ]
    assert answers(bytes(check)) == []  # unsigned: FINGERPRINT fails, the datagram is not STUN for aioice


def test_the_target_repair_signs_responses_with_the_peers_password():
    target = load_target("stun_integrity")
    response = Message(BINDING, ERROR_RESPONSE, bytes(12), (Attribute(MESSAGE_INTEGRITY, bytes(20)),))
    assert target.repair is not None
    signed = aioice_stun.parse_message(target.repair(bytes(response)))
    assert signed.check_message_integrity(b"remotePasswordOf22Char")
