"""Recording a choice: the POST, the token cookie, retries, and a service that is down."""

from __future__ import annotations

import time

import pytest

from .conftest import Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

LIFETIME = 182 * 86400


def test_choice_is_recorded_with_the_shown_policy(visit: Visit) -> None:
    page = visit.open("tags.html?utm_source=mail&email=a@b.example#top")
    config = page.evaluate(
        "fetch(document.querySelector('script[src*=\"/embed/\"]').src.replace(/embed\\/(.*)\\.js$/,"
        " 'api/v1/sites/$1/config')).then(r => r.json())"
    )
    visit.choose("accept-all")
    (body,) = visit.posts()
    assert body == {
        "action": "accept_all",
        "policy_version": config["policy_version"],
        "policy_hash": config["policy_hash"],
        "language": "en",
        "page_url": visit.service.page_url("tags.html"),
        "signals": {"gpc": False, "dnt": False},
        # The build of the code that ran: the receipt names it.
        "build": config["build"],
    }
    (cookie,) = [c for c in visit.context.cookies() if c["name"] == "consent_token"]
    assert cookie["path"] == "/"
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # http page; Secure on https
    assert cookie["domain"] == "127.0.0.1"
    assert abs(cookie["expires"] - (time.time() + LIFETIME)) < 600
    (receipt,) = visit.service.me("tags", cookie["value"])["items"]
    assert receipt["action"] == "accept_all"
    assert receipt["banner_build"] == config["build"]
    assert receipt["context"]["page_url"] == visit.service.page_url("tags.html")


def test_next_choice_carries_the_previous_token(visit: Visit) -> None:
    visit.open("tags.html")
    visit.choose("reject-all")
    first = visit.cookies()["consent_token"]
    changes = visit.call(
        "new Promise(resolve => { Consent.on('change', resolve); Consent.save({social: true}); })"
    )
    assert changes == {
        "necessary": True,
        "performance": False,
        "functionality": False,
        "targeting": False,
        "social": True,
    }
    assert visit.posts()[-1]["token"] == first
    history = visit.service.me("tags", visit.cookies()["consent_token"])["items"]
    assert [r["action"] for r in history] == ["reject_all", "custom"]
    assert history[0]["subject_id"] == history[1]["subject_id"]


@pytest.mark.parametrize("failure", ["unreachable", "error 503"])
def test_service_down_keeps_page_usable_and_loads_nothing(visit: Visit, failure: str) -> None:
    def down(route):  # type: ignore[no-untyped-def]
        if failure == "unreachable":
            route.abort("connectionrefused")
        else:
            route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "down"}})

    visit.context.route("**/api/v1/**", down)
    page = visit.open("tags.html")
    visit.banner().wait_for()
    page.evaluate("() => { window.__pending = Consent.acceptAll(); }")
    visit.banner().wait_for(state="hidden")
    # The page works while the loader retries in the background.
    page.fill("#q", "shoes")
    page.click("#go")
    assert page.inner_text("#out") == "clicked shoes"
    # Retries are bounded: the promise settles with no choice once they are spent.
    assert page.evaluate("() => window.__pending") is None
    assert len(visit.posts()) == 3
    assert visit.call("Consent.get()") is None
    assert "consent_token" not in visit.cookies()
    visit.assert_no_trackers()
    assert visit.errors == []


def test_loader_unreachable_keeps_page_usable(visit: Visit) -> None:
    visit.context.route("**/embed/**", lambda route: route.abort("connectionrefused"))
    page = visit.open("tags.html")
    page.fill("#q", "hats")
    page.click("#go")
    assert page.inner_text("#out") == "clicked hats"
    assert page.evaluate("typeof window.Consent") == "undefined"
    visit.assert_no_trackers()


def test_unknown_site_key_does_nothing(visit: Visit) -> None:
    page = visit.open("unknown-site.html")
    page.fill("#q", "socks")
    page.click("#go")
    assert page.inner_text("#out") == "clicked socks"
    assert page.evaluate("typeof window.Consent") == "undefined"
    assert page.locator("[data-consent-banner]").count() == 0
    assert visit.errors == []
    assert page.evaluate("window.__cspViolations") == []


def test_rejected_post_is_not_retried(visit: Visit) -> None:
    visit.context.route(
        "**/consents",
        lambda route: route.fulfill(
            status=422,
            json={"error": {"code": "invalid_field", "message": "x", "field": "policy_hash"}},
            headers={"Access-Control-Allow-Origin": visit.service.owner},
        ),
    )
    visit.open("tags.html")
    assert visit.call("Consent.acceptAll()") is None
    assert len(visit.posts()) == 1
    visit.assert_no_trackers()
