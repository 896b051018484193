"""What loads, and when: managed vendors, owner's blocked tags, placeholders, Consent Mode."""

from __future__ import annotations

import pytest

from .conftest import TRACKERS_RAN, Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

NAVIGATOR = "Object.defineProperty(Navigator.prototype"
TRACKER_COOKIES_SET = "() => document.cookie.includes('_fbp') && document.cookie.includes('_ga=')"
GA_SCRIPT = "https://www.googletagmanager.com/gtag/js?id=G-ABC123"
DEFAULT_MODE = {
    "ad_storage": "denied",
    "analytics_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "functionality_storage": "denied",
    "personalization_storage": "denied",
    "security_storage": "granted",
    "wait_for_update": 500,
}


def test_trackers_load_only_after_accept(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    # All the loader does on page load is over once the network has been idle for a while.
    page.wait_for_load_state("networkidle")
    visit.assert_no_trackers()
    # Without a token the gate allows strictly necessary vendors only, and this site has
    # none: there is nothing to ask it yet (the embeds page asks it for Stripe).
    assert [r.url for r in visit.requests if "/gate?" in r.url] == []
    visit.choose("accept-all")
    page.wait_for_function(TRACKERS_RAN)
    assert visit.hits("www.googletagmanager.com") == [GA_SCRIPT]
    assert visit.hits("snap.licdn.com") == [
        "https://snap.licdn.com/li.lms-analytics/insight.min.js"
    ]
    assert visit.hits("connect.facebook.net") == ["https://connect.facebook.net/en_US/fbevents.js"]
    assert page.evaluate("window.__linkedinIds") == ["123"]
    queue = page.evaluate("window.__fbqQueue")
    assert queue.index(["consent", "grant"]) < queue.index(["init", "456"])


def test_reject_loads_no_vendor(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.choose("reject-all")
    visit.assert_no_trackers()
    assert page.evaluate("typeof window.fbq") == "undefined"
    visit.open("tags.html")  # and not on the next page either
    visit.wait_for_gate()
    assert visit.banner().count() == 0
    visit.assert_no_trackers()


def test_consent_mode_default_comes_before_any_google_tag(visit: Visit) -> None:
    page = visit.open("tags.html")
    assert page.evaluate("Array.from(window.dataLayer[0])") == ["consent", "default", DEFAULT_MODE]
    visit.choose("accept-all")
    page.wait_for_function("() => window.__gaLoaded === 1")
    # What gtag.js found in dataLayer when its request had been answered.
    seen = page.evaluate("window.__gaDataLayer")
    assert seen[0] == ["consent", "default", DEFAULT_MODE]
    commands = [entry[:2] for entry in seen]
    update = commands.index(["consent", "update"])
    assert seen[update][2]["analytics_storage"] == "granted"
    assert seen[update][2]["ad_storage"] == "granted"
    assert update < commands.index(["config", "G-ABC123"])


def test_returning_visitor_gets_no_banner_and_ga_loads(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.call("Consent.save({performance: true})")
    token = visit.cookies()["consent_token"]
    visit.requests.clear()
    visit.open("tags.html")
    page.wait_for_function("() => window.__gaLoaded === 1")
    assert visit.banner().count() == 0
    gate = [r.url for r in visit.requests if "/gate?" in r.url]
    assert len(gate) == 1 and f"token={token}" in gate[0]
    assert visit.hits("snap.licdn.com") == visit.hits("connect.facebook.net") == []
    assert visit.call("Consent.get()")["performance"] is True
    updates = page.evaluate(
        "Array.from(window.dataLayer, a => Array.from(a)).filter(a => a[1] === 'update')"
    )
    assert updates[-1][2]["analytics_storage"] == "granted"


def test_outdated_policy_asks_again_and_loads_nothing_meanwhile(visit: Visit) -> None:
    page = visit.open("reconsent.html")
    visit.choose("accept-all")
    page.wait_for_function("() => window.__gaLoaded === 1")
    assert visit.posts()[0]["policy_version"] == 1
    visit.service.publish("reconsent", requires_reconsent=True)
    visit.requests.clear()
    visit.open("reconsent.html")
    visit.banner().wait_for()
    assert visit.hits("www.googletagmanager.com") == []
    assert visit.call("Consent.get()") is None
    visit.choose("accept-all")
    assert visit.posts()[0]["policy_version"] == 2
    page.wait_for_function("() => window.__gaLoaded === 1")


def test_withdraw_deletes_vendor_cookies_and_revokes(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.context.add_cookies([{"name": "keep", "value": "1", "url": visit.service.owner}])
    visit.choose("accept-all")
    page.wait_for_function(TRACKER_COOKIES_SET)
    before = visit.cookies()
    assert {"_ga", "_ga_ABC123", "_gid", "_fbp", "li_fat_id"} <= set(before)
    visit.call("Consent.withdraw()")
    after = visit.cookies()
    assert set(after) == {"keep", "consent_token"}
    assert after["consent_token"] != before["consent_token"]
    assert ["consent", "revoke"] in page.evaluate("window.__fbqCalls")
    updates = page.evaluate(
        "Array.from(window.dataLayer, a => Array.from(a)).filter(a => a[1] === 'update')"
    )
    assert updates[-1][2]["analytics_storage"] == "denied"
    assert updates[-1][2]["ad_storage"] == "denied"
    assert [p["action"] for p in visit.posts()] == ["accept_all", "withdraw"]
    history = visit.service.me("tags", after["consent_token"])
    assert [r["action"] for r in history["items"]] == ["accept_all", "withdraw"]
    visit.requests.clear()
    visit.open("tags.html")
    visit.wait_for_gate()
    visit.assert_no_trackers()
    assert visit.banner().count() == 0


def test_turning_a_category_off_deletes_only_its_cookies(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.choose("accept-all")
    page.wait_for_function(TRACKER_COOKIES_SET)
    visit.call("Consent.save({performance: true})")
    cookies = set(visit.cookies())
    assert {"_ga", "_ga_ABC123", "_gid"} <= cookies
    assert not {"_fbp", "li_fat_id"} & cookies
    assert ["consent", "revoke"] in page.evaluate("window.__fbqCalls")
    assert visit.posts()[-1]["categories"]["targeting"] is False
    # Turning it back on grants again; the pixel is not loaded twice.
    visit.call("Consent.acceptAll()")
    assert page.evaluate("window.__fbqCalls")[-1] == ["consent", "grant"]
    assert len(visit.hits("connect.facebook.net")) == 1


def test_withdraw_clears_cookies_on_parent_domains(visit: Visit) -> None:
    url = visit.service.page_url("tags.html", host="www.shop.localhost")
    visit.context.add_cookies(
        [
            {"name": "_ga", "value": "1", "domain": ".shop.localhost", "path": "/"},
            {"name": "_ga_XYZ", "value": "1", "domain": ".www.shop.localhost", "path": "/"},
            {"name": "_fbp", "value": "1", "url": url},
            {"name": "keep", "value": "1", "domain": ".shop.localhost", "path": "/"},
        ]
    )
    visit.open("tags.html", host="www.shop.localhost")
    visit.banner().wait_for()
    assert {"_ga", "_ga_XYZ", "_fbp", "keep"} <= set(visit.cookies())
    visit.call("Consent.withdraw()")
    assert set(visit.cookies()) == {"keep", "consent_token"}


def test_placeholder_button_loads_the_vimeo_iframe(visit: Visit) -> None:
    page = visit.open("embeds.html")
    visit.banner().wait_for()
    # The button says what it turns on (issue 19 item 15).
    button = page.get_by_role("button", name="Allow “Targeting and advertising” and load")
    button.wait_for()
    assert page.get_by_text("This content from Vimeo is blocked until you allow it.").is_visible()
    frame = page.locator("iframe[data-consent-vendor=vimeo]")
    assert frame.get_attribute("src") is None
    assert not frame.is_visible()
    assert visit.hits("player.vimeo.com") == []
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        button.click()
    visit.settle()
    (body,) = visit.posts()
    assert body["action"] == "custom"
    assert body["categories"] == {
        "necessary": True,
        "performance": False,
        "functionality": False,
        "targeting": True,
        "social": False,
    }
    # Performance is not granted, so Vimeo is asked not to track.
    # (The frame's src is set once the gate answers, which may come after the change event.)
    page.wait_for_selector("iframe[data-consent-vendor=vimeo][src]", state="attached")
    assert frame.get_attribute("src") == "https://player.vimeo.com/video/1?dnt=1"
    frame.wait_for()
    assert page.locator('[data-consent-action="allow-vendor"]').count() == 0
    page.frame_locator("iframe[data-consent-vendor=vimeo]").get_by_text("vimeo player").wait_for()
    assert visit.hits("player.vimeo.com") == ["https://player.vimeo.com/video/1?dnt=1"]


def test_blocked_tags_follow_the_gate(visit: Visit) -> None:
    page = visit.open("embeds.html")
    visit.banner().wait_for()
    # Strictly necessary vendors load without a choice: the gate answers `necessary`.
    page.wait_for_function("() => (window.__loaded || []).includes('js.stripe.com')")
    assert visit.hits("js.hs-scripts.com") == []
    assert page.evaluate("window.__inlineHubspot") is None
    visit.choose("accept-all")
    page.wait_for_function("() => window.__hubspotLoaded === 1 && window.__inlineHubspot === true")
    assert visit.hits("js.hs-scripts.com") == ["https://js.hs-scripts.com/1.js"]
    # A tag for a vendor the site does not enable stays blocked, with a warning.
    assert visit.hits("platform.twitter.com") == []
    assert page.locator('script[type="text/plain"][data-consent-vendor=twitter]').count() == 1
    assert any("twitter" in line for line in visit.console if line.startswith("warning"))


def test_withdraw_tells_hubspot(visit: Visit) -> None:
    page = visit.open("embeds.html")
    visit.choose("accept-all")
    page.wait_for_function("() => document.cookie.includes('hubspotutk')")
    visit.call("Consent.withdraw()")
    assert page.evaluate("window._hsp") == [["revokeCookieConsent"]]
    assert not {"hubspotutk", "__hstc"} & set(visit.cookies())


@pytest.mark.parametrize(
    ("signal", "script", "header"),
    [
        ("gpc", f"{NAVIGATOR}, 'globalPrivacyControl', {{get: () => true}})", "Sec-GPC"),
        ("dnt", f"{NAVIGATOR}, 'doNotTrack', {{get: () => '1'}})", "DNT"),
    ],
    ids=["gpc", "dnt"],
)
def test_privacy_signal_starts_targeting_off_with_notice(
    visit: Visit, signal: str, script: str, header: str
) -> None:
    # A browser that sends the signal sends its header too (the embed then carries the notice).
    visit.context.add_init_script(script)
    visit.context.set_extra_http_headers({header: "1"})
    page = visit.open("tags.html")
    visit.banner().wait_for()
    notice = page.locator("[data-consent-banner] .cl-notice")
    assert notice.inner_text().startswith("Your browser sent a privacy signal")
    visit.preferences()
    assert not visit.switch("targeting").is_checked()
    visit.switch("performance").check()
    visit.choose("save")
    (body,) = visit.posts()
    assert body["signals"] == {"gpc": signal == "gpc", "dnt": signal == "dnt"}
    assert body["categories"]["targeting"] is False
    page.wait_for_function("() => window.__gaLoaded === 1")
    assert visit.hits("snap.licdn.com") == visit.hits("connect.facebook.net") == []


def test_a_signal_without_its_header_shows_no_empty_notice(visit: Visit) -> None:
    # navigator says GPC, the requests did not (an extension's half-set signal): the embed
    # carries no notice text, and the banner shows none rather than an empty box.
    visit.context.add_init_script(f"{NAVIGATOR}, 'globalPrivacyControl', {{get: () => true}})")
    page = visit.open("tags.html")
    visit.banner().wait_for()
    assert page.locator("[data-consent-banner] .cl-notice").count() == 0
    visit.preferences()
    assert not visit.switch("targeting").is_checked()


def test_a_frame_of_a_vendor_not_enabled_says_so(visit: Visit) -> None:
    # Not an empty box: a placeholder that names the vendor and offers nothing to allow.
    page = visit.open("embeds.html")
    visit.banner().wait_for()
    page.get_by_text("youtube is not enabled on this site").wait_for()
    frame = page.locator("iframe[data-consent-vendor=youtube]")
    assert not frame.is_visible() and frame.get_attribute("src") is None
    visit.choose("accept-all")
    assert not frame.is_visible() and visit.hits("www.youtube.com") == []
    assert page.get_by_text("youtube is not enabled on this site").is_visible()
