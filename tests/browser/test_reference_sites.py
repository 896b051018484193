"""The five reference sites (``demo --example NAME``) working end to end at /demo/<site_key>."""

from __future__ import annotations

from typing import Any

import pytest

from consent.demo.examples import SLUGS, examples

from .conftest import Service, Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")


def _load(service: Service, slug: str) -> str:
    from consent.demo.examples import load_example

    with service.app.app_context():
        return load_example(slug, service.origin).site_key


@pytest.mark.parametrize("slug", SLUGS)
def test_reference_site_shows_its_banner_and_records_a_choice(
    visit: Visit, service: Service, slug: str
) -> None:
    example = examples()[slug]
    key = _load(service, slug)
    # The shared stub of connect.facebook.net plays the Meta Pixel; the social SDK is another.
    visit.context.route("https://connect.facebook.net/en_GB/**", _facebook_sdk)
    page = visit.page
    page.goto(f"{service.origin}/demo/{key}", wait_until="domcontentloaded")
    page.evaluate(
        "() => { window.__changes = 0;"
        " window.Consent.on('change', () => { window.__changes += 1; }); }"
    )
    texts = example.revisions[-1].texts[example.language]
    dialog = page.get_by_role("dialog", name=texts["title"])
    dialog.wait_for()
    assert visit.action("reject-all").inner_text() == texts["reject_all"]
    visit.assert_no_trackers()
    visit.choose("accept-all")
    receipt = visit.posts()[-1]
    assert receipt["policy_version"] == len(example.revisions)
    assert page.evaluate("window.__cspViolations") == []
    assert visit.errors == []


def _facebook_sdk(route: Any) -> None:
    route.fulfill(status=200, content_type="text/javascript", body="window.__fbSdk = 1;")


def test_connect_group_gates_the_vimeo_player(visit: Visit, service: Service) -> None:
    key = _load(service, "connect-group")
    page = visit.page
    page.goto(f"{service.origin}/demo/{key}?lang=nl", wait_until="domcontentloaded")
    page.evaluate(
        "() => { window.__changes = 0;"
        " window.Consent.on('change', () => { window.__changes += 1; }); }"
    )
    placeholder = page.locator('[data-consent-action="allow-vendor"][data-consent-vendor="vimeo"]')
    placeholder.wait_for()
    assert visit.hits("player.vimeo.com") == []
    # Dutch page: the Dutch texts of the reference site, its five categories.
    visit.preferences()
    assert page.get_by_text("Deelknoppen en ingesloten berichten", exact=False).is_visible()
    visit.choose("save")  # everything but necessary off
    assert visit.hits("player.vimeo.com") == []
    with page.expect_request(lambda r: "player.vimeo.com" in r.url, timeout=15000):
        placeholder.click()
    assert visit.hits("player.vimeo.com")


def test_custom_connect_honours_do_not_track(browser: object, service: Service) -> None:
    key = _load(service, "custom-connect")
    context = browser.new_context(extra_http_headers={"DNT": "1"})  # type: ignore[attr-defined]
    context.add_init_script("Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})")
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    try:
        page.goto(f"{service.origin}/demo/{key}", wait_until="domcontentloaded")
        banner = page.locator("[data-consent-banner]")
        banner.wait_for()
        assert page.get_by_text("We honour that", exact=False).is_visible()
        page.locator('[data-consent-action="customize"]').click()
        page.locator('[data-consent-action="save"]').wait_for()
        assert not page.locator('input[data-consent-category="targeting"]').is_checked()
        with page.expect_response(lambda r: r.url.endswith("/consents")) as answer:
            page.locator('[data-consent-action="save"]').click()
        receipt = answer.value.json()["receipt"]
        assert receipt["signals"]["dnt"] is True
        assert receipt["categories"]["targeting"] is False
    finally:
        context.close()
