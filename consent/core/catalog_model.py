"""What a catalogue entry is: a vendor, where it loads from, what it leaves behind, and the
settings it takes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

#: A host name: lower-case labels of letters, digits and inner hyphens, at least two, the
#: last not numeric (an IP address is none), at most ``MAX_HOST`` characters.
HOST_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
MAX_HOST = 253


@dataclass(frozen=True)
class Setting:
    """One setting a vendor takes, with the pattern its value must match.

    ``kind`` says what the value is: ``text`` (an id), ``host`` (a host the vendor loads
    from, on the owner's side: a self-hosted Matomo's, which auto-blocking and scans then
    know as the vendor's) or ``categories`` (a list of category ids, not matched by
    ``pattern``: the ones a loader's container serves).
    """

    name: str
    pattern: str
    required: bool
    example: str
    kind: Literal["text", "host", "categories"] = "text"

    def valid(self, value: object) -> bool:
        """Tell whether ``value`` (text) matches this setting's pattern."""
        return (
            isinstance(value, str)
            and len(value) <= MAX_HOST
            and re.fullmatch(self.pattern, value) is not None
        )


@dataclass(frozen=True)
class Vendor:
    """A catalogue entry: what a vendor is, where it loads from, what it leaves behind.

    Hosts match the host itself or any subdomain; ``inline_markers`` are short strings of
    the vendor's standard inline snippet (auto-blocking recognises the vendor by either).
    """

    id: str
    name: str
    category: str
    kind: Literal["script", "iframe"]
    script_hosts: tuple[str, ...] = ()
    frame_hosts: tuple[str, ...] = ()
    beacon_hosts: tuple[str, ...] = ()
    inline_markers: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = field(default=())
    consent_api: str = "none"
    #: Cookies set on the vendor's own domain: the banner cannot delete them (so the embed
    #: never carries them), but a scan names their vendor. ``*`` ends a name prefix.
    third_party_cookies: tuple[str, ...] = ()
    #: ``localStorage``/``sessionStorage`` keys the vendor's code writes (``*``: a prefix).
    storage_keys: tuple[str, ...] = ()

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host the vendor's scripts, frames and beacons load from."""
        return self.script_hosts + self.frame_hosts + self.beacon_hosts
