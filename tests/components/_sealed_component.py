"""A component behind a seal, to prove that repairs and structure-aware mutators reach past a gate.

A message must carry the first 4 bytes of its body's SHA-256 (a gate that byte mutation does not
pass), and only one body, known by its SHA-1 digest alone so that no comparison hands the
fuzzer its bytes, reaches the bug behind it.
"""

import hashlib

BUG_BODY_SHA1 = hashlib.sha1(b"structure").digest()


def seal(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()[:4] + body


def open_sealed(data: bytes) -> bytes:
    body = data[4:]
    if data[:4] != hashlib.sha256(body).digest()[:4]:
        raise ValueError("the seal is broken")
    if hashlib.sha1(body).digest() == BUG_BODY_SHA1:
        raise KeyError("a bug behind the seal")
    return body
