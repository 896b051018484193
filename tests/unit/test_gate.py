"""The gate as a pure function: every rule, the precedence, and properties over all inputs."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.core.catalog import CATEGORIES, CONSENT_MODE, VENDORS
from consent.core.gate import REASONS, SitePolicy, TokenChoice, TokenInput, decide

NOW = 1_800_000_000
SITE = SitePolicy(
    site_key="site-a",
    policy_version=3,
    reconsent_version=2,
    choice_lifetime_days=182,
    vendor_categories={
        "google-analytics": "performance",
        "meta-pixel": "targeting",
        "twitter": "social",
        "vimeo": "functionality",
        "stripe": "necessary",
    },
)


def choice(**overrides: object) -> TokenChoice:
    values: dict[str, object] = {
        "site_key": "site-a",
        "policy_version": 3,
        "categories": {c: True for c in CATEGORIES},
        "gpc": False,
        "issued_at": NOW - 60,
    }
    values.update(overrides)
    return TokenChoice(**values)  # type: ignore[arg-type]


def only(*on: str) -> dict[str, bool]:
    return {c: c == "necessary" or c in on for c in CATEGORIES}


@pytest.mark.parametrize(
    ("vendor", "token", "gpc", "allowed", "reason"),
    [
        ("no-such-vendor", choice(), False, False, "unknown_vendor"),
        ("youtube", choice(), False, False, "vendor_disabled"),
        ("stripe", None, False, True, "necessary"),
        ("stripe", False, True, True, "necessary"),
        ("google-analytics", None, False, False, "no_consent"),
        ("google-analytics", False, False, False, "invalid_token"),
        ("google-analytics", choice(site_key="site-b"), False, False, "invalid_token"),
        ("google-analytics", choice(policy_version=9), False, False, "invalid_token"),
        ("google-analytics", choice(issued_at=NOW - 183 * 86400), False, False, "expired"),
        ("google-analytics", choice(issued_at=NOW + 3600), False, False, "expired"),
        ("google-analytics", choice(policy_version=1), False, False, "outdated_policy"),
        ("google-analytics", choice(policy_version=2), False, True, "consented"),
        ("google-analytics", choice(categories=only()), False, False, "refused"),
        ("meta-pixel", choice(), True, False, "gpc"),
        ("twitter", choice(), True, False, "gpc"),
        ("meta-pixel", choice(gpc=True), True, True, "consented"),
        ("google-analytics", choice(), True, True, "consented"),
        ("meta-pixel", choice(categories=only("performance")), True, False, "refused"),
        ("vimeo", choice(categories=only("functionality")), False, True, "consented"),
    ],
)
def test_each_rule(vendor: str, token: object, gpc: bool, allowed: bool, reason: str) -> None:
    decision = decide(SITE, [vendor], token, gpc=gpc, now=NOW).decisions[vendor]  # type: ignore[arg-type]
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_category_is_the_sites_not_the_catalogues() -> None:
    answer = decide(SITE, ["vimeo", "youtube"], choice(), gpc=False, now=NOW)
    assert answer.decisions["vimeo"].category == "functionality"
    assert answer.decisions["youtube"].category == VENDORS["youtube"].category


#: A site whose Tag Manager container serves performance and targeting.
LOADER_SITE = dataclasses.replace(
    SITE,
    vendor_categories={**SITE.vendor_categories, "google-tag-manager": "performance"},
    vendor_serves={"google-tag-manager": ("performance", "targeting")},
)


@pytest.mark.parametrize(
    ("token", "gpc", "allowed", "category", "reason"),
    [
        (None, False, False, "performance", "no_consent"),
        (choice(categories=only("performance")), False, True, "performance", "consented"),
        (choice(categories=only("targeting")), False, True, "targeting", "consented"),
        (choice(categories=only("functionality")), False, False, "performance", "refused"),
        (choice(categories=only()), False, False, "performance", "refused"),
        # GPC refuses targeting; performance alone was refused by the visitor: refused first.
        (choice(categories=only("targeting")), True, False, "performance", "refused"),
        (
            choice(categories=only("performance", "targeting")),
            True,
            True,
            "performance",
            "consented",
        ),
        (choice(categories=only("targeting"), gpc=True), True, True, "targeting", "consented"),
    ],
)
def test_a_loader_is_allowed_when_any_category_it_serves_is(
    token: TokenInput, gpc: bool, allowed: bool, category: str, reason: str
) -> None:
    vendors = ["google-tag-manager", "google-analytics"]
    answer = decide(LOADER_SITE, vendors, token, gpc=gpc, now=NOW)
    decision = answer.decisions["google-tag-manager"]
    assert (decision.allowed, decision.category, decision.reason) == (allowed, category, reason)
    # Nothing else changes: Google Analytics still waits for performance alone.
    alone = decide(SITE, vendors[1:], token, gpc=gpc, now=NOW)
    assert answer.decisions["google-analytics"] == alone.decisions["google-analytics"]


def test_consent_mode_follows_categories() -> None:
    mode = decide(
        SITE, ["google-analytics"], choice(categories=only("performance")), gpc=False, now=NOW
    ).consent_mode
    assert mode == {
        "security_storage": "granted",
        "analytics_storage": "granted",
        "functionality_storage": "denied",
        "personalization_storage": "denied",
        "ad_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
    }


def test_gpc_denies_ad_storage_without_explicit_opt_in() -> None:
    mode = decide(SITE, ["meta-pixel"], choice(), gpc=True, now=NOW).consent_mode
    assert mode["ad_storage"] == "denied"
    assert mode["analytics_storage"] == "granted"


@pytest.mark.parametrize(
    ("token", "show"),
    [
        (None, True),
        (False, True),
        (choice(issued_at=0), True),
        (choice(policy_version=1), True),
        (choice(categories=only()), False),
        (choice(), False),
    ],
)
def test_show_banner(token: object, show: bool) -> None:
    assert decide(SITE, ["meta-pixel"], token, gpc=False, now=NOW).show_banner is show  # type: ignore[arg-type]


tokens = st.one_of(
    st.none(),
    st.just(False),
    st.builds(
        TokenChoice,
        site_key=st.sampled_from(["site-a", "site-b"]),
        policy_version=st.integers(0, 5),
        categories=st.fixed_dictionaries({c: st.booleans() for c in CATEGORIES}),
        gpc=st.booleans(),
        issued_at=st.integers(NOW - 400 * 86400, NOW + 1000),
    ),
)
vendor_lists = st.lists(
    st.sampled_from([*VENDORS, "unknown-thing"]), min_size=1, max_size=12, unique=True
)


@given(vendors=vendor_lists, token=tokens, gpc=st.booleans())
def test_fails_closed(vendors: list[str], token: object, gpc: bool) -> None:
    answer = decide(SITE, vendors, token, gpc=gpc, now=NOW)  # type: ignore[arg-type]
    assert set(answer.decisions) == set(vendors)
    assert answer.consent_mode["security_storage"] == "granted"
    assert set(answer.consent_mode) == set(CONSENT_MODE)
    for vendor, decision in answer.decisions.items():
        assert decision.reason in REASONS
        assert decision.allowed == (decision.reason in ("necessary", "consented"))
        if decision.allowed and decision.reason == "consented":
            # Only a usable token for this site, choosing this vendor's category, allows.
            assert isinstance(token, TokenChoice) and token.site_key == "site-a"
            assert token.categories[SITE.vendor_categories[vendor]]
        if vendor == "stripe":
            assert decision.reason == "necessary"


@given(vendors=vendor_lists, gpc=st.booleans())
def test_withdrawal_denies_all_but_necessary(vendors: list[str], gpc: bool) -> None:
    withdrawn = choice(categories=only())
    for decision in decide(SITE, vendors, withdrawn, gpc=gpc, now=NOW).decisions.values():
        assert decision.allowed is (decision.reason == "necessary")
