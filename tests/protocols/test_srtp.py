"""The reference SRTP (harness.protocols.srtp, srtp_keys, srtp_replay): every RFC 3711, 6188 and 7714
vector value by value; byte-for-byte agreement with pylibsrtp in both directions; index estimation,
replay lists and the context's ordering rule at their edges."""

import hashlib
import hmac
import json
import struct
from itertools import accumulate

import pylibsrtp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import libsrtp, project
from harness.protocols import srtp
from harness.protocols.srtp_keys import (
    SessionKeys,
    aes_block,
    aes_cm_iv,
    aes_cm_keystream,
    aes_cm_prf,
    counter_block,
    derive,
    gcm_counter_block,
    gcm_hash_subkey,
    gcm_keystream,
    ghash,
    prf_input,
    session_keys,
    srtcp_aead_iv,
    srtp_aead_iv,
)
from harness.protocols.srtp_profiles import PROFILES, REFERENCE_PROFILES, SrtpProfile, split_profile
from harness.protocols.srtp_replay import (
    ReplayList,
    Verdict,
    advance,
    distance,
    estimate_index,
    srtcp_replay_list,
)

VECTORS_DIR = project.current().vectors

VECTOR_FILES = ("srtp_rfc3711.json", "srtp_rfc6188.json", "srtp_rfc7714.json")
VECTORS = [v for name in VECTOR_FILES for v in json.loads((VECTORS_DIR / name).read_text())["vectors"]]
FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)
PROFILE_NAMED = {p.name: p for p in REFERENCE_PROFILES}
# AES-192-CM is in the RFC 6188 vectors but in no DTLS-SRTP profile; this one exists for the test.
AES192_CM_SHA1_80 = SrtpProfile("AES192_CM_SHA1_80", 24, 14)
CM_PROFILE_FOR_KEY = {
    16: PROFILE_NAMED["AES128_CM_SHA1_80"],
    24: AES192_CM_SHA1_80,
    32: PROFILE_NAMED["AES256_CM_SHA1_80"],
}
AEAD_PROFILE = {
    "AEAD_AES_128_GCM": PROFILE_NAMED["AEAD_AES_128_GCM"],
    "AEAD_AES_256_GCM": PROFILE_NAMED["AEAD_AES_256_GCM"],
}


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def flipped(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def bits_to_flip(data: bytes) -> list[int]:
    """The first and last bit of the packet, and one in the middle."""
    return [0, len(data) * 4 + 3, len(data) * 8 - 1]


# RFC vectors: one test per vector, each value the reference computes compared with the RFC's.


def check_keystream(vector: dict) -> None:
    """RFC 3711 B.2, RFC 6188 7.1 and 7.3: the AES-CM IV and keystream blocks, the last ones of the long segment too."""
    given_, expected = vector["inputs"], vector["expected"]
    key, salt = h(given_["session_key_hex"]), h(given_["session_salt_hex"])
    assert salt + bytes(2) == h(given_["session_salt_shifted_hex"])
    iv = aes_cm_iv(salt, given_["ssrc"], given_["packet_index"])
    assert iv == h(expected["counter_offset_hex"])
    keystream = aes_cm_keystream(key, iv, given_["keystream_segment_length_octets"])
    for block in expected["keystream_blocks"]:
        j = block["block_index"]
        assert counter_block(iv, j) == h(block["counter_hex"])
        assert keystream[16 * j : 16 * j + 16] == h(block["keystream_hex"])
    assert keystream[:48] == h(expected["keystream_first_48_octets_hex"])
    assert keystream[-48:] == h(expected["keystream_last_48_octets_hex"])
    # The SRTP transform applies that keystream: an all-zero payload at SSRC 0, index 0 encrypts to it.
    profile = CM_PROFILE_FOR_KEY[len(key)]
    keys = SessionKeys(key, salt, bytes(20))
    rtp = struct.pack("!BBHII", 0x80, 0, 0, 0, given_["ssrc"]) + bytes(64)
    assert srtp.protect_rtp(keys, profile, rtp, given_["packet_index"])[12:76] == keystream[:64]


def check_key_derivation(vector: dict) -> None:
    """RFC 3711 B.3, RFC 6188 7.2 and 7.4: x, each AES block of the PRF, the session key, and session_keys()."""
    given_, expected = vector["inputs"], vector["expected"]
    master_key, master_salt = h(given_["master_key_hex"]), h(given_["master_salt_hex"])
    label, length = given_["label"], given_["output_length_octets"]
    assert given_["index_div_kdr_hex"] == "00" * 6 and given_["key_derivation_rate"] == 0
    x = prf_input(master_salt, label, index=given_["packet_index"], kdr=given_["key_derivation_rate"])
    assert x == h(expected["prf_input_x_hex"])
    # kdr = 0: r = 0 whatever the index (RFC 3711 §4.3.1).
    assert prf_input(master_salt, label, index=123456789, kdr=0) == x
    output = aes_cm_prf(master_key, x, 16 * len(expected["aes_blocks"]))
    for j, block in enumerate(expected["aes_blocks"]):
        assert counter_block(x + bytes(2), j) == h(block["aes_input_hex"])
        assert output[16 * j : 16 * j + 16].startswith(h(block["aes_output_hex"]))  # a prefix where truncated
    value = derive(master_key, master_salt, label, length, index=given_["packet_index"])
    name = {0: "cipher_key_hex", 1: "auth_key_hex", 2: "cipher_salt_hex"}[label]
    assert value == h(expected[name])
    profile = CM_PROFILE_FOR_KEY[len(master_key)]
    keys = session_keys(profile, master_key + master_salt, rtcp=False)
    produced = {0: keys.cipher_key, 1: keys.auth_key, 2: keys.cipher_salt}[label]
    assert produced == value[: {0: profile.key_length, 1: profile.auth_key_length, 2: profile.salt_length}[label]]
    if "auth_key_20_octets_hex" in expected:
        assert keys.auth_key == h(expected["auth_key_20_octets_hex"])


def check_gcm_values(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes, expected: dict) -> None:
    """H, E(K, J0), the keystream blocks and GHASH (RFC 7714 §16, §17, as NIST SP 800-38D defines them)."""
    hash_subkey = gcm_hash_subkey(key)
    assert hash_subkey == h(expected["hash_subkey_h_hex"])
    ek_j0 = aes_block(key, gcm_counter_block(iv, 1))
    assert ek_j0 == h(expected["ek_j0_hex"])
    blocks = expected.get("keystream_blocks", [])
    keystream = gcm_keystream(key, iv, 16 * len(blocks))
    for n, block in enumerate(blocks):
        assert gcm_counter_block(iv, n + 2) == h(block["counter_block_hex"])
        assert keystream[16 * n : 16 * n + 16] == h(block["key_block_hex"])
    digest = ghash(hash_subkey, aad, ciphertext)
    assert digest == h(expected["ghash_hex"])
    assert bytes(a ^ b for a, b in zip(digest, ek_j0)) == tag == h(expected["tag_hex"])


def check_srtp_gcm(vector: dict) -> None:
    """RFC 7714 §16.1.1-16.2.4: SRTP AEAD encryption, decryption, and the authentication-only mode."""
    given_, expected = vector["inputs"], vector["expected"]
    profile = AEAD_PROFILE[given_["aead"]]
    keys = SessionKeys(h(given_["session_key_hex"]), h(given_["session_salt_hex"]), b"")
    ssrc, index = int(given_["ssrc_hex"], 16), given_["packet_index"]
    assert index == given_["rollover_counter"] << 16 | given_["sequence_number"]
    iv = srtp_aead_iv(keys.cipher_salt, ssrc, index)
    assert iv == h(expected["iv_hex"])
    if "iv_input_block_hex" in expected:
        assert srtp_aead_iv(bytes(12), ssrc, index) == h(expected["iv_input_block_hex"])
    encrypt = not vector["id"].endswith(("tag-only", "tag-verify"))
    if "rtp_packet_hex" in given_:  # the sending side
        rtp = h(given_["rtp_packet_hex"])
        packet = srtp.protect_rtp(keys, profile, rtp, index, encrypt=encrypt)
        assert packet == h(expected["srtp_packet_hex"])
    else:  # the receiving side
        packet = h(given_["srtp_packet_hex"])
        rtp = srtp.unprotect_rtp(keys, profile, packet, index, encrypted=encrypt)
        assert rtp == h(expected["rtp_packet_hex"])
        assert expected["tag_valid"] is True
    header = rtp[: srtp.rtp_header_length(rtp)]
    aad = header if encrypt else rtp
    assert aad == h(expected["aad_hex"])
    if "plaintext_hex" in expected:
        assert (rtp[len(header) :] if encrypt else b"") == h(expected["plaintext_hex"])
    if "ciphertext_with_tag_hex" in expected:
        assert packet[len(header) :] == h(expected["ciphertext_with_tag_hex"])
    ciphertext = packet[len(header) : -16] if encrypt else b""
    if "ciphertext_hex" in expected:
        assert ciphertext == h(expected["ciphertext_hex"])
    check_gcm_values(keys.cipher_key, iv, aad, ciphertext, packet[-16:], expected)
    assert srtp.unprotect_rtp(keys, profile, packet, index, encrypted=encrypt) == rtp
    for bit in bits_to_flip(packet):
        with pytest.raises(srtp.SrtpAuthenticationError):
            srtp.unprotect_rtp(keys, profile, flipped(packet, bit), index, encrypted=encrypt)
    with pytest.raises(srtp.SrtpAuthenticationError):  # the index (ROC) is authenticated too
        srtp.unprotect_rtp(keys, profile, packet, index + (1 << 16), encrypted=encrypt)


def check_srtcp_gcm(vector: dict) -> None:
    """RFC 7714 §17.1-17.4: SRTCP AEAD with E = 1 and E = 0; the E||index word follows the tag."""
    given_, expected = vector["inputs"], vector["expected"]
    profile = AEAD_PROFILE[given_["aead"]]
    keys = SessionKeys(h(given_["session_key_hex"]), h(given_["session_salt_hex"]), b"")
    ssrc, index, encrypt = int(given_["ssrc_hex"], 16), given_["srtcp_index"], bool(given_["e_flag"])
    iv = srtcp_aead_iv(keys.cipher_salt, ssrc, index)
    assert iv == h(expected["iv_hex"])
    if "iv_input_block_hex" in expected:
        assert srtcp_aead_iv(bytes(12), ssrc, index) == h(expected["iv_input_block_hex"])
    if "rtcp_packet_hex" in given_:
        rtcp = h(given_["rtcp_packet_hex"])
        packet = srtp.protect_rtcp(keys, profile, rtcp, index, encrypt=encrypt)
        assert packet == h(expected["srtcp_packet_hex"])
    else:
        packet = h(given_["srtcp_packet_hex"])
        rtcp = srtp.unprotect_rtcp(keys, profile, packet)
        assert rtcp == h(expected["rtcp_packet_hex"])
        assert expected["tag_valid"] is True
    assert srtp.srtcp_trailer(profile, packet) == (encrypt, index)
    word = packet[-4:]
    assert word == h(expected["esrtcp_word_hex"])
    aad = (rtcp[:8] if encrypt else rtcp) + word
    assert aad == h(expected["aad_hex"])
    if "plaintext_hex" in expected:
        assert (rtcp[8:] if encrypt else b"") == h(expected["plaintext_hex"])
    sealed = packet[:-4]
    if "ciphertext_with_tag_hex" in expected:
        assert sealed[8:] == h(expected["ciphertext_with_tag_hex"])
    ciphertext = sealed[8:-16] if encrypt else b""
    if "ciphertext_hex" in expected:
        assert ciphertext == h(expected["ciphertext_hex"])
    check_gcm_values(keys.cipher_key, iv, aad, ciphertext, sealed[-16:], expected)
    assert srtp.unprotect_rtcp(keys, profile, packet) == rtcp
    for bit in bits_to_flip(packet):
        with pytest.raises(srtp.SrtpAuthenticationError):
            srtp.unprotect_rtcp(keys, profile, flipped(packet, bit))


def vector_check(vector: dict):
    if "keystream_segment_length_octets" in vector["inputs"]:
        return check_keystream
    if "prf" in vector["inputs"]:
        return check_key_derivation
    return check_srtcp_gcm if "-srtcp-" in vector["id"] else check_srtp_gcm


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_rfc_vector(vector):
    vector_check(vector)(vector)


def test_every_vector_has_its_own_test_id():
    assert len({v["id"] for v in VECTORS}) == len(VECTORS) == 24


def test_gcm_master_salt_enters_the_kdf_multiplied_by_2_16():
    # RFC 7714 §11, Errata ID 4938 (verified): the 96-bit master salt is padded to 112 bits on the right.
    salt = bytes(range(1, 13))
    assert prf_input(salt, 0) == salt + bytes(2)
    assert prf_input(salt, 2) == prf_input(salt + bytes(2), 2)


def test_key_derivation_rate():
    salt = bytes(14)
    # r = index DIV kdr sits in the low 48 bits of key_id (RFC 3711 §4.3.1).
    assert prf_input(salt, 0, index=0x123456, kdr=16) == (0x12345).to_bytes(14, "big")
    assert prf_input(salt, 1, index=0x123456, kdr=1) == (1 << 48 | 0x123456).to_bytes(14, "big")
    for bad in (3, -1, 1 << 25):
        with pytest.raises(ValueError):
            prf_input(salt, 0, index=1, kdr=bad)


# Profiles.


def test_profiles_keep_their_order_and_gain_what_a_transform_needs():
    assert [p.name for p in PROFILES] == [
        "AES128_CM_SHA1_80",
        "AES128_CM_SHA1_32",
        "AEAD_AES_128_GCM",
        "AEAD_AES_256_GCM",
    ]
    assert REFERENCE_PROFILES[: len(PROFILES)] == PROFILES
    assert [(p.srtp_tag_length, p.srtcp_tag_length, p.aead) for p in REFERENCE_PROFILES] == [
        (10, 10, False), (4, 10, False), (16, 16, True), (16, 16, True), (10, 10, False), (4, 10, False),
    ]  # fmt: skip
    assert [(p.key_length, p.salt_length) for p in REFERENCE_PROFILES[4:]] == [(32, 14), (32, 14)]
    assert split_profile(b"\x06rest") == (PROFILES[2], b"rest")
    assert PROFILES[3].master_key == bytes(range(1, 45))
    assert SrtpProfile("X", 16, 14).srtp_tag_length == 10


@pytest.mark.parametrize("profile", REFERENCE_PROFILES, ids=lambda p: p.name)
def test_every_reference_profile_round_trips_through_two_contexts(profile):
    sender, receiver = srtp.SrtpContext(profile, profile.master_key), srtp.SrtpContext(profile, profile.master_key)
    for seq in (65534, 65535, 0, 1):
        rtp = struct.pack("!BBHII", 0x80, 96, seq, 0, 7) + b"media"
        wire = sender.protect(rtp)
        assert len(wire) == len(rtp) + profile.srtp_tag_length
        assert receiver.unprotect(wire) == rtp
    assert receiver.rtp_state(7) == sender.rtp_state(7, sender=True) == (1, 1)
    rtcp = struct.pack("!BBHI", 0x80, 201, 1, 7)
    wire = sender.protect_rtcp(rtcp)
    assert len(wire) == len(rtcp) + 4 + profile.srtcp_tag_length
    assert receiver.unprotect_rtcp(wire) == rtcp


def test_pylibsrtp_derives_the_rfc_3711_b3_session_keys():
    """pylibsrtp takes master keys only, so B.3 reaches it through a packet: with B.3's master key and
    salt, its SRTP packet at index 0 (SSRC 0, SEQ 0, zero payload) carries the AES-CM keystream of B.3's
    session cipher key and salt, and the HMAC-SHA1 tag of B.3's session authentication key."""
    b3 = {v["inputs"]["label"]: v for v in VECTORS if v["id"].startswith("rfc3711-b3-")}
    inputs = b3[0]["inputs"]
    cipher_key, cipher_salt = h(b3[0]["expected"]["cipher_key_hex"]), h(b3[2]["expected"]["cipher_salt_hex"])
    auth_key = h(b3[1]["expected"]["auth_key_20_octets_hex"])
    policy = pylibsrtp.Policy(
        key=h(inputs["master_key_hex"]) + h(inputs["master_salt_hex"]),
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    )
    header = struct.pack("!BBHII", 0x80, 0, 0, 0, 0)
    protected = pylibsrtp.Session(policy).protect(header + bytes(48))
    assert protected[12:60] == aes_cm_keystream(cipher_key, aes_cm_iv(cipher_salt, 0, 0), 48)
    assert protected[60:] == hmac.new(auth_key, protected[:60] + bytes(4), hashlib.sha1).digest()[:10]


# Differential: the reference against pylibsrtp, byte for byte.


def libsrtp_session(profile: SrtpProfile, outbound: bool) -> pylibsrtp.Session:
    ssrc_type = pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
    return libsrtp.session(profile, profile.master_key, ssrc_type)


@st.composite
def rtp_packets(draw, *, ssrc=None, seq=None):
    """RTP packets (RFC 3550 §5.1) with CSRCs, a header extension and padding; at most 1200 octets."""
    csrcs = draw(st.lists(st.integers(0, 2**32 - 1), max_size=15))
    extension = draw(st.none() | st.tuples(st.sampled_from([0xBEDE, 0x1000, 0x0001]), st.binary(max_size=32)))
    padding = draw(st.integers(0, 32))
    payload = draw(st.binary(max_size=1000) | st.integers(0, 1000).flatmap(lambda n: st.binary(min_size=n, max_size=n)))
    first = 0x80 | (0x20 if padding else 0) | (0x10 if extension else 0) | len(csrcs)
    header = struct.pack(
        "!BBHII",
        first,
        draw(st.integers(0, 255)),
        draw(st.integers(0, 0xFFFF)) if seq is None else seq,
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)) if ssrc is None else ssrc,
    )
    header += b"".join(struct.pack("!I", c) for c in csrcs)
    if extension:
        data = extension[1] + bytes(-len(extension[1]) % 4)
        header += struct.pack("!HH", extension[0], len(data) // 4) + data
    tail = bytes(padding - 1) + bytes([padding]) if padding else b""
    return header + payload + tail


@st.composite
def rtcp_packets(draw, *, ssrc=None):
    """Compound-ish RTCP: an SR or RR first (RFC 3550 §6.1), then up to three more packets of other types."""
    packets = []
    for position in range(draw(st.integers(1, 4))):
        packet_type = draw(st.sampled_from([200, 201] if position == 0 else [202, 203, 204, 205, 206]))
        size = draw(st.integers(0, 60))
        body = draw(st.binary(min_size=4 * size, max_size=4 * size))
        sender = draw(st.integers(0, 2**32 - 1)) if ssrc is None or position else ssrc
        packets.append(
            struct.pack("!BBHI", 0x80 | draw(st.integers(0, 31)), packet_type, 1 + len(body) // 4, sender) + body
        )
    return b"".join(packets)


def assert_agree_on_rtp(profile: SrtpProfile, packets: list[bytes], **reference_settings) -> srtp.SrtpContext:
    """pylibsrtp's and the reference's protect give the same bytes, and each side's receiver takes the other's."""
    lib_out, lib_in = libsrtp_session(profile, True), libsrtp_session(profile, False)
    ref_out = srtp.SrtpContext(profile, profile.master_key, **reference_settings)
    ref_in = srtp.SrtpContext(profile, profile.master_key, **reference_settings)
    for packet in packets:
        by_libsrtp = lib_out.protect(packet)
        by_reference = ref_out.protect(packet)
        assert by_reference == by_libsrtp
        assert ref_in.unprotect(by_libsrtp) == packet
        assert lib_in.unprotect(by_reference) == packet
    return ref_in


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@FAST
@given(packet=rtp_packets(), bit=st.integers(0, 2**16))
def test_rtp_agrees_with_pylibsrtp(profile, packet, bit):
    assert_agree_on_rtp(profile, [packet])
    # Any one bit flipped, and both refuse it: a bad tag, or a header that no longer fits.
    keys = session_keys(profile, profile.master_key, rtcp=False)
    wire = srtp.protect_rtp(keys, profile, packet, packet[2] << 8 | packet[3])
    tampered = flipped(wire, bit % (len(wire) * 8))
    with pytest.raises(srtp.SrtpError):
        srtp.SrtpContext(profile, profile.master_key).unprotect(tampered)
    with pytest.raises(pylibsrtp.Error):
        libsrtp_session(profile, False).unprotect(tampered)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_the_largest_generated_shape_agrees_with_pylibsrtp(profile):
    # 15 CSRCs, a 32-octet extension, a 1000-octet payload and 32 octets of padding.
    header = struct.pack("!BBHII", 0xBF, 0xE0, 0xFFFF, 1, 2) + bytes(range(60)) + struct.pack("!HH", 0xBEDE, 8)
    assert_agree_on_rtp(profile, [header + bytes(32) + bytes(range(250)) * 4 + bytes(31) + b"\x20"])


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@FAST
@given(
    start=st.integers(0xFFFF - 300, 0xFFFF),
    steps=st.lists(st.integers(1, 40), min_size=1, max_size=25),
    payloads=st.lists(st.binary(max_size=100), min_size=1, max_size=5),
)
def test_rtp_sequence_across_the_seq_wrap_agrees_with_pylibsrtp(profile, start, steps, payloads):
    indices = list(accumulate(steps, initial=start))
    if indices[-1] < 1 << 16:
        indices.append((1 << 16) + 3)  # always cross into ROC 1
    packets = [
        struct.pack("!BBHII", 0x80, 96, index & 0xFFFF, index * 160 & 0xFFFFFFFF, 0x5EED) + payloads[n % len(payloads)]
        for n, index in enumerate(indices)
    ]
    receiver = assert_agree_on_rtp(profile, packets)
    assert receiver.rtp_state(0x5EED) == (1, indices[-1] & 0xFFFF)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@FAST
@given(
    packets=st.lists(rtcp_packets(), min_size=1, max_size=4),
    ssrcs=st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=12),
)
def test_rtcp_agrees_with_pylibsrtp(profile, packets, ssrcs):
    lib_out, lib_in = libsrtp_session(profile, True), libsrtp_session(profile, False)
    # libsrtp's first SRTCP index is 1 (RFC 3711 §3.4 says 0): the sender starts there to compare bytes.
    ref_out = srtp.SrtpContext(profile, profile.master_key, first_srtcp_index=1)
    ref_in = srtp.SrtpContext(profile, profile.master_key)
    sent: dict[int, int] = {}
    for n, ssrc in enumerate(ssrcs):
        packet = packets[n % len(packets)]
        packet = packet[:4] + struct.pack("!I", ssrc) + packet[8:]
        by_libsrtp, by_reference = lib_out.protect_rtcp(packet), ref_out.protect_rtcp(packet)
        sent[ssrc] = sent.get(ssrc, 0) + 1
        assert srtp.srtcp_trailer(profile, by_reference) == (True, sent[ssrc])  # 1, 2, ... per SSRC
        assert by_reference == by_libsrtp
        assert ref_in.unprotect_rtcp(by_libsrtp) == packet
        assert lib_in.unprotect_rtcp(by_reference) == packet


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_srtcp_index_sequence_and_tag_lengths_match_pylibsrtp(profile):
    lib_out = libsrtp_session(profile, True)
    ref_out = srtp.SrtpContext(profile, profile.master_key, first_srtcp_index=1)
    report = struct.pack("!BBHIIIIII", 0x80, 200, 6, 0x4D617273, 1, 2, 3, 4, 5)
    for n in range(1, 40):
        by_libsrtp = lib_out.protect_rtcp(report)
        assert ref_out.protect_rtcp(report) == by_libsrtp
        assert srtp.srtcp_trailer(profile, by_libsrtp) == (True, n)
        assert len(by_libsrtp) == len(report) + 4 + profile.srtcp_tag_length
    assert len(lib_out.protect(report[:12])) == 12 + profile.srtp_tag_length


# Index estimation (RFC 3711 §3.3.1, Appendix A).


@pytest.mark.parametrize(
    ("roc", "s_l", "seq", "v"),
    [
        (0, 100, 200, 0),
        (5, 100, 100 + 32768, 5),  # SEQ - s_l = 32768 is not more than 32768: v = ROC
        (5, 100, 100 + 32769, 4),  # ... 32769 is: v = ROC - 1
        (5, 32767, 0xFFFF, 5),  # s_l < 32768 and SEQ - s_l = 32768
        (5, 32768, 0, 5),  # s_l >= 32768, s_l - 32768 = 0 is not more than SEQ
        (5, 40000, 7232, 5),  # s_l - 32768 = 7232 is not more than SEQ = 7232
        (5, 40000, 7231, 6),  # ... it is more than 7231: v = ROC + 1
        (5, 0xFFFF, 0, 6),
        (2**32 - 1, 0xFFFF, 0, 0),  # ROC + 1 mod 2^32
        (0, 10, 50000, 2**32 - 1),  # ROC - 1 mod 2^32 (libsrtp takes ROC 0 here: see the report)
    ],
)
def test_estimate_index_follows_appendix_a(roc, s_l, seq, v):
    assert estimate_index(roc, s_l, seq) == v << 16 | seq


@FAST
@given(roc=st.integers(0, 2**32 - 1), s_l=st.integers(0, 0xFFFF), seq=st.integers(0, 0xFFFF))
def test_estimate_is_the_index_closest_to_the_highest(roc, s_l, seq):
    index = estimate_index(roc, s_l, seq)
    assert index & 0xFFFF == seq
    assert -32768 <= distance(index, roc << 16 | s_l) <= 32768


def test_roc_and_s_l_move_only_forward():
    assert advance(3, 100, 3 << 16 | 101) == (3, 101)
    assert advance(3, 100, 3 << 16 | 99) == (3, 100)
    assert advance(3, 0xFFF0, 4 << 16 | 2) == (4, 2)
    assert advance(4, 2, 3 << 16 | 0xFFF0) == (4, 2)
    assert advance(0, 10, (2**32 - 1) << 16 | 50000) == (0, 10)  # v = ROC - 1 at ROC 0 lies behind


# Replay lists (RFC 3711 §3.3.2, §3.4).


@pytest.mark.parametrize("size", [64, 100, 128, 1024])
def test_replay_list_window_edges(size):
    replay = ReplayList(size)
    assert replay.verdict(1000) is Verdict.NEW
    replay.add(1000)
    assert replay.verdict(1000) is Verdict.DUPLICATE
    assert replay.verdict(1001) is Verdict.NEW
    assert replay.verdict(1000 - (size - 1)) is Verdict.UNSEEN  # the oldest index inside the window
    assert replay.verdict(1000 - size) is Verdict.TOO_OLD
    replay.add(1000 - (size - 1))
    assert replay.verdict(1000 - (size - 1)) is Verdict.DUPLICATE
    replay.add(1001)  # the window slides by one: the oldest index falls out
    assert replay.verdict(1000 - (size - 1)) is Verdict.TOO_OLD
    assert replay.verdict(1000) is Verdict.DUPLICATE
    replay.add(1001 + size + 5)  # far ahead: everything seen before is now too old
    assert replay.verdict(1001) is Verdict.TOO_OLD
    assert replay.verdict(1001 + size + 4) is Verdict.UNSEEN
    assert [v.accepted for v in Verdict] == [True, True, False, False]


def test_srtcp_replay_list_is_libsrtps_128_over_31_bits():
    replay = srtcp_replay_list()
    replay.add(2**31 - 1)
    assert replay.verdict(0) is Verdict.NEW  # the index wraps modulo 2^31
    assert replay.verdict(2**31 - 1 - 128) is Verdict.TOO_OLD
    assert replay.verdict(2**31 - 1 - 127) is Verdict.UNSEEN


def test_replay_list_refuses_a_window_it_cannot_keep():
    for size in (0, 2**47):
        with pytest.raises(ValueError):
            ReplayList(size)


# The context: refusals, ordering, SRTCP.

PROFILE = PROFILES[0]
SSRC = 0x5501A0B2


def rtp(seq: int, ssrc: int = SSRC) -> bytes:
    return struct.pack("!BBHII", 0x80, 96, seq, seq * 160, ssrc) + f"SEQ {seq}".encode()


def wire(index: int, profile: SrtpProfile = PROFILE, ssrc: int = SSRC) -> bytes:
    keys = session_keys(profile, profile.master_key, rtcp=False)
    return srtp.protect_rtp(keys, profile, rtp(index & 0xFFFF, ssrc), index)


def forged(packet: bytes) -> bytes:
    return flipped(packet, len(packet) * 8 - 1)


def report(ssrc: int = SSRC) -> bytes:
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_receiver_refusals_name_their_reason(profile):
    receiver = srtp.SrtpContext(profile, profile.master_key, window_size=64)
    receiver.unprotect(wire(1000, profile))
    with pytest.raises(srtp.SrtpDuplicateError):
        receiver.unprotect(wire(1000, profile))
    with pytest.raises(srtp.SrtpTooOldError):
        receiver.unprotect(wire(1000 - 64, profile))
    with pytest.raises(srtp.SrtpAuthenticationError):
        receiver.unprotect(forged(wire(1001, profile)))
    with pytest.raises(srtp.SrtpParseError):
        receiver.unprotect(wire(1002, profile)[: 12 + profile.srtp_tag_length - 1])
    assert all(
        issubclass(e, srtp.SrtpError) for e in (srtp.SrtpParseError, srtp.SrtpReplayError, srtp.SrtpIndexReuseError)
    )
    assert issubclass(srtp.SrtpDuplicateError, srtp.SrtpReplayError) and issubclass(
        srtp.SrtpTooOldError, srtp.SrtpReplayError
    )


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_a_forged_packet_burns_no_index(profile):
    receiver = srtp.SrtpContext(profile, profile.master_key)
    with pytest.raises(srtp.SrtpAuthenticationError):
        receiver.unprotect(forged(wire(40000, profile)))
    assert receiver.rtp_state(SSRC) is None  # a forged first packet creates no stream
    receiver.unprotect(wire(2000, profile))
    for index in (2010, 2000 + 20000, 2000 - 5):  # ahead, far ahead, inside the window
        with pytest.raises(srtp.SrtpAuthenticationError):
            receiver.unprotect(forged(wire(index, profile)))
        assert receiver.rtp_state(SSRC) == (0, 2000)
    for index in (2000 - 5, 2010, 2000 + 20000):
        receiver.unprotect(wire(index, profile))
    assert receiver.rtp_state(SSRC) == (0, 22000)
    # SRTCP: a forged index 10 does not mark 10 as received.
    keys = session_keys(profile, profile.master_key, rtcp=True)
    good = srtp.protect_rtcp(keys, profile, report(), 10)
    with pytest.raises(srtp.SrtpAuthenticationError):
        receiver.unprotect_rtcp(forged(good))
    assert receiver.unprotect_rtcp(good) == report()
    with pytest.raises(srtp.SrtpDuplicateError):
        receiver.unprotect_rtcp(good)


def test_first_packet_sets_s_l_without_a_replay_check_and_later_ones_follow_the_estimate():
    receiver = srtp.SrtpContext(PROFILE, PROFILE.master_key)
    receiver.unprotect(wire(65530))
    assert receiver.rtp_state(SSRC) == (0, 65530)
    receiver.unprotect(wire(1 << 16 | 5))
    assert receiver.rtp_state(SSRC) == (1, 5)
    receiver.unprotect(wire(65531))  # late, from before the wrap: v = ROC - 1, inside the window
    assert receiver.rtp_state(SSRC) == (1, 5)
    with pytest.raises(srtp.SrtpTooOldError):
        receiver.unprotect(wire(65530 - 200))
    receiver.unprotect(wire(7, ssrc=SSRC + 1))  # another SSRC has its own state
    assert receiver.rtp_state(SSRC + 1) == (0, 7)


def test_roc_minus_one_at_roc_zero_is_refused():
    # RFC 3711 Appendix A: with ROC 0, s_l 10, SEQ 50000 gives v = 2^32 - 1, behind the window.
    # libsrtp 2.7 (srtp_rdbx_estimate_index) takes ROC 0 while its index is at most 2^15 and accepts.
    receiver = srtp.SrtpContext(PROFILE, PROFILE.master_key)
    receiver.unprotect(wire(10))
    with pytest.raises(srtp.SrtpTooOldError):
        receiver.unprotect(wire(50000))
    sender = srtp.SrtpContext(PROFILE, PROFILE.master_key)
    sender.protect(rtp(10))
    with pytest.raises(srtp.SrtpIndexReuseError):
        sender.protect(rtp(50000))


def test_sender_refuses_index_reuse_unless_repeats_are_allowed():
    sender = srtp.SrtpContext(PROFILE, PROFILE.master_key)
    first = sender.protect(rtp(1000))
    with pytest.raises(srtp.SrtpIndexReuseError):
        sender.protect(rtp(1000))
    sender.protect(rtp(999))  # unused and inside the window
    with pytest.raises(srtp.SrtpIndexReuseError):
        sender.protect(rtp(1000 - 128))  # behind the window: possibly used
    repeating = srtp.SrtpContext(PROFILE, PROFILE.master_key, allow_repeat_tx=True)
    assert repeating.protect(rtp(1000)) == repeating.protect(rtp(1000)) == first
    with pytest.raises(srtp.SrtpIndexReuseError):
        repeating.protect(rtp(1000 - 128))
    for seq in (30000, 60000, 65535, 3):  # steps under 2^15, across the wrap
        sender.protect(rtp(seq))
    assert sender.rtp_state(SSRC, sender=True) == (1, 3)
    assert sender.rtp_state(SSRC) is None  # nothing received


def test_window_sizes_libsrtp_refuses_are_refused():
    assert srtp.SrtpContext(PROFILE, PROFILE.master_key, window_size=0).window_size == 128
    for size in (64, 0x7FFF):
        assert srtp.SrtpContext(PROFILE, PROFILE.master_key, window_size=size).window_size == size
    for size in (1, 63, 0x8000):
        with pytest.raises(ValueError):
            srtp.SrtpContext(PROFILE, PROFILE.master_key, window_size=size)


def test_header_lengths_and_short_packets():
    base = rtp(1)
    with_csrcs = bytes([0x82]) + base[1:12] + bytes(8) + b"payload"
    assert srtp.rtp_header_length(with_csrcs) == 20
    with_extension = bytes([0x91]) + base[1:12] + bytes(4) + struct.pack("!HH", 0xBEDE, 2) + bytes(8)
    assert srtp.rtp_header_length(with_extension) == 12 + 4 + 4 + 8
    for short in (base[:11], with_csrcs[:19], with_extension[:19], with_extension[:27]):
        with pytest.raises(srtp.SrtpParseError):
            srtp.rtp_header_length(short)
    keys = session_keys(PROFILE, PROFILE.master_key, rtcp=False)
    assert len(srtp.protect_rtp(keys, PROFILE, with_extension, 1)) == 28 + 10  # a header-only packet is fine
    context = srtp.SrtpContext(PROFILE, PROFILE.master_key)
    for refused in (lambda: context.protect(base[:11]), lambda: context.protect_rtcp(report()[:7])):
        with pytest.raises(srtp.SrtpParseError):
            refused()
    minimal = context.protect_rtcp(report()[:8])
    assert len(minimal) == 8 + 4 + 10 and context.unprotect_rtcp(minimal) == report()[:8]
    with pytest.raises(srtp.SrtpParseError):
        context.unprotect_rtcp(minimal[:-1])
    with pytest.raises(ValueError):
        srtp.protect_rtp(keys, PROFILE, base, 1 << 48)


@pytest.mark.parametrize("profile", REFERENCE_PROFILES, ids=lambda p: p.name)
def test_srtcp_context_indices_and_the_e_flag(profile):
    sender = srtp.SrtpContext(profile, profile.master_key)
    receiver = srtp.SrtpContext(profile, profile.master_key)
    assert sender.next_srtcp_index(SSRC) == 0  # RFC 3711 §3.4: the first SRTCP packet carries 0
    packets = [sender.protect_rtcp(report()) for _ in range(3)]
    assert [srtp.srtcp_trailer(profile, p) for p in packets] == [(True, 0), (True, 1), (True, 2)]
    clear = sender.protect_rtcp(report(), encrypt=False)
    assert srtp.srtcp_trailer(profile, clear) == (False, 3)
    assert clear.startswith(report())  # E = 0: authenticated, left in the clear
    for packet in [*packets, clear]:
        assert receiver.unprotect_rtcp(packet) == report()
    with pytest.raises(srtp.SrtpDuplicateError):
        receiver.unprotect_rtcp(clear)
    # SRTP and SRTCP keep separate replay lists: SRTCP index 1 says nothing of SRTP index 1.
    receiver.unprotect(wire(1, profile))
    wrapping = srtp.SrtpContext(profile, profile.master_key, first_srtcp_index=2**31 - 1)
    assert [srtp.srtcp_trailer(profile, wrapping.protect_rtcp(report()))[1] for _ in range(2)] == [2**31 - 1, 0]
    with pytest.raises(ValueError):
        srtp.SrtpContext(profile, profile.master_key, first_srtcp_index=2**31)


def test_srtcp_e_flag_is_authenticated():
    for profile in (PROFILE, PROFILES[2]):
        keys = session_keys(profile, profile.master_key, rtcp=True)
        packet = srtp.protect_rtcp(keys, profile, report(), 9, encrypt=False)
        word_bit = (len(packet) - 4 - (0 if profile.aead else profile.srtcp_tag_length)) * 8
        with pytest.raises(srtp.SrtpAuthenticationError):
            srtp.unprotect_rtcp(keys, profile, flipped(packet, word_bit))


def test_session_keys_check_the_master_key_length():
    with pytest.raises(ValueError):
        session_keys(PROFILE, PROFILE.master_key[:-1], rtcp=False)
    rtp_keys = session_keys(PROFILE, PROFILE.master_key, rtcp=False)
    rtcp_keys = session_keys(PROFILE, PROFILE.master_key, rtcp=True)  # labels 0x03-0x05 (RFC 3711 §4.3.2)
    assert rtp_keys.cipher_key != rtcp_keys.cipher_key and rtp_keys.auth_key != rtcp_keys.auth_key
    gcm_keys = session_keys(PROFILES[2], PROFILES[2].master_key, rtcp=False)
    assert (len(gcm_keys.cipher_key), len(gcm_keys.cipher_salt), gcm_keys.auth_key) == (16, 12, b"")
