"""What a catalogue entry is: a vendor, where it loads from, what it leaves behind, and the
settings it takes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Setting:
    """One setting a vendor takes, with the pattern its value must match."""

    name: str
    pattern: str
    required: bool
    example: str

    def valid(self, value: object) -> bool:
        """Tell whether ``value`` is an acceptable value for this setting."""
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


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
