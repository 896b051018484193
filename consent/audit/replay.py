"""Replay of the banner exactly as a visitor saw it, next to the choice that was recorded.

The texts come from the policy version the receipt references, in the receipt's
language; everything is handed to the template as plain text (autoescaped, never
marked safe), since owner texts may contain markup that must show as written.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from consent.core.catalog import CATEGORIES, VENDORS
from consent.sites.versions import policy_hash

#: Banner buttons in the order the banner shows them, with the action each records.
BUTTONS = (
    ("accept_all", "accept_all"),
    ("reject_all", "reject_all"),
    ("customize", None),
    ("save", "custom"),
)


def _link(url: str | None) -> str | None:
    """A URL fit for an ``href``: http(s) only; anything else is shown as text alone."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def banner_replay(receipt: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """What the banner showed in the receipt's language, and what was chosen in it."""
    texts = policy["texts"].get(receipt["language"], {})
    signals = receipt["signals"]
    categories = []
    for cat in CATEGORIES:
        shown = texts.get("categories", {}).get(cat, {})
        vendors = [
            {
                "id": vid,
                "name": VENDORS[vid].name if vid in VENDORS else vid,
                "allowed": bool(receipt["vendors"].get(vid, False)),
            }
            for vid, entry in policy["vendors"].items()
            if entry.get("category") == cat
        ]
        categories.append(
            {
                "id": cat,
                "title": shown.get("title", cat),
                "description": shown.get("description", ""),
                "on": bool(receipt["categories"].get(cat, False)),
                "locked": cat == "necessary",
                "vendors": vendors,
            }
        )
    return {
        "language": receipt["language"],
        "title": texts.get("title", ""),
        "description": texts.get("description", ""),
        "signal_notice": texts.get("gpc_notice") if signals["gpc"] or signals["dnt"] else None,
        "buttons": [
            {"key": key, "text": texts.get(key, key), "chosen": action == receipt["action"]}
            for key, action in BUTTONS
        ],
        "categories": categories,
        "privacy_link": {
            "text": texts.get("privacy_link", ""),
            "url": policy["privacy_policy_url"],
            "href": _link(policy["privacy_policy_url"]),
        },
        "cookie_statement": {
            "url": policy.get("cookie_statement_url"),
            "href": _link(policy.get("cookie_statement_url")),
        },
    }


def policy_hash_checks(receipt: dict[str, Any], policy: dict[str, Any]) -> dict[str, bool]:
    """Whether the stored version still hashes to what it says, and the receipt agrees."""
    recomputed = policy_hash(
        policy["texts"],
        policy["vendors"],
        policy["privacy_policy_url"],
        policy.get("cookie_statement_url"),
    )
    return {
        "version_intact": recomputed == policy["policy_hash"],
        "receipt_matches": receipt["policy_hash"] == policy["policy_hash"],
    }
