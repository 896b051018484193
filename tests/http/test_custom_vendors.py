"""Custom vendors (#21 item 3): an owner defines a vendor of their own in the draft; it is
validated (every invalid field named), part of the version and its policy_hash, of the config
and of auto-blocking's rules, declared with the owner's purposes, and gated like any vendor."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.scans.results import scan_results
from consent.sites.versions import policy_hash
from tests.helpers import Visitor
from tests.http.test_embed import _inlined_config
from tests.owners import OwnerApi, mint

#: A vendor of the owner's own: a chat widget on its own hosts, with a first-party cookie.
CHAT: dict[str, Any] = {
    "category": "functionality",
    "settings": {},
    "custom": {
        "name": "Acme Chat",
        "hosts": {
            "script": ["cdn.acmechat.test"],
            "frame": ["widget.acmechat.test"],
            "beacon": [],
        },
        "cookies": [
            {
                "name": "acme_chat_id",
                "pattern": None,
                "purpose": {"en": "Keeps your chat open between pages", "nl": "Houdt je chat open"},
                "duration_days": 30,
            },
            {
                "name": "acme_chat_session",
                "pattern": "acme_chat_s*",
                "purpose": {"en": "Keeps the chat session"},
                "duration_days": "session",
            },
        ],
        "privacy_policy_url": "https://acmechat.test/privacy",
    },
}
#: The owner's own strictly necessary cookie (a shopping cart).
CART: dict[str, Any] = {
    "category": "necessary",
    "custom": {
        "name": "Shop cart",
        "cookies": [{"name": "cart", "purpose": {"en": "Keeps your cart"}, "duration_days": 7}],
    },
}


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def with_vendors(owner: OwnerApi, **vendors: Any) -> dict[str, Any]:
    """The current draft with ``vendors`` added (``acme-chat`` for ``acme_chat``)."""
    draft = owner.draft()
    for name, entry in vendors.items():
        draft["vendors"][name.replace("_", "-")] = copy.deepcopy(entry)
    return draft


def test_a_custom_vendor_is_defined_published_and_in_the_config(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    stored = owner.put_draft(with_vendors(owner, acme_chat=CHAT, cart=CART))
    assert stored["vendors"]["acme-chat"] == CHAT
    # Filled in as stored: every member present.
    assert stored["vendors"]["cart"]["custom"]["hosts"] == {"script": [], "frame": [], "beacon": []}
    assert stored["vendors"]["cart"]["custom"]["cookies"][0]["pattern"] is None
    version = owner.publish()
    assert version["vendors"]["acme-chat"] == CHAT
    config = Visitor(client, site).config()
    assert config["vendors"]["acme-chat"] == {
        "name": "Acme Chat",
        "category": "functionality",
        "settings": {},
        "cookies": ["acme_chat_id", "acme_chat_s*"],
        "kind": "script",
    }
    assert config["vendors"]["cart"]["category"] == "necessary"
    shown = {c["id"]: c["vendors"] for c in config["categories"]}
    assert "acme-chat" in shown["functionality"] and "cart" in shown["necessary"]
    # The embed: the cookies to delete, and auto-blocking's rules with the vendor's hosts.
    embed = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    assert embed["vendors"]["acme-chat"]["cookies"] == ["acme_chat_id", "acme_chat_s*"]
    hosts = embed["block"][0]
    assert hosts["cdn.acmechat.test"] == hosts["widget.acmechat.test"] == "acme-chat"
    assert "cart" not in hosts.values()


def test_the_policy_hash_covers_a_custom_definition_and_nothing_else_changes(
    owner: OwnerApi,
) -> None:
    before = owner.draft()
    plain = policy_hash(before["texts"], before["vendors"], before["privacy_policy_url"])
    shown = {v: {"category": e["category"]} for v, e in before["vendors"].items()}
    # A version without custom vendors hashes exactly as before they existed.
    assert plain == policy_hash(before["texts"], shown, before["privacy_policy_url"])
    hashes = []
    for name in ("Acme Chat", "Acme Chat 2"):
        chat = copy.deepcopy(CHAT)
        chat["custom"]["name"] = name
        owner.put_draft(with_vendors(owner, acme_chat=chat))
        version = owner.publish()
        assert version["policy_hash"] == policy_hash(
            version["texts"],
            version["vendors"],
            version["privacy_policy_url"],
            version["cookie_statement_url"],
            version["theme"],
        )
        hashes.append(version["policy_hash"])
    # Only the vendor's name differs: the hash does too, and the diff says so.
    assert hashes[0] != hashes[1]
    diff = owner.ok("GET", f"/policies/{version['version'] - 1}/diff/{version['version']}")
    change = diff["vendors"]["custom"]["acme-chat"]
    assert (change["from"]["name"], change["to"]["name"]) == ("Acme Chat", "Acme Chat 2")


def test_the_gate_answers_for_a_custom_vendor(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_vendors(owner, acme_chat=CHAT, cart=CART))
    owner.publish()
    visitor = Visitor(client, site)
    decisions = visitor.gate("acme-chat", "cart", "nobody")["decisions"]
    assert decisions["acme-chat"] == {
        "allowed": False,
        "category": "functionality",
        "reason": "no_consent",
    }
    assert decisions["cart"] == {"allowed": True, "category": "necessary", "reason": "necessary"}
    assert decisions["nobody"]["reason"] == "unknown_vendor"
    receipt = visitor.choose("custom", categories={"functionality": True})
    assert receipt["vendors"]["acme-chat"] is True and receipt["vendors"]["cart"] is True
    assert visitor.gate("acme-chat")["decisions"]["acme-chat"]["reason"] == "consented"
    receipt = visitor.choose("reject_all")
    assert receipt["vendors"]["acme-chat"] is False
    decisions = visitor.gate("acme-chat", "cart")["decisions"]
    assert decisions["acme-chat"] == {
        "allowed": False,
        "category": "functionality",
        "reason": "refused",
    }
    assert decisions["cart"]["allowed"] is True


def test_the_declaration_lists_custom_cookies_with_the_owners_words(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_vendors(owner, acme_chat=CHAT, cart=CART))
    owner.publish()
    answer = client.get(f"/api/v1/sites/{site}/declaration?lang=nl").get_json()
    rows = {r["name"]: r for c in answer["categories"].values() for r in c["cookies"]}
    assert rows["acme_chat_id"]["purpose"] == "Houdt je chat open"
    assert rows["acme_chat_id"]["provider"] == "Acme Chat"
    assert rows["acme_chat_id"]["duration_days"] == 30
    # No Dutch purpose: the English one.
    assert rows["acme_chat_session"]["purpose"] == "Keeps the chat session"
    assert rows["acme_chat_session"]["duration_days"] is None
    cart = [r["name"] for r in answer["categories"]["necessary"]["cookies"]]
    assert "cart" in cart


def _bad(entry: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    bad = copy.deepcopy(entry)
    node: Any = bad
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return bad


_DELETE = object()
_P = "vendors.acme-chat"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("custom.hosts.script.0", "https://cdn.acmechat.test", f"{_P}.custom.hosts.script[0]"),
        ("custom.hosts.script.0", "cdn.acmechat.test/x.js", f"{_P}.custom.hosts.script[0]"),
        ("custom.hosts.script.0", "cdn.acmechat.test:8443", f"{_P}.custom.hosts.script[0]"),
        ("custom.hosts.frame.0", "*.acmechat.test", f"{_P}.custom.hosts.frame[0]"),
        ("custom.hosts.frame.0", "10.0.0.1", f"{_P}.custom.hosts.frame[0]"),
        ("custom.hosts.script.0", "www.googletagmanager.com", f"{_P}.custom.hosts.script[0]"),
        ("custom.hosts.script.0", "shop.example", f"{_P}.custom.hosts.script[0]"),
        ("custom.hosts.pixel", [], f"{_P}.custom.hosts.pixel"),
        ("category", "marketing", f"{_P}.category"),
        ("settings", {"id": "1"}, f"{_P}.settings"),
        ("custom.name", _DELETE, f"{_P}.custom.name"),
        ("custom.name", "  ", f"{_P}.custom.name"),
        ("custom.cookies.0.name", "a b", f"{_P}.custom.cookies[0].name"),
        ("custom.cookies.0.name", "a;b", f"{_P}.custom.cookies[0].name"),
        ("custom.cookies.1.pattern", "acme*chat", f"{_P}.custom.cookies[1].pattern"),
        ("custom.cookies.0.purpose", {}, f"{_P}.custom.cookies[0].purpose"),
        ("custom.cookies.0.purpose", {"english": "x"}, f"{_P}.custom.cookies[0].purpose.english"),
        ("custom.cookies.0.purpose", {"es": "Chat"}, f"{_P}.custom.cookies[0].purpose.es"),
        ("custom.cookies.0.purpose", {"en": " "}, f"{_P}.custom.cookies[0].purpose.en"),
        ("custom.cookies.0.duration_days", 0, f"{_P}.custom.cookies[0].duration_days"),
        ("custom.cookies.0.duration_days", 401, f"{_P}.custom.cookies[0].duration_days"),
        ("custom.cookies.0.duration_days", "forever", f"{_P}.custom.cookies[0].duration_days"),
        ("custom.privacy_policy_url", "javascript:alert(1)", f"{_P}.custom.privacy_policy_url"),
        ("custom.colour", "red", f"{_P}.custom.colour"),
        ("colour", "red", f"{_P}.colour"),
        ("custom", "Acme", f"{_P}.custom"),
        ("custom.hosts", ["cdn.acmechat.test"], f"{_P}.custom.hosts"),
        ("custom.cookies", {"name": "x"}, f"{_P}.custom.cookies"),
        ("custom.cookies.0", "acme_chat_id", f"{_P}.custom.cookies[0]"),
    ],
)
def test_an_invalid_definition_is_refused_naming_its_field(
    owner: OwnerApi, path: str, value: Any, field: str
) -> None:
    before = owner.draft()
    response = owner.call("PUT", "/draft", with_vendors(owner, acme_chat=_bad(CHAT, path, value)))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field, error
    assert owner.draft() == before


def test_a_catalogue_id_and_a_bad_id_are_refused(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["vendors"]["hubspot"] = copy.deepcopy(CHAT)
    draft["vendors"]["Acme Chat"] = copy.deepcopy(CHAT)
    draft["vendors"]["unknown"] = {"category": "performance", "settings": {}}
    error = owner.call("PUT", "/draft", draft).get_json()["error"]
    assert [f["field"] for f in error["fields"]] == [
        "vendors.hubspot.custom",
        "vendors.Acme Chat",
        "vendors.unknown",
    ]


def test_every_invalid_field_is_named_at_once(owner: OwnerApi) -> None:
    chat = copy.deepcopy(CHAT)
    chat["category"] = "ads"
    chat["custom"]["hosts"]["script"] = ["ok.acmechat.test", "http://x.test", "y"]
    chat["custom"]["cookies"][0]["duration_days"] = -1
    del chat["custom"]["name"]
    error = owner.call("PUT", "/draft", with_vendors(owner, acme_chat=chat)).get_json()["error"]
    assert [f["field"] for f in error["fields"]] == [
        f"{_P}.category",
        f"{_P}.custom.name",
        f"{_P}.custom.hosts.script[1]",
        f"{_P}.custom.hosts.script[2]",
        f"{_P}.custom.cookies[0].duration_days",
    ]


def test_publish_recalls_what_strictly_necessary_means(owner: OwnerApi) -> None:
    owner.put_draft(with_vendors(owner, cart=CART))
    version = owner.publish()
    assert "strictly necessary" in version["notice"].lower()
    chat_only = with_vendors(owner, acme_chat=CHAT)
    del chat_only["vendors"]["cart"]
    owner.put_draft(chat_only)
    assert "notice" not in owner.publish()


def test_scan_results_name_own_vendors_by_their_version() -> None:
    cookie = {"name": "acme_chat_id", "vendor": "acme-chat", "category": "functionality"}
    request = {"host": "cdn.acmechat.test", "url": "https://cdn.acmechat.test/w.js"}
    request.update(vendor="acme-chat", category="functionality")
    state = {"cookies": [{**cookie, "session": True, "duration_days": None}], "requests": [request]}
    report = {"states": {"none": state}}
    shown = scan_results(report, "Shop", {"acme-chat": CHAT})["states"][0]
    assert shown["cookies"][0]["cookies"][0]["vendor_name"] == "Acme Chat"
    assert shown["requests"][0]["vendor_name"] == "Acme Chat"
    # Without the version (a report older than the vendor): its id.
    assert scan_results(report, "Shop")["states"][0]["requests"][0]["vendor_name"] == "acme-chat"
