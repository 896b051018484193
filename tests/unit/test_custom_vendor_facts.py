"""A version's vendors resolved in one place (consent/core/vendors.py): a custom vendor's
facts, its auto-blocking rule after the catalogue's, and a scan's attribution of its hosts and
cookies (consent/core/classify.py)."""

from __future__ import annotations

from typing import Any

from consent.core.catalog import VENDORS
from consent.core.classify import Classifier
from consent.core.vendors import (
    custom_vendors,
    declared_cookies,
    provider,
    site_blocking_rules,
    vendor_for,
)

VERSION: dict[str, Any] = {
    "google-analytics": {"category": "performance", "settings": {}},
    "acme-chat": {
        "category": "functionality",
        "settings": {},
        "custom": {
            "name": "Acme Chat",
            "hosts": {"script": ["cdn.acmechat.test"], "frame": [], "beacon": ["t.acmechat.test"]},
            "cookies": [
                {
                    "name": "acme_s",
                    "pattern": "acme_s*",
                    "purpose": {"en": "The chat session"},
                    "duration_days": "session",
                },
                {"name": "acme_id", "pattern": None, "purpose": {"nl": "Chat"}, "duration_days": 9},
            ],
            "privacy_policy_url": None,
        },
    },
}


def test_vendor_for_resolves_catalogue_and_custom_vendors() -> None:
    assert vendor_for(VERSION, "google-analytics") is VENDORS["google-analytics"]
    chat = vendor_for(VERSION, "acme-chat")
    assert chat is not None
    assert (chat.name, chat.category, chat.kind) == ("Acme Chat", "functionality", "script")
    assert chat.hosts == ("cdn.acmechat.test", "t.acmechat.test")
    assert chat.cookies == ("acme_s*", "acme_id")
    assert vendor_for(VERSION, "nobody") is None
    assert [v.id for v in custom_vendors(VERSION)] == ["acme-chat"]
    assert provider(VERSION, "acme-chat") == "Acme Chat"
    facts = declared_cookies(VERSION, "acme-chat")
    assert [(f.name, f.lifetime, pattern) for f, pattern in facts] == [
        ("acme_s", None, "acme_s*"),
        ("acme_id", (9, "day"), "acme_id"),
    ]


def test_blocking_rules_carry_custom_hosts_after_the_catalogue() -> None:
    rules = site_blocking_rules(VERSION)
    assert list(rules)[-1] == "acme-chat"
    assert rules["acme-chat"] == [["cdn.acmechat.test", "t.acmechat.test"]]
    assert "google-analytics" in rules


def test_a_scan_attributes_custom_hosts_and_cookies() -> None:
    classifier = Classifier(
        enabled={vid: e["category"] for vid, e in VERSION.items()},
        site_hosts=frozenset({"shop.example"}),
        service_origin="https://consent.example",
        custom=tuple(custom_vendors(VERSION)),
    )
    assert classifier.request("https://eu.cdn.acmechat.test/w.js") == ("acme-chat", "functionality")
    assert classifier.cookie("acme_s42") == ("acme-chat", "functionality")
    assert classifier.cookie("acme_id") == ("acme-chat", "functionality")
    assert classifier.cookie("acme_idx") == (None, None)
