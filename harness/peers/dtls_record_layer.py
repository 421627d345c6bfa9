"""The record layer of the scripted DTLS peer: epochs, sequence numbers, protection, datagrams.

RFC 6347 §4.1: each record carries its epoch and a 48-bit sequence number that starts at 0 in
every epoch and grows by one per record sent; §4.1.1: several records may share a datagram;
§4.1.2.1: the MAC and AEAD use epoch || sequence_number. An epoch's protection is installed once
its keys are known and used from the ChangeCipherSpec on (RFC 5246 §7.1); epoch 0 is plaintext.
Records are queued and cut into datagrams by `flush`; every record sent is kept, so a test can
replay it byte for byte. `tamper` flips bits inside one record of a datagram (a forged MAC/tag).
"""

from __future__ import annotations

import random
from typing import Optional

from harness.protocols.dtls import DTLS_1_2, Datagram, Record
from harness.protocols.tls_crypto import AES_GCM
from harness.protocols.tls_record_protection import RecordProtection, seq_num

Protection = Optional[RecordProtection]  # None: plaintext (epoch 0, or an epoch without keys)


class RecordLayer:
    def __init__(self, rng: random.Random) -> None:
        self.write_epoch = 0
        self.read_epoch = 0
        self.sent: list[Record] = []  # every record sent, as it went on the wire, in order
        self._rng = rng
        self._write: dict[int, Protection] = {0: None}
        self._read: dict[int, Protection] = {0: None}
        self._next_sequence: dict[int, int] = {}
        self._queue: list[Record] = []
        self._seen: set[tuple[int, int]] = set()

    # --- keys and epochs ---------------------------------------------------------------------

    def install(self, epoch: int, *, write: RecordProtection, read: RecordProtection) -> None:
        """The protection `epoch` will use once each direction changes cipher spec into it."""
        self._write[epoch] = write
        self._read[epoch] = read

    def change_write_epoch(self) -> None:
        self.write_epoch += 1
        self._write.setdefault(self.write_epoch, None)

    def change_read_epoch(self) -> None:
        self.read_epoch += 1
        self._read.setdefault(self.read_epoch, None)

    # --- sending -----------------------------------------------------------------------------

    def queue(
        self,
        content_type: int,
        plaintext: bytes,
        *,
        epoch: Optional[int] = None,
        sequence_number: Optional[int] = None,
        version: int = DTLS_1_2,
    ) -> Record:
        """Protect one record with `epoch`'s keys (default: the write epoch) and queue it for `flush`.

        `epoch` other than the write epoch uses that epoch's keys if it has any, else the write
        epoch's (a record under a wrong epoch). `sequence_number` overrides the next one without
        moving the counter.
        """
        epoch = self.write_epoch if epoch is None else epoch
        if sequence_number is None:
            sequence_number = self._next_sequence.get(epoch, 0)
            self._next_sequence[epoch] = sequence_number + 1
        protection = self._write[epoch] if epoch in self._write else self._write[self.write_epoch]
        fragment = plaintext
        if protection is not None:
            fragment = protection.protect(
                epoch,
                sequence_number,
                content_type,
                version,
                plaintext,
                self._record_iv(protection, epoch, sequence_number),
            )
        record = Record(content_type, version, epoch, sequence_number, fragment)
        self._queue.append(record)
        return record

    def next_sequence_number(self, epoch: Optional[int] = None) -> int:
        return self._next_sequence.get(self.write_epoch if epoch is None else epoch, 0)

    def skip_to(self, sequence_number: int) -> None:
        """Go on in the write epoch from `sequence_number` (RFC 6347 §4.2.1: a HelloVerifyRequest echoes one)."""
        self._next_sequence[self.write_epoch] = sequence_number

    def _record_iv(self, protection: RecordProtection, epoch: int, sequence_number: int) -> bytes:
        if protection.suite.protection == AES_GCM:
            return seq_num(epoch, sequence_number)  # RFC 5288 §3: the nonce_explicit MAY be the seq_num
        return self._rng.randbytes(protection.suite.record_iv_length)  # the CBC IV; empty for ChaCha20

    def flush(self, *, records_per_datagram: Optional[int] = None) -> list[bytes]:
        """The queued records as datagrams: all in one (default) or `records_per_datagram` in each."""
        records, self._queue = self._queue, []
        self.sent.extend(records)
        size = records_per_datagram or max(len(records), 1)
        return [bytes(Datagram(records[i : i + size])) for i in range(0, len(records), size)]

    def replay(self, *indices: int) -> bytes:
        """One datagram of records already sent (indices into `sent`), byte for byte as they were."""
        return bytes(Datagram([self.sent[i] for i in indices]))

    # --- receiving ---------------------------------------------------------------------------

    def open(self, record: Record) -> bytes:
        """The plaintext of a received record; ValueError when its epoch is not readable or it fails to verify."""
        if record.epoch not in self._read or record.epoch > self.read_epoch:
            raise ValueError("dtls record epoch is invalid")
        protection = self._read[record.epoch]
        if protection is None:
            return record.fragment
        return protection.unprotect(
            record.epoch, record.sequence_number, record.content_type, record.version, record.fragment
        )

    def reads_protected(self, epoch: int) -> bool:
        return self._read.get(epoch) is not None

    def seen_before(self, record: Record) -> bool:
        """Whether a record with this epoch and sequence number came already (RFC 6347 §4.1.2.6)."""
        key = (record.epoch, record.sequence_number)
        seen = key in self._seen
        self._seen.add(key)
        return seen


def tamper(datagram: bytes, *, record: int = 0, offset: int = -1, mask: int = 0x01) -> bytes:
    """The datagram with one byte of one record's fragment XORed with `mask` (negative offsets from its end)."""
    parsed = Datagram.parse(datagram)
    fragment = bytearray(parsed.records[record].fragment)
    fragment[offset] ^= mask
    parsed.records[record].fragment = bytes(fragment)
    return bytes(parsed)
