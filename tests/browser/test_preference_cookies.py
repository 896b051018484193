"""The preferences show cookies (#21 item 5): under each category its vendors and, behind a
disclosure, their cookies with purpose and duration, from the cookie declaration in the
page's language. The declaration is asked for only once the preferences open; without it
the preferences still work; owner and vendor texts stay text; axe finds nothing.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Service, Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

#: Per category, each disclosure's summary and its cookies' texts (name, purpose, duration).
LISTS = """() => {
  const root = document.querySelector('consent-ledger').shadowRoot;
  return Object.fromEntries([...root.querySelectorAll('.cl-cat')].map(cat => [
    cat.querySelector('[id^=cl-cat-]').id.slice(7, -5),
    [...cat.querySelectorAll('details')].map(d => ({
      summary: d.querySelector('summary').textContent,
      lang: d.lang,
      cookies: [...d.querySelectorAll('dl > div')].map(
        c => [...c.children].map(e => e.textContent)),
    })),
  ]));
}"""


def declaration(service: Service, site: str, lang: str) -> dict[str, Any]:
    """The site's cookie declaration as the API answers it (a server-side call)."""
    url = f"{service.origin}/api/v1/sites/{service.sites[site]}/declaration?lang={lang}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def expected_lists(body: dict[str, Any], names: dict[str | None, str]) -> dict[str, Any]:
    """What the preferences should list: the declaration's rows per vendor (``names``: the
    banner's vendor names; None: the site's own cookies, under their provider)."""
    labels = body["labels"]
    lists: dict[str, Any] = {}
    for category, entry in body["categories"].items():
        groups: dict[str, list[list[str]]] = {}
        for cookie in entry["cookies"]:
            name = names.get(cookie["vendor"]) or cookie["provider"]
            groups.setdefault(name, []).append(
                [
                    cookie["name"],
                    cookie["purpose"],
                    f"{labels['duration']}: {cookie['duration']}",
                ]
            )
        lists[category] = [
            {
                "summary": labels["caption"].replace("{category}", name) + f" ({len(rows)})",
                "lang": body["language"],
                "cookies": rows,
            }
            for name, rows in groups.items()
        ]
    return lists


TAGS_NAMES: dict[str | None, str] = {
    "google-analytics": "Google Analytics",
    "linkedin-insight": "LinkedIn Insight Tag",
    "meta-pixel": "Meta Pixel",
}


def declaration_requests(visit: Visit) -> list[str]:
    return [r.url for r in visit.requests if "/declaration" in r.url]


def open_lists(visit: Visit) -> Any:
    """Open the preferences and wait until the cookie lists are in them."""
    visit.preferences()
    visit.page.locator("[data-consent-banner] details").first.wait_for(state="attached")
    return visit.page.evaluate(LISTS)


@pytest.mark.parametrize(
    ("page", "lang", "summary"),
    [
        ("tags.html", "en", "Cookies: Google Analytics"),
        ("nl.html", "nl", "Cookies: Google Analytics"),
    ],
)
def test_the_preferences_list_each_vendors_cookies_in_the_pages_language(
    visit: Visit, page: str, lang: str, summary: str
) -> None:
    visit.open(page)
    visit.banner().wait_for()
    visit.page.wait_for_load_state("load")
    # Nothing of the declaration before the preferences open: the first layer never asks.
    assert declaration_requests(visit) == []
    lists = open_lists(visit)
    (asked,) = declaration_requests(visit)
    assert asked.endswith(f"/declaration?lang={lang}")
    body = declaration(visit.service, "tags", lang)
    assert body["language"] == lang
    assert lists == expected_lists(body, TAGS_NAMES)
    # Each category with a vendor lists it, its cookies behind a closed disclosure.
    assert [d["summary"].split(" (")[0] for d in lists["performance"]] == [summary]
    assert [d["summary"] for d in lists["targeting"]] == [
        f"Cookies: LinkedIn Insight Tag ({len(lists['targeting'][0]['cookies'])})",
        f"Cookies: Meta Pixel ({len(lists['targeting'][1]['cookies'])})",
    ]
    assert lists["functionality"] == lists["social"] == []
    ga = visit.page.locator("[data-consent-banner] details").nth(1)
    assert ga.locator("summary").inner_text().startswith(summary)
    assert not ga.locator("dt").first.is_visible()
    ga.locator("summary").click()
    assert ga.get_attribute("open") == ""
    first = body["categories"]["performance"]["cookies"][0]
    assert ga.locator("dt").first.inner_text() == first["name"]
    shown = ga.locator("dd").first
    assert shown.is_visible() and shown.inner_text() == first["purpose"]
    duration = "Bewaartermijn" if lang == "nl" else "Duration"
    assert ga.locator("dd").nth(1).inner_text() == f"{duration}: {first['duration']}"
    if lang == "nl":
        assert re.search(r"\d+ (jaar|dagen|maanden)|Sessie", first["duration"])
    assert visit.errors == []


def test_a_disclosure_works_by_keyboard_and_tab_stays_inside(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    visit.choose("reject-all")
    page.locator("[data-consent-open]").focus()
    page.keyboard.press("Enter")
    visit.action("save").wait_for()
    visit.page.locator("[data-consent-banner] details").first.wait_for(state="attached")
    # Tab reaches every disclosure (the site's own cookies' first, before the first switch)
    # and never leaves the open preferences.
    summaries = []
    for _ in range(16):
        page.keyboard.press("Tab")
        summaries.append(
            page.evaluate(
                "() => { const e = document.activeElement.shadowRoot.activeElement;"
                " return e && e.tagName === 'SUMMARY' ? e.textContent : null; }"
            )
        )
    assert {s.split(" (")[0] for s in summaries if s} == {
        "Cookies: tags",
        "Cookies: Google Analytics",
        "Cookies: LinkedIn Insight Tag",
        "Cookies: Meta Pixel",
    }
    meta = page.locator("[data-consent-banner] details").nth(3)
    for _ in range(20):
        if meta.evaluate("d => d.getRootNode().activeElement === d.firstChild"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert meta.get_attribute("open") == ""
    assert meta.locator("dt").first.is_visible()
    # A native disclosure: assistive technology is told its name and whether it is expanded.
    name = meta.locator("summary").inner_text()
    assert summary_state(visit, name) == ("DisclosureTriangle", True)
    page.keyboard.press("Enter")
    assert meta.get_attribute("open") is None
    assert summary_state(visit, name) == ("DisclosureTriangle", False)


def summary_state(visit: Visit, name: str) -> tuple[str, bool]:
    """The role and expanded state Chromium's accessibility tree gives the control ``name``."""
    session = visit.context.new_cdp_session(visit.page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    (node,) = [
        n
        for n in nodes
        if n.get("name", {}).get("value") == name
        and n["role"]["value"] not in ("StaticText", "InlineTextBox")
    ]
    expanded = {p["name"]: p["value"]["value"] for p in node.get("properties", [])}
    return node["role"]["value"], bool(expanded.get("expanded"))


def test_without_the_declaration_the_preferences_still_work(visit: Visit) -> None:
    visit.context.route(
        re.compile(r".*/declaration(\?.*)?$"),
        lambda route: route.fulfill(status=500, content_type="application/json", body="{}"),
    )
    visit.open("tags.html")
    visit.banner().wait_for()
    with visit.page.expect_response(lambda r: "/declaration" in r.url) as answer:
        visit.preferences()
    assert answer.value.status == 500
    visit.page.wait_for_timeout(200)
    # No cookie lists; the switches and the vendors' names are there.
    assert visit.page.locator("[data-consent-banner] details").count() == 0
    banner = visit.banner().inner_text()
    for vendor in TAGS_NAMES.values():
        assert vendor in banner
    visit.switch("performance").check()
    visit.choose("save")
    assert visit.posts()[-1]["categories"]["performance"] is True
    assert visit.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_preferences_with_a_list_open(visit: Visit, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    visit.page.emulate_media(color_scheme=scheme)
    visit.open("tags.html")
    visit.banner().wait_for()
    open_lists(visit)
    ga = visit.page.locator("[data-consent-banner] details").nth(1)
    ga.locator("summary").click()
    ga.locator("dt").first.wait_for()
    # The banner (its shadow root included); the test page around it is no landmark model.
    results = Axe().run(visit.page, context="consent-ledger")
    assert results.violations_count == 0, results.generate_report()
    # It did look at the disclosures and the open list.
    assert {"summary-name", "dlitem"} <= {rule["id"] for rule in results.response["passes"]}


HOSTILE_VENDOR = '<img src="/pwned.png" onerror="window.__xss = 1">Chat'
HOSTILE_PURPOSE = "<script>window.__xss = 2</script><b>bold</b>"


@pytest.fixture(scope="module")
def hostile_site(service: Service) -> Iterator[str]:
    """A site whose own vendor's name and cookie purpose are markup; its page's URL."""
    from consent.extensions import db
    from consent.sites.owner import create_site
    from tests.owners import OwnerApi, mint

    with service.app.app_context():
        site = create_site(
            name="Hostile",
            origins=[service.owner],
            vendors={},
            privacy_url=f"{service.owner}/privacy",
        )
        key = site.site_key
        db.session.commit()
    owner = OwnerApi(service.app.test_client(), key, mint(service.app, key, "owner"))
    draft = owner.draft()
    draft["vendors"] = {
        "chat": {
            "category": "functionality",
            "settings": {},
            "custom": {
                "name": HOSTILE_VENDOR,
                "hosts": {"script": ["chat.example.net"], "frame": [], "beacon": []},
                "cookies": [
                    {"name": "chat_id", "purpose": {"en": HOSTILE_PURPOSE}, "duration_days": 30}
                ],
            },
        }
    }
    owner.put_draft(draft)
    owner.publish()
    yield key


def test_vendor_names_and_purposes_are_text(visit: Visit, hostile_site: str) -> None:
    # The owner's page of the test server, with this site's embed instead.
    page = visit.page
    page.route(
        re.compile(r".*/embed/[A-Za-z0-9]+\.js$"),
        lambda route: route.continue_(
            url=f"{visit.service.origin}/embed/{hostile_site}.js",
        ),
    )
    visit.open("tags.html")
    visit.banner().wait_for()
    lists = open_lists(visit)
    (chat,) = lists["functionality"]
    assert chat["summary"] == f"Cookies: {HOSTILE_VENDOR} (1)"
    assert chat["cookies"] == [["chat_id", HOSTILE_PURPOSE, "Duration: 30 days"]]
    page.locator("[data-consent-banner] details summary").last.click()
    injected = page.evaluate(
        "document.querySelector('consent-ledger').shadowRoot"
        ".querySelectorAll('img, script, b').length"
    )
    assert injected == 0
    assert page.evaluate("window.__xss") is None
    assert not [r for r in visit.requests if "pwned" in r.url]
