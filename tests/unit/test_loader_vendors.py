"""The catalogue's list of the vendors the banner's loader injects itself is the loader's own
(``MANAGED`` in static/banner/src/vendor-apis.js): the admin's Vendors page is written from
it, so what the page says the snippet loads is what it loads."""

from __future__ import annotations

import re
from pathlib import Path

from consent.core.catalog import LOADER_VENDORS, VENDORS

SOURCE = Path(__file__).parents[2] / "static" / "banner" / "src" / "vendor-apis.js"


def _managed() -> dict[str, str]:
    """Each key of MANAGED with its body (up to the next key)."""
    block = SOURCE.read_text().split("export const MANAGED = {", 1)[1].split("\n};", 1)[0]
    parts = re.split(r"^  '?([a-z0-9-]+)'?: ", block, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_catalogue_names_the_loaders_vendors() -> None:
    managed = _managed()
    assert list(managed) == list(LOADER_VENDORS)
    for vendor, setting in LOADER_VENDORS.items():
        assert f"s.{setting}" in managed[vendor], vendor
        assert setting in {s.name for s in VENDORS[vendor].settings}, vendor
