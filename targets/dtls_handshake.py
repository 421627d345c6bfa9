"""Conversations of handshake moves, some with a deviation, played by the scripted DTLS peer against a fresh
aiortc RTCDtlsTransport in the role the input picks; the oracle holds it to the transport contract.

What the input bytes mean: harness/peers/dtls_scripts.py; the deviations: harness/peers/dtls_deviations.py;
the player and the oracle: targets/_dtls_handshake.py.
"""

from harness.conformance.dtls_adapters import AiortcAdapter
from harness.peers import dtls_scripts
from harness.target import Target

from ._dtls_handshake import conversation, describe, keeps_the_contract

target = Target(
    name="dtls_handshake",
    protocol="DTLS",
    component="aiortc",
    entry=conversation(AiortcAdapter()),
    # aiortc.rtcpeerconnection.RTCPeerConnection.__connect awaits RTCDtlsTransport.start() with no try
    # around it, and __run (the receive loop) catches only ConnectionError: nothing is a documented
    # refusal. Every byte string is a conversation, so nothing is refused by the harness either.
    rejects=(),
    # OpenSSL's handshake runs in C; the Python that drives it and dispatches datagrams guides the fuzzer.
    instrument=("aiortc.rtcdtlstransport",),
    oracle=keeps_the_contract,
    max_len=dtls_scripts.MAX_LENGTH,
    strategy=dtls_scripts.scripts,
    mutator=dtls_scripts.mutator,
    crossover=dtls_scripts.crossover,
    describe=describe,
)
