"""CRC32c (Castagnoli), the SCTP checksum: RFC 9260 Appendix A, first specified by RFC 3309.

The polynomial is 0x1EDC6F41 (RFC 9260 Appendix A), processed bit-reflected (0x82F63B78), with
the register preset to all ones and the result complemented. SCTP stores the 32-bit value in
the common header least significant byte first, which is the byte order the RFC 3720 B.4
examples print.
"""

from __future__ import annotations

REFLECTED_POLYNOMIAL = 0x82F63B78  # 0x1EDC6F41 bit-reversed (RFC 9260 Appendix A)


def _table() -> tuple[int, ...]:
    entries = []
    for byte in range(256):
        register = byte
        for _ in range(8):
            register = (register >> 1) ^ (REFLECTED_POLYNOMIAL if register & 1 else 0)
        entries.append(register)
    return tuple(entries)


_TABLE = _table()


def crc32c(data: bytes) -> int:
    """The CRC32c of `data`, as an integer (its wire form is `to_bytes(4, "little")`)."""
    register = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        register = table[(register ^ byte) & 0xFF] ^ (register >> 8)
    return register ^ 0xFFFFFFFF
