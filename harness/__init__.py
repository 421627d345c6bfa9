"""Fuzzing and conformance harness for Python WebRTC security stacks (aiortc, aioice, pylibsrtp)."""
