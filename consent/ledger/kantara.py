"""A receipt as a Kantara Initiative Consent Receipt (Specification v1.1.0) document.

Kantara receipts list what was consented to: one service (the site), and one purpose
per category the visitor allowed — ``necessary`` always, as it needs no consent.
A refused category is absent, as the specification has no "denied" purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consent.core.vendors import vendor_name

VERSION = "KI-CR-v1.1.0"

#: Kantara purpose categories (its Appendix) that fit each banner category best.
PURPOSE_CATEGORIES: dict[str, list[str]] = {
    "necessary": ["1 - Core Function"],
    "performance": ["1 - Core Function"],
    "functionality": ["5 - Personalized Experience"],
    "targeting": ["6 - Marketing", "7 - Marketing Third Parties"],
    "social": ["9 - Sharing for Marketing"],
}

#: Cookies and similar identifiers: Kantara's "Network/Service" PII category.
PII_CATEGORY = ["5 - Network/Service"]


def kantara_receipt(
    receipt: dict[str, Any],
    policy: dict[str, Any],
    site_name: str,
    site_url: str,
    choice_lifetime_days: int,
) -> dict[str, Any]:
    """The Kantara v1.1 JSON of one receipt, in the language the visitor saw."""
    texts = policy["texts"].get(receipt["language"]) or next(iter(policy["texts"].values()))
    created = datetime.fromisoformat(receipt["created_at"].replace("Z", "+00:00"))
    purposes = [
        _purpose(cat, texts, policy, receipt, choice_lifetime_days)
        for cat, allowed in receipt["categories"].items()
        if allowed
    ]
    return {
        "version": VERSION,
        # ePrivacy Directive art. 5(3) and GDPR: the EU is where this service's rules come from.
        "jurisdiction": "EU",
        "consentTimestamp": int(created.timestamp()),
        "collectionMethod": f"Cookie consent banner on the website ({receipt['action']})",
        "consentReceiptID": receipt["receipt_id"],
        "language": receipt["language"],
        "piiPrincipalId": receipt["subject_id"],
        "piiControllers": [
            {
                "piiController": site_name,
                "contact": site_name,
                "address": {},
                "email": "",
                "phone": "",
                "piiControllerUrl": site_url,
            }
        ],
        "policyUrl": policy["privacy_policy_url"],
        "services": [{"service": site_name, "purposes": purposes}],
        "sensitive": False,
        "spiCat": [],
    }


def _purpose(
    category: str,
    texts: dict[str, Any],
    policy: dict[str, Any],
    receipt: dict[str, Any],
    lifetime: int,
) -> dict[str, Any]:
    shown = texts.get("categories", {}).get(category, {})
    vendors = [
        vendor_name(policy["vendors"], vid)
        for vid, entry in policy["vendors"].items()
        if entry.get("category") == category and receipt["vendors"].get(vid, False)
    ]
    purpose: dict[str, Any] = {
        "purpose": shown.get("description") or shown.get("title") or category,
        "purposeCategory": PURPOSE_CATEGORIES[category],
        "consentType": "NOT REQUIRED" if category == "necessary" else "EXPLICIT",
        "piiCategory": PII_CATEGORY,
        "primaryPurpose": category == "necessary",
        "termination": f"{lifetime} days after the choice, or when the visitor withdraws",
        "thirdPartyDisclosure": bool(vendors),
    }
    if vendors:
        purpose["thirdPartyName"] = ", ".join(vendors)
    return purpose
