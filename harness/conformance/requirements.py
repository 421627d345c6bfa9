"""The requirement a conformance test checks, carried by the test itself (docs/design.md).

    @requirement(3711, "3.3.2", "MUST", "a replayed packet is discarded")
    def test_duplicate_is_discarded(...): ...

The catalogue in the report is generated from these markers, so it cannot drift from the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pytest

MARKER = "requirement"
# RFC 2119 keywords; "derived" marks a requirement that follows from the RFC's text without one
# of them (for example a limit the index estimation of RFC 3711 §3.3.1 implies).
KEYWORDS = ("MUST", "MUST NOT", "SHALL", "SHALL NOT", "SHOULD", "SHOULD NOT", "MAY", "derived")


@dataclass(frozen=True)
class Requirement:
    rfc: int | str  # an RFC number, or the name of another specification ("W3C webrtc-pc")
    section: str
    keyword: str
    text: str

    @property
    def document(self) -> str:
        return f"RFC {self.rfc}" if isinstance(self.rfc, int) else self.rfc

    def __str__(self) -> str:
        return f"{self.document} §{self.section} {self.keyword}: {self.text}"


def requirement(rfc: int | str, section: str, keyword: str, text: str) -> pytest.MarkDecorator:
    """The marker tying a test to one RFC requirement."""
    if keyword not in KEYWORDS:
        raise ValueError(f"requirement keyword {keyword!r} is not one of {', '.join(KEYWORDS)}")
    return getattr(pytest.mark, MARKER)(rfc=rfc, section=section, keyword=keyword, text=text)


def of(item: pytest.Item) -> Optional[Requirement]:
    """The requirement a collected test carries, if any."""
    marker = item.get_closest_marker(MARKER)
    return Requirement(**marker.kwargs) if marker else None
