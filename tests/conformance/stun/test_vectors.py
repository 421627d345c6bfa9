"""RFC 5769's sample messages (vectors/stun_rfc5769.json), read and verified by the implementation's codec."""

import json

import pytest

from harness import project
from harness.conformance import ice_requirements as req
from harness.protocols.stun import BINDING, REQUEST, SUCCESS_RESPONSE

VECTORS_DIR = project.current().vectors


VECTORS = json.loads((VECTORS_DIR / "stun_rfc5769.json").read_text())["vectors"]
CLASSES = {"request": REQUEST, "success response": SUCCESS_RESPONSE}


def wire(vector: dict) -> bytes:
    return bytes.fromhex(vector["inputs"]["message_hex"])


def integrity_key(vector: dict) -> bytes:
    """The short-term password, or the long-term MD5(username:realm:password) (RFC 8489 §9.1.1, §9.2.2)."""
    return bytes.fromhex(vector["inputs"].get("integrity_key_hex") or vector["expected"]["integrity_key_md5_hex"])


def flip_bit(datagram: bytes, bit: int) -> bytes:
    """The datagram with one bit inverted, bit 0 being the most significant of the first octet."""
    changed = bytearray(datagram)
    changed[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(changed)


@req.VECTORS_VERIFY
@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["id"])
def test_rfc5769_message_parses_and_verifies(adapter, vector):
    expected = vector["expected"]
    summary = adapter.summary(wire(vector))
    assert (summary.method, summary.message_class) == (BINDING, CLASSES[expected["class"]])
    assert summary.transaction_id == bytes.fromhex(expected["transaction_id_hex"])
    assert summary.username == expected.get("username")
    mapped = expected.get("xor_mapped_address")
    assert summary.xor_mapped_address == (mapped and (mapped["address"], mapped["port"]))
    assert adapter.authentic(wire(vector), integrity_key(vector))


def offsets(vector: dict, *names: str) -> list[int]:
    return [a["offset"] for a in vector["expected"]["attributes"] if a["name"] in names]


def protected_bits(vector: dict) -> list[int]:
    """Every bit but the header's length and the type and length of MESSAGE-INTEGRITY and FINGERPRINT,
    which neither covers (RFC 8489 §14.5, §14.7: each is computed with the length it implies)."""
    unprotected = {2, 3} | {o + i for o in offsets(vector, "MESSAGE-INTEGRITY", "FINGERPRINT") for i in range(4)}
    return [bit for bit in range(len(wire(vector)) * 8) if bit // 8 not in unprotected]


@req.ONE_BIT_CHANGE_FAILS
@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["id"])
def test_rfc5769_message_changed_in_any_protected_bit_does_not_verify(adapter, vector):
    message, key = wire(vector), integrity_key(vector)
    verified = [bit for bit in protected_bits(vector) if adapter.authentic(flip_bit(message, bit), key)]
    assert not verified, f"still authentic with one of these bits flipped: {verified}"


@req.ATTRIBUTE_PAST_THE_END_REFUSED
@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["id"])
def test_rfc5769_message_whose_last_attribute_runs_past_its_end_is_refused(adapter, vector):
    # The last attribute (FINGERPRINT, or MESSAGE-INTEGRITY in §2.4) claims 4 octets more than follow.
    last = max(offsets(vector, "MESSAGE-INTEGRITY", "FINGERPRINT"))
    message = bytearray(wire(vector))
    message[last + 2 : last + 4] = (int.from_bytes(message[last + 2 : last + 4], "big") + 4).to_bytes(2, "big")
    assert not adapter.authentic(bytes(message), integrity_key(vector))
