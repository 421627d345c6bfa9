"""Deliberately broken WebRTC endpoints: each must make the SDP suite fail on its own requirement.

Each is aiortc's endpoint behind the default adapter (harness.conformance.sdp_adapters) with one
decision changed, made where a careless implementation would make it: on the description text,
before aiortc sees it, or on the description it writes. `--sdp-adapter tests/broken_adapters/sdp.py:Name`
runs the suite against one; tests/test_conformance.py names the requirement each must fail.
Only requirements pinned aiortc passes can be broken this way.
"""

import re
from dataclasses import replace

from harness.conformance.sdp_adapters import ANSWER, OFFER, AiortcAdapter, Outcome

# A careless bound on ICE credentials: RFC 8839 §5.4 allows 256 characters.
ICE_CREDENTIAL_LIMIT = 128


def _sections(sdp: str) -> list[str]:
    """The session part, then one text per m-section, split as the lines stand."""
    return re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)


class AnswerActpassAcceptedAdapter(AiortcAdapter):
    """Reads an answer's a=setup:actpass as active instead of refusing it (RFC 5763 §5)."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        if kind == ANSWER:
            sdp = sdp.replace("a=setup:actpass", "a=setup:active")
        return super().take_remote(kind, sdp)


class ReadsSetupBackwardsAdapter(AiortcAdapter):
    """Takes the remote side's 'active' for 'passive' and the other way round: both ends the same DTLS role."""

    SWAPPED = {"active": "passive", "passive": "active"}

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        swapped = re.sub(r"a=setup:(active|passive)", lambda m: "a=setup:" + self.SWAPPED[m.group(1)], sdp)
        return super().take_remote(kind, swapped)


class FillsInMissingIceCredentialsAdapter(AiortcAdapter):
    """Makes up an ice-ufrag and ice-pwd for an m-section that has none, instead of refusing it (RFC 8839 §5.4)."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        sections = _sections(sdp)
        for index, section in enumerate(sections[1:], 1):
            for name, value in (("ice-ufrag", "made"), ("ice-pwd", "made" * 6)):
                if f"a={name}:" not in section:
                    section += f"a={name}:{value}\r\n"
            sections[index] = section
        return super().take_remote(kind, "".join(sections))


class OffersActiveAdapter(AiortcAdapter):
    """Writes setup:active in its offers, taking the DTLS client role before the answerer could choose."""

    def offer(self) -> str:
        return super().offer().replace("a=setup:actpass", "a=setup:active")


class AnswersActpassAdapter(AiortcAdapter):
    """Writes setup:actpass in its answers too, leaving the DTLS roles undecided (RFC 5763 §5)."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        outcome = super().take_remote(kind, sdp)
        if kind == OFFER and outcome.accepted:
            return replace(outcome, local=re.sub(r"a=setup:(active|passive)", "a=setup:actpass", outcome.local))
        return outcome


class ChecksFingerprintsPerMediaOnlyAdapter(AiortcAdapter):
    """Refuses an m-section without its own a=fingerprint, blind to session-level ones (RFC 8122 §5 allows both)."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        if any("a=fingerprint:" not in section for section in _sections(sdp)[1:]):
            return Outcome(ValueError, "DTLS fingerprint is missing")
        return super().take_remote(kind, sdp)


class RefusesLongIceCredentialsAdapter(AiortcAdapter):
    """Refuses an ice-ufrag or ice-pwd longer than 128 characters, half of what RFC 8839 §5.4 allows."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        credentials = re.findall(r"^a=ice-(?:ufrag|pwd):(.*?)\r?$", sdp, flags=re.MULTILINE)
        if any(len(credential) > ICE_CREDENTIAL_LIMIT for credential in credentials):
            return Outcome(ValueError, f"ICE credential longer than {ICE_CREDENTIAL_LIMIT} characters")
        return super().take_remote(kind, sdp)
