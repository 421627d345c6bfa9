"""STUN fuzzing: hypothesis strategies of valid messages, field-level mutations, splicing and CODEC."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Optional

from hypothesis import strategies as st

from harness.protocols.mutations import (
    Codec,
    boundary_values,
    check_argument,
    lie_about_length,
    mutate_bytes,
    mutate_field,
    mutate_int,
    mutate_items,
    truncate,
)
from harness.protocols.stun import (
    ATTRIBUTE_TYPES,
    BINDING,
    COMPREHENSION_OPTIONAL,
    ERROR_CODE,
    ERROR_CODES,
    ERROR_RESPONSE,
    FINGERPRINT,
    HEADER_LENGTH,
    ICE_CONTROLLED,
    ICE_CONTROLLING,
    INDICATION,
    INTEGRITY_LENGTH,
    IPV4,
    IPV6,
    MAGIC_COOKIE,
    MAX_METHOD,
    MAX_USERNAME_LENGTH,
    MESSAGE_INTEGRITY,
    METHODS,
    NONCE,
    PRIORITY,
    REALM,
    REQUEST,
    SOFTWARE,
    SUCCESS_RESPONSE,
    TRANSACTION_ID_LENGTH,
    UNKNOWN_ATTRIBUTES,
    USE_CANDIDATE,
    USERNAME,
    XOR_MAPPED_ADDRESS,
    Attribute,
    ErrorCode,
    Message,
    XorMappedAddress,
    parse_unknown_attributes,
    unknown_attributes,
    unsigned,
)

# Strategies of valid messages.

transaction_ids = st.binary(min_size=TRANSACTION_ID_LENGTH, max_size=TRANSACTION_ID_LENGTH)
attribute_types = st.one_of(st.sampled_from(ATTRIBUTE_TYPES), st.integers(0, 0xFFFF))


def xor_mapped_addresses() -> st.SearchStrategy[XorMappedAddress]:
    return st.one_of(
        st.builds(XorMappedAddress, st.just(IPV4), st.integers(0, 0xFFFF), st.binary(min_size=4, max_size=4)),
        st.builds(XorMappedAddress, st.just(IPV6), st.integers(0, 0xFFFF), st.binary(min_size=16, max_size=16)),
    )


def error_codes() -> st.SearchStrategy[ErrorCode]:
    codes = st.one_of(st.sampled_from(ERROR_CODES), st.integers(300, 699))
    return st.builds(ErrorCode, codes, st.text(max_size=40))


def attributes(*, transaction_id: bytes, max_value_length: int = 64) -> st.SearchStrategy[Attribute]:
    """One attribute: a well-formed known one, or any type with any value (kept raw)."""
    check_argument(
        len(transaction_id) == TRANSACTION_ID_LENGTH and max_value_length >= 0,
        "attributes() needs a 12-byte transaction_id and a max_value_length >= 0",
    )
    words = st.text(max_size=40).map(str.encode)
    return st.one_of(
        xor_mapped_addresses().map(lambda a: a.to_attribute(transaction_id)),
        error_codes().map(ErrorCode.to_attribute),
        st.lists(attribute_types, max_size=6).map(lambda types: unknown_attributes(tuple(types))),
        st.builds(Attribute, st.sampled_from((USERNAME, SOFTWARE, REALM, NONCE)), words),
        st.builds(unsigned, st.just(PRIORITY), st.integers(0, 2**32 - 1), st.just(4)),
        st.builds(unsigned, st.sampled_from((ICE_CONTROLLED, ICE_CONTROLLING)), st.integers(0, 2**64 - 1), st.just(8)),
        st.just(Attribute(USE_CANDIDATE, b"")),
        st.builds(Attribute, attribute_types, st.binary(max_size=max_value_length)),
    )


def _sealed(body: list[Attribute], integrity: bool, with_fingerprint: bool) -> tuple[Attribute, ...]:
    """Placeholders for MESSAGE-INTEGRITY and FINGERPRINT, last as RFC 8489 §14.5/§14.7 require; sign() fills them."""
    seal = [Attribute(MESSAGE_INTEGRITY, bytes(INTEGRITY_LENGTH))] if integrity else []
    return tuple(body + seal + ([Attribute(FINGERPRINT, bytes(4))] if with_fingerprint else []))


@st.composite
def stun_messages(draw: st.DrawFn, *, methods: tuple[int, ...] = METHODS, max_attributes: int = 8) -> Message:
    """Any message: a registry or random method, any class, attributes of every kind, then the seals."""
    check_argument(
        bool(methods) and all(0 <= m <= MAX_METHOD for m in methods) and max_attributes >= 0,
        "stun_messages() needs 12-bit methods and max_attributes >= 0",
    )
    transaction_id = draw(transaction_ids)
    body = draw(st.lists(attributes(transaction_id=transaction_id), max_size=max_attributes))
    method = draw(st.one_of(st.sampled_from(methods), st.integers(0, MAX_METHOD)))
    message_class = draw(st.sampled_from((REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE)))
    return Message(method, message_class, transaction_id, _sealed(body, draw(st.booleans()), draw(st.booleans())))


@st.composite
def ice_checks(draw: st.DrawFn, *, username: str) -> Message:
    """ICE checks: USERNAME (RFC 8445 §7.2.2), PRIORITY, a role and maybe USE-CANDIDATE (§7.1.1-§7.1.3)."""
    check_argument(
        ":" in username and len(username.encode()) <= MAX_USERNAME_LENGTH,
        "ice_checks() needs a username 'local:remote' of at most 508 bytes",
    )
    role = draw(st.sampled_from((ICE_CONTROLLING, ICE_CONTROLLED)))
    body = [
        Attribute(USERNAME, username.encode()),
        unsigned(PRIORITY, draw(st.one_of(st.sampled_from(boundary_values(32)), st.integers(0, 2**32 - 1))), 4),
        unsigned(role, draw(st.one_of(st.sampled_from(boundary_values(64)), st.integers(0, 2**64 - 1))), 8),
    ]
    if role == ICE_CONTROLLING and draw(st.booleans()):
        body.append(Attribute(USE_CANDIDATE, b""))
    return Message(BINDING, REQUEST, draw(transaction_ids), _sealed(draw(st.permutations(body)), True, True))


@st.composite
def binding_responses(draw: st.DrawFn, *, transaction_id: Optional[bytes] = None) -> Message:
    """Binding success or error responses (RFC 8489 §7.3.1.1, §7.3.1.2), for a given transaction or any."""
    check_argument(
        transaction_id is None or len(transaction_id) == TRANSACTION_ID_LENGTH,
        "binding_responses() needs a 12-byte transaction_id",
    )
    tid = transaction_id if transaction_id is not None else draw(transaction_ids)
    if draw(st.booleans()):
        body = [draw(xor_mapped_addresses()).to_attribute(tid)]
        return Message(BINDING, SUCCESS_RESPONSE, tid, _sealed(body, True, True))
    body = [draw(error_codes()).to_attribute()]
    return Message(BINDING, ERROR_RESPONSE, tid, _sealed(body, draw(st.booleans()), True))


# Field-level mutations: one lie per call, told inside a valid message.

UNSIGNED_WIDTHS = {PRIORITY: 4, FINGERPRINT: 4, ICE_CONTROLLED: 8, ICE_CONTROLLING: 8}


def new_attribute(rng: random.Random) -> Attribute:
    """An attribute a receiver may not expect: unknown comprehension-required or -optional, or a known type."""
    kind = rng.choice((rng.randrange(COMPREHENSION_OPTIONAL), rng.randrange(COMPREHENSION_OPTIONAL, 0x10000)))
    kind = rng.choice((kind, rng.choice(ATTRIBUTE_TYPES)))
    return Attribute(kind, rng.randbytes(rng.choice((0, 1, 2, 3, 4, 8, 20, rng.randrange(64)))))


def mutate_address(address: XorMappedAddress, rng: random.Random) -> XorMappedAddress:
    """The family (to an unknown one), the port, or the address (to another length) changed."""
    return mutate_field(address, rng)


def mutate_value(attribute: Attribute, transaction_id: bytes, rng: random.Random) -> Attribute:
    """The attribute with its value changed as its type invites: numbers at boundaries, address fields, codes."""
    value = attribute.value
    width = UNSIGNED_WIDTHS.get(attribute.type)
    if width == len(value) and rng.randrange(4):
        return unsigned(attribute.type, mutate_int(int.from_bytes(value, "big"), width * 8, rng), width)
    if attribute.type == XOR_MAPPED_ADDRESS and rng.randrange(4):
        try:
            return mutate_address(XorMappedAddress.from_attribute(attribute, transaction_id), rng).to_attribute(
                transaction_id
            )
        except ValueError:  # not a well-formed address: mutated as bytes below
            pass
    if attribute.type == ERROR_CODE and len(value) >= 4 and rng.randrange(4):
        position = rng.choice((2, 3))  # the class byte (with 5 reserved bits) or the number
        changed = bytes([mutate_int(value[position], 8, rng)])
        return Attribute(ERROR_CODE, value[:position] + changed + value[position + 1 :])
    if attribute.type == UNKNOWN_ATTRIBUTES and len(value) % 2 == 0 and rng.randrange(4):
        types = mutate_items(parse_unknown_attributes(attribute), rng, new_item=lambda: rng.randrange(0x10000))
        return unknown_attributes(tuple(types))
    return Attribute(attribute.type, mutate_bytes(value, rng, max_len=1024))


def _attribute_offset(message: Message, index: int) -> int:
    return HEADER_LENGTH + sum(len(bytes(a)) for a in message.attributes[:index])


def _replaced(message: Message, index: int, attribute: Attribute) -> Message:
    items = message.attributes
    return replace(message, attributes=items[:index] + (attribute,) + items[index + 1 :])


def _mutated_message(message: Message, rng: random.Random) -> Message | bytes:
    """One mutation: a new message, or bytes when the lie cannot be told by a valid message."""
    items = message.attributes
    index = rng.randrange(len(items)) if items else 0
    choice = rng.randrange(10) if items else rng.choice((0, 5, 6, 7))
    if choice == 0:  # attributes duplicated, dropped, moved (after MESSAGE-INTEGRITY, before FINGERPRINT) or added
        return replace(message, attributes=tuple(mutate_items(items, rng, new_item=lambda: new_attribute(rng))))
    if choice in (1, 2):
        return _replaced(message, index, mutate_value(items[index], message.transaction_id, rng))
    if choice == 3:  # another type: a neighbour, a boundary, the other comprehension range or a registry type
        kind = rng.choice((mutate_int(items[index].type, 16, rng), items[index].type ^ COMPREHENSION_OPTIONAL,
                           rng.choice(ATTRIBUTE_TYPES)))  # fmt: skip
        return _replaced(message, index, replace(items[index], type=kind))
    if choice == 4:  # the attribute's length lies
        return lie_about_length(bytes(message), _attribute_offset(message, index) + 2, 2, rng)
    if choice == 5:  # header fields: method, class, transaction ID
        field = rng.randrange(3)
        if field == 0:
            return replace(message, method=rng.choice((mutate_int(message.method, 12, rng), rng.choice(METHODS))))
        if field == 1:
            return replace(message, message_class=rng.randrange(4))
        return replace(message, transaction_id=rng.choice((bytes(12), b"\xff" * 12, rng.randbytes(12))))
    data = bytes(message)
    if choice == 6:  # the magic cookie, or the two top bits of the type that must be zero
        if rng.randrange(2):
            return data[:4] + mutate_int(MAGIC_COOKIE, 32, rng).to_bytes(4, "big") + data[8:]
        return bytes([data[0] | rng.choice((0x40, 0x80, 0xC0))]) + data[1:]
    if choice == 7:  # the header length lies (a repair that recomputes it undoes this one)
        return lie_about_length(data, 2, 2, rng)
    padding = items[index].padding
    if choice == 8 and padding:  # padding that is not zero, which a receiver must ignore
        return _replaced(message, index, replace(items[index], padding=rng.randbytes(len(padding))))
    return truncate(data, rng)


def mutate(message: Message, rng: random.Random) -> bytes:
    """`message` encoded with one field-level mutation chosen at random."""
    mutated = _mutated_message(message, rng)
    if isinstance(mutated, bytes):
        return mutated
    try:
        return bytes(mutated)
    except ValueError:  # grew past the 16-bit length field: cut the original short instead
        return truncate(bytes(message), rng)


def splice(first: Message, second: Message, rng: random.Random) -> bytes:
    """The header and leading attributes of `first` followed by the trailing attributes of `second`."""
    head = first.attributes[: rng.randint(0, len(first.attributes))]
    tail = second.attributes[rng.randint(0, len(second.attributes)) :]
    try:
        return bytes(replace(first, attributes=head + tail))
    except ValueError:
        return bytes(first)


CODEC = Codec(parse=Message.parse, mutate=mutate, splice=splice)
