"""Edits of a real session description, made with the harness's SDP codec (harness.protocols.sdp).

Each takes the SDP text an endpoint wrote and changes the lines a test is about, leaving every other
line as the endpoint wrote it: `without(answer, "fingerprint")`, `with_setup(offer, "active")`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from harness.protocols.sdp import MediaDescription, SessionDescription
from harness.protocols.sdp_attributes import Attribute, Flag, Line, Setup, Typed

Lines = tuple[Line, ...]


def parsed(sdp: str) -> SessionDescription:
    return SessionDescription.parse(sdp.encode())


def name_of(line: Line) -> Optional[str]:
    """The attribute name of an a= line (None for a raw line of another type)."""
    if isinstance(line, Typed):
        return line.NAME
    if isinstance(line, (Attribute, Flag)):
        return line.name
    return None


def attribute_values(section: SessionDescription | MediaDescription, name: str) -> list[Optional[str]]:
    """The value of every a=<name> line of one section (session level or one m-section)."""
    return [str(line).partition(":")[2] or None for line in section.attributes if name_of(line) == name]


def edited(
    sdp: str,
    media: Callable[[MediaDescription], MediaDescription] = lambda m: m,
    session: Callable[[Lines], Lines] = lambda a: a,
) -> str:
    """The description with every m-section passed through `media` and the session attributes through `session`."""
    description = parsed(sdp)
    return str(
        replace(
            description,
            attributes=session(description.attributes),
            media=tuple(media(m) for m in description.media),
        )
    )


def _without(lines: Lines, name: str) -> Lines:
    return tuple(line for line in lines if name_of(line) != name)


def _replacing(lines: Lines, name: str, line: Line) -> Lines:
    """The first a=<name> line replaced by `line`, in place, and the others dropped."""
    first = next(i for i, old in enumerate(lines) if name_of(old) == name)
    return tuple(line if i == first else old for i, old in enumerate(lines) if i == first or name_of(old) != name)


def without(sdp: str, name: str) -> str:
    """No a=<name> line left, at session level or in any m-section."""
    return edited(
        sdp,
        media=lambda m: replace(m, attributes=_without(m.attributes, name)),
        session=lambda attributes: _without(attributes, name),
    )


def with_attribute(sdp: str, name: str, value: Optional[str]) -> str:
    """Every m-section's a=<name> lines replaced by one a=<name>:<value> (a value outside the grammar stays text)."""
    line = Attribute(name, value)
    return edited(sdp, media=lambda m: replace(m, attributes=_replacing(m.attributes, name, line)))


def with_setup(sdp: str, role: str) -> str:
    """Every m-section's a=setup says `role`."""
    return edited(sdp, media=lambda m: replace(m, attributes=_replacing(m.attributes, "setup", Setup(role))))


def with_session_setup(sdp: str, role: str, *, media_setup: bool) -> str:
    """An a=setup:<role> at session level; the m-sections keep theirs only if `media_setup`."""
    return edited(
        sdp,
        media=lambda m: m if media_setup else replace(m, attributes=_without(m.attributes, "setup")),
        session=lambda attributes: attributes + (Setup(role),),
    )


def with_session_fingerprints(sdp: str) -> str:
    """The fingerprints moved from the m-sections (all alike) to the session level (RFC 8122 §5 allows both)."""
    description = parsed(sdp)
    fingerprints = tuple(line for line in description.media[0].attributes if name_of(line) == "fingerprint")
    return edited(without(sdp, "fingerprint"), session=lambda attributes: attributes + fingerprints)


def with_media_line(sdp: str, line: Line, *, after: str) -> str:
    """`line` added to every m-section after its a=<after> line."""

    def insert(m: MediaDescription) -> MediaDescription:
        lines = list(m.attributes)
        position = max(i for i, old in enumerate(lines) if name_of(old) == after)
        return replace(m, attributes=tuple(lines[: position + 1] + [line] + lines[position + 1 :]))

    return edited(sdp, media=insert)


def with_proto(sdp: str, proto: str, *, kinds: tuple[str, ...] = ("audio", "video")) -> str:
    """The m= lines of these kinds say `proto` (RFC 8866 §5.14) instead of what the endpoint wrote."""
    return edited(sdp, media=lambda m: replace(m, media=replace(m.media, proto=proto)) if m.media.kind in kinds else m)


def setups(sdp: str) -> list[Optional[str]]:
    """The a=setup value of every m-section, or of the session level where the m-section has none."""
    description = parsed(sdp)
    session = attribute_values(description, "setup")
    return [(attribute_values(m, "setup") or session or [None])[0] for m in description.media]
