"""A vendor setting's form label reads as words, not as its API name."""

from __future__ import annotations

import pytest

from consent.core.catalog import VENDORS
from consent.templating import setting_label


@pytest.mark.parametrize(
    ("name", "label"),
    [("measurement_id", "Measurement ID"), ("partner_id", "Partner ID"), ("host", "Host")],
)
def test_a_setting_name_reads_as_words(name: str, label: str) -> None:
    assert setting_label(name) == label


def test_no_catalogue_setting_label_shows_an_underscore() -> None:
    names = {setting.name for vendor in VENDORS.values() for setting in vendor.settings}
    assert names  # the catalogue has settings to label
    assert all("_" not in setting_label(name) for name in names)
