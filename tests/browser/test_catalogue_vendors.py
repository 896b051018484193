"""The catalogue's newer vendors (#21 item 4), gated in Chromium: each vendor's own snippet,
pasted unmodified, waits until its category is allowed, then its loader runs (its real
loader host intercepted); Google Ads under Consent Mode as Google Analytics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from consent.core.catalog import CATEGORIES, VENDORS

from . import catalogue_pages as cp
from .conftest import Service, Visit, _Server

pytestmark = pytest.mark.xdist_group("browser")

PLACEHOLDER = "consent-ledger-placeholder"


@dataclass
class Owner:
    """The owner's server of the vendors' pages, and each vendor's site key."""

    origin: str
    keys: dict[str, str]


@pytest.fixture(scope="module")
def owner(service: Service) -> Iterator[Owner]:
    """One site per vendor (that vendor alone, in its catalogue category, auto-blocking on)."""
    from consent.extensions import db
    from consent.sites.owner import create_site

    server = _Server()
    keys: dict[str, str] = {}
    with service.app.app_context():
        for vendor, snippet in cp.SNIPPETS.items():
            site = create_site(
                name=f"catalogue {vendor}",
                origins=[server.origin],
                vendors={
                    vendor: {
                        "category": VENDORS[vendor].category,
                        "settings": snippet.settings or {},
                    }
                },
                language="en",
                privacy_url=f"{server.origin}/privacy",
            )
            assert site.auto_block
            keys[vendor] = site.site_key
        db.session.commit()
    server.start(cp.owner_app(service.origin, keys))
    yield Owner(server.origin, keys)
    server.stop()


#: Vendors as their owner configured them: Tag Manager serving two categories, and a
#: self-hosted Matomo's Tag Manager container, known by its host alone.
CONFIGURED = {
    "google-tag-manager": cp.Snippet(
        cp.GTM, "www.googletagmanager.com/gtm.js", {"serves": ["performance", "targeting"]}
    ),
    "matomo": cp.Snippet(
        cp.MATOMO_TAG_MANAGER,
        f"{cp.MATOMO_HOST}/js/container_abc123.js",
        {"host": cp.MATOMO_HOST},
    ),
}


@pytest.fixture(scope="module")
def configured(service: Service) -> Iterator[Owner]:
    """One site per configured vendor (in its catalogue category, auto-blocking on)."""
    from consent.extensions import db
    from consent.sites.owner import create_site

    server = _Server()
    keys: dict[str, str] = {}
    with service.app.app_context():
        for vendor, snippet in CONFIGURED.items():
            site = create_site(
                name=f"configured {vendor}",
                origins=[server.origin],
                vendors={
                    vendor: {"category": VENDORS[vendor].category, "settings": snippet.settings}
                },
                language="en",
                privacy_url=f"{server.origin}/privacy",
            )
            keys[vendor] = site.site_key
        db.session.commit()
    server.start(cp.owner_app(service.origin, keys, CONFIGURED))
    yield Owner(server.origin, keys)
    server.stop()


def _open(visit: Visit, owner: Owner, vendor: str) -> Any:
    visit.context.route(cp.ROUTE, cp.answer)
    page = visit.page
    page.goto(f"{owner.origin}/{vendor}.html", wait_until="domcontentloaded")
    visit.banner().wait_for()
    page.wait_for_load_state("networkidle")
    return page


def _vendor_requests(visit: Visit, since: int = 0) -> list[str]:
    return [cp.ran(r.url) for r in visit.requests[since:] if cp.ROUTE.match(r.url) is not None]


def _save(visit: Visit, categories: dict[str, bool]) -> None:
    with visit.page.expect_response(lambda r: r.url.endswith("/consents")) as answer:
        visit.call(
            f"Consent.save({categories!r})".replace("True", "true").replace("False", "false")
        )
    assert answer.value.status == 201
    visit.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("vendor", list(cp.SNIPPETS))
def test_each_new_vendor_waits_for_its_category(visit: Visit, owner: Owner, vendor: str) -> None:
    snippet = cp.SNIPPETS[vendor]
    category = VENDORS[vendor].category
    page = _open(visit, owner, vendor)
    # Before a choice nothing of the vendor runs or shows, and nothing is asked of its hosts
    # but what its HTML names (Chromium's preload scanner, the parser's frames).
    assert page.evaluate("window.__ran || []") == []
    assert set(_vendor_requests(visit)) <= cp.written(vendor)
    if snippet.frame:
        assert page.locator(PLACEHOLDER).count() == 1
        assert not page.locator("iframe").first.is_visible()
    # Every other category allowed: still held back.
    others = {c: c != category for c in CATEGORIES[1:]}
    since = len(visit.requests)
    _save(visit, others)
    assert page.evaluate("window.__ran || []") == []
    assert set(_vendor_requests(visit, since)) <= cp.written(vendor)
    # Its own category allowed: its loader runs (or its frame gets its URL back), once.
    since = len(visit.requests)
    if snippet.frame:
        with page.expect_request(lambda r: r.url == snippet.frame, timeout=15000):
            _save(visit, {category: True})
        page.locator("iframe").first.wait_for()
        assert page.locator(PLACEHOLDER).count() == 0
    else:
        _save(visit, {category: True})
        page.wait_for_function("r => (window.__ran || []).includes(r)", arg=snippet.runs)
        assert page.evaluate("window.__ran") == [snippet.runs]
        if snippet.runs not in cp.written(vendor):
            assert snippet.runs in _vendor_requests(visit, since)
    assert visit.errors == []


def test_google_ads_runs_under_consent_mode(visit: Visit, owner: Owner) -> None:
    page = _open(visit, owner, "google-ads")
    layer = page.evaluate("Array.from(window.dataLayer, a => Array.from(a))")
    assert layer[0][:2] == ["consent", "default"]
    assert layer[0][2]["ad_storage"] == "denied"
    # Held back: its inline config has not run.
    assert [a for a in layer if a[0] == "config"] == []
    _save(visit, {"targeting": True})
    page.wait_for_function("() => window.__dataLayerSeen !== undefined")
    seen = page.evaluate("window.__dataLayerSeen")
    # What gtag.js found: the default first, then the update granting advertising (not
    # analytics), before Google Ads' config.
    assert seen[0][:2] == ["consent", "default"]
    commands = [entry[:2] for entry in seen]
    config = commands.index(["config", "AW-123456789"])
    updates = [e[2] for e in seen[:config] if e[:2] == ["consent", "update"]]
    assert updates and updates[-1]["ad_storage"] == updates[-1]["ad_user_data"] == "granted"
    assert updates[-1]["analytics_storage"] == "denied"
    assert visit.errors == []


GTM_JS = "www.googletagmanager.com/gtm.js"


def test_tag_manager_loads_when_one_category_it_serves_is_allowed(
    visit: Visit, configured: Owner
) -> None:
    page = _open(visit, configured, "google-tag-manager")
    assert page.evaluate("window.__ran || []") == []
    # Neither of the two it serves: held back.
    _save(visit, {"functionality": True, "social": True})
    assert page.evaluate("window.__ran || []") == []
    assert GTM_JS not in _vendor_requests(visit)
    # Targeting alone (not its own category, performance): its container serves it, so it loads.
    since = len(visit.requests)
    _save(visit, {"targeting": True})
    page.wait_for_function("r => (window.__ran || []).includes(r)", arg=GTM_JS)
    assert page.evaluate("window.__ran") == [GTM_JS]
    assert _vendor_requests(visit, since) == [GTM_JS]
    assert visit.errors == []


def test_tag_manager_is_listed_under_every_category_it_serves(
    visit: Visit, configured: Owner
) -> None:
    # The gate loads it when either category is allowed: the preferences say so under both.
    _open(visit, configured, "google-tag-manager")
    visit.preferences()
    listed = {
        category: visit.banner().locator(f"#cl-cat-{category}-desc").inner_text()
        for category in CATEGORIES[1:]
    }
    assert [c for c, text in listed.items() if "Google Tag Manager" in text] == [
        "performance",
        "targeting",
    ]
    # A category with nothing in it stays a description only; both it serves are switches.
    assert visit.switch("targeting").count() == visit.switch("performance").count() == 1
    assert visit.switch("social").count() == 0
    assert visit.errors == []


def test_tag_manager_stays_held_back_after_reject_all(visit: Visit, configured: Owner) -> None:
    page = _open(visit, configured, "google-tag-manager")
    with page.expect_response(lambda r: r.url.endswith("/consents")) as answer:
        visit.action("reject-all").click()
    assert answer.value.status == 201
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__ran || []") == []
    assert _vendor_requests(visit) == []
    assert visit.errors == []


def test_a_self_hosted_matomo_is_held_back_by_its_host(visit: Visit, configured: Owner) -> None:
    runs = CONFIGURED["matomo"].runs
    page = _open(visit, configured, "matomo")
    assert page.evaluate("window.__ran || []") == []
    assert _vendor_requests(visit) == []
    _save(visit, {c: c != "performance" for c in CATEGORIES[1:]})
    assert page.evaluate("window.__ran || []") == []
    assert _vendor_requests(visit) == []
    _save(visit, {"performance": True})
    page.wait_for_function("r => (window.__ran || []).includes(r)", arg=runs)
    assert _vendor_requests(visit) == [runs]
    assert visit.errors == []
