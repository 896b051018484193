"""An allowed origin as the owner types it: normalised as browsers send ``Origin``, or refused
with a message whose suggested fix is itself an origin."""

from __future__ import annotations

import pytest

from consent.errors import InvalidField
from consent.sites.validation import normalize_origin


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        # An internationalised name as the browser sends it: punycode.
        ("https://bäckerei.example", "https://xn--bckerei-5wa.example"),
    ],
)
def test_origins_are_normalised(typed: str, origin: str) -> None:
    assert normalize_origin(typed) == origin


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("shop.example.com", "'shop.example.com' needs its scheme: https://shop.example.com"),
        ("not a url", "'not a url' is not an origin (like https://www.example.com)"),
        ("https://not a url", "'not a url' is not a host name"),
        ("https://-shop.example", "'-shop.example' is not a host name"),
        ("https://shop.example/path", "an origin has no path, query, fragment or user info"),
    ],
)
def test_a_wrong_origin_says_why_and_never_suggests_another_wrong_one(
    typed: str, message: str
) -> None:
    with pytest.raises(InvalidField) as raised:
        normalize_origin(typed, "origins[3]")
    assert raised.value.field == "origins[3]"
    assert raised.value.message == message
