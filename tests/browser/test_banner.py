"""The banner as a visitor meets it: layers, keyboard, focus, language, owner texts."""

from __future__ import annotations

from typing import Any

import pytest

from . import pages
from .conftest import Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

CATEGORIES = ("necessary", "performance", "functionality", "targeting", "social")

#: The banner's element that has focus (inside its shadow root), described for asserts.
FOCUSED = """() => {
  const host = document.activeElement;
  const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : null;
  if (!inner) return {host: host ? host.tagName.toLowerCase() : null};
  return {
    host: host.tagName.toLowerCase(),
    banner: inner.hasAttribute('data-consent-banner'),
    action: inner.getAttribute('data-consent-action'),
    category: inner.getAttribute('data-consent-category'),
  };
}"""


def focused(visit: Visit) -> dict[str, Any]:
    """What has keyboard focus, seen through the banner's shadow root."""
    return visit.page.evaluate(FOCUSED)


def tab_to(visit: Visit, key: str, value: str) -> None:
    """Press Tab until the focused banner element's ``key`` is ``value``."""
    for _ in range(20):
        if focused(visit).get(key) == value:
            return
        visit.page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {key}={value}: {focused(visit)}")


def test_first_layer_shows_equal_accept_and_reject(visit: Visit) -> None:
    page = visit.open("tags.html")
    dialog = page.get_by_role("dialog", name="Your privacy choices")
    dialog.wait_for()
    assert dialog.get_attribute("data-consent-banner") == ""
    accept, reject = visit.action("accept-all"), visit.action("reject-all")
    for button in (accept, reject, visit.action("customize")):
        assert button.is_visible()
    assert not visit.action("save").is_visible()
    assert not visit.switch("performance").is_visible()
    # Reject is exactly as prominent as Accept: same look, same size, same row.
    style = (
        "e => { const s = getComputedStyle(e);"
        " return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderTopWidth]; }"
    )
    assert accept.evaluate(style) == reject.evaluate(style)
    a, r = accept.bounding_box(), reject.bounding_box()
    assert a["y"] == r["y"]
    assert (round(a["width"]), round(a["height"])) == (round(r["width"]), round(r["height"]))
    privacy = page.get_by_role("link", name="Privacy policy")
    assert privacy.get_attribute("href") == f"{visit.service.owner}/privacy"
    assert visit.posts() == []
    visit.assert_no_trackers()


def test_banner_is_styled_from_its_one_request(visit: Visit) -> None:
    visit.open("tags.html")
    visit.banner().wait_for()
    # The stylesheet travels in the script (a constructable stylesheet): no second request.
    assert visit.banner().evaluate("e => getComputedStyle(e).position") == "fixed"
    assert [r.url for r in visit.requests if "/embed/" in r.url] == [
        f"{visit.service.origin}/embed/{visit.service.sites['tags']}.js"
    ]
    # The second layer is built when first opened.
    assert visit.page.locator("input[data-consent-category]").count() == 0
    visit.preferences()
    # Strictly necessary and the categories with a vendor (performance, targeting here).
    assert visit.page.locator("input[data-consent-category]").count() == 3


def test_second_layer_lists_categories_and_vendors(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.preferences()
    for category in ("necessary", "performance", "targeting"):
        expect_checked = category == "necessary"
        switch = visit.switch(category)
        assert switch.is_visible()
        assert switch.is_checked() is expect_checked
        assert switch.get_attribute("role") == "switch"
    # A category without a vendor has nothing to consent to: described, with no switch
    # (issue 19, item 12).
    for category, title in (("functionality", "Functionality"), ("social", "Social media")):
        assert visit.page.locator(f'input[data-consent-category="{category}"]').count() == 0
        assert title in visit.banner().inner_text()
    assert visit.switch("necessary").is_disabled()
    assert page.get_by_role("switch", name="Performance").is_visible()
    banner_text = visit.banner().inner_text()
    for vendor in ("Google Analytics", "LinkedIn Insight Tag", "Meta Pixel"):
        assert vendor in banner_text
    assert visit.action("save").is_visible()
    assert not visit.action("customize").is_visible()


@pytest.mark.parametrize(
    ("button", "action"), [("reject-all", "reject_all"), ("accept-all", "accept_all")]
)
def test_keyboard_alone_records_a_choice(visit: Visit, button: str, action: str) -> None:
    visit.open("tags.html")
    visit.banner().wait_for()
    visit.page.wait_for_function(
        "() => document.activeElement && document.activeElement.tagName === 'CONSENT-LEDGER'"
    )
    assert focused(visit)["banner"] is True
    tab_to(visit, "action", button)
    with visit.page.expect_response(lambda r: r.url.endswith("/consents")):
        visit.page.keyboard.press("Enter")
    visit.settle()
    assert [p["action"] for p in visit.posts()] == [action]
    assert not visit.banner().is_visible()


def test_keyboard_customize_and_save(visit: Visit) -> None:
    visit.open("tags.html")
    visit.banner().wait_for()
    tab_to(visit, "action", "customize")
    visit.page.keyboard.press("Enter")
    visit.action("save").wait_for()
    assert focused(visit)["category"] == "performance"
    visit.page.keyboard.press("Space")
    tab_to(visit, "action", "save")
    with visit.page.expect_response(lambda r: r.url.endswith("/consents")):
        visit.page.keyboard.press("Enter")
    visit.settle()
    (body,) = visit.posts()
    assert body["action"] == "custom"
    assert body["categories"] == {c: c in ("necessary", "performance") for c in CATEGORIES}
    assert visit.call("Consent.get()") == body["categories"]


def test_escape_is_not_consent(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    tab_to(visit, "action", "customize")
    page.keyboard.press("Enter")
    visit.action("save").wait_for()
    page.keyboard.press("Escape")  # back to the first layer
    assert visit.banner().is_visible()
    assert not visit.switch("performance").is_visible()
    page.keyboard.press("Escape")  # closes, records nothing
    visit.banner().wait_for(state="hidden")
    assert visit.posts() == []
    assert visit.call("Consent.get()") is None
    assert "consent_token" not in visit.cookies()
    visit.assert_no_trackers()
    visit.open("tags.html")
    visit.banner().wait_for()  # asked again on the next page


def test_reopen_shows_current_choice_and_restores_focus(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    visit.call("Consent.save({performance: true})")
    visit.banner().wait_for(state="hidden")
    opener = page.locator("[data-consent-open]")
    opener.focus()
    page.keyboard.press("Enter")
    visit.banner().wait_for()
    assert visit.switch("performance").is_checked()
    assert not visit.switch("targeting").is_checked()
    assert visit.switch("necessary").is_checked()
    assert visit.action("save").is_visible()
    page.keyboard.press("Escape")
    visit.banner().wait_for(state="hidden")
    assert page.evaluate("document.activeElement.hasAttribute('data-consent-open')")
    assert len(visit.posts()) == 1


def test_show_reopens_preferences(visit: Visit) -> None:
    visit.open("tags.html")
    visit.choose("reject-all")
    visit.call("Consent.show()")
    visit.banner().wait_for()
    assert not visit.switch("performance").is_checked()
    visit.switch("performance").check()
    with visit.page.expect_response(lambda r: r.url.endswith("/consents")):
        visit.action("save").click()
    visit.settle()
    assert visit.posts()[-1]["categories"]["performance"] is True
    visit.page.wait_for_function("() => window.__gaLoaded === 1")


def test_language_follows_html_lang(visit: Visit) -> None:
    page = visit.open("nl.html")
    page.get_by_role("dialog", name="Uw privacykeuzes").wait_for()
    assert visit.action("accept-all").inner_text() == "Alles accepteren"
    assert visit.action("reject-all").inner_text() == "Alles weigeren"
    visit.choose("reject-all")
    assert visit.posts()[0]["language"] == "nl"


def test_owner_markup_is_shown_as_text_and_never_runs(visit: Visit) -> None:
    page = visit.open("markup.html")
    visit.banner().wait_for()
    assert page.locator("[data-consent-banner] h2").inner_text() == pages.HOSTILE_TITLE
    assert page.locator("#cl-desc").inner_text() == pages.HOSTILE_DESCRIPTION
    visit.preferences()
    assert "<svg onload=window.__xss=3>Stats" in visit.banner().inner_text()
    injected = page.evaluate(
        "document.querySelector('consent-ledger').shadowRoot"
        ".querySelectorAll('img, script, svg, b').length"
    )
    assert injected == 0
    assert page.evaluate("window.__xss") is None
    assert not [r for r in visit.requests if "pwned" in r.url]
    cookies = page.get_by_role("link", name="Cookie statement")
    assert cookies.get_attribute("href") == "https://example.com/cookies"
    assert visit.errors == []


def test_an_unlisted_origin_shows_no_banner_and_says_why(visit: Visit) -> None:
    # The page's origin is not among the site's: a choice could not be recorded there.
    page = visit.open("tags.html", host="elsewhere.localhost")
    page.wait_for_function("() => document.readyState === 'complete' && window.Consent")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done)))")
    assert visit.banner().count() == 0
    origin = visit.service.page_url("", host="elsewhere.localhost").rstrip("/")
    (error,) = [line for line in visit.console if line.startswith("error: [consent]")]
    assert origin in error and "Settings" in error
    assert visit.posts() == []
    # A page on a listed origin of the same site shows it.
    visit.open("tags.html")
    visit.banner().wait_for()


def test_tab_stays_in_the_open_preferences_and_focus_returns_to_the_opener(
    visit: Visit,
) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    visit.choose("reject-all")
    # Reopened from the page's link: the preferences are a modal layer.
    page.locator("[data-consent-open]").focus()
    page.keyboard.press("Enter")
    visit.action("save").wait_for()
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        page.keyboard.press(key)
        assert focused(visit)["host"] == "consent-ledger", key
    assert visit.banner().get_attribute("aria-modal") == "true"
    tab_to(visit, "action", "save")
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        page.keyboard.press("Enter")
    visit.settle()
    assert page.evaluate("document.activeElement.hasAttribute('data-consent-open')")


def test_after_a_first_layer_choice_focus_is_on_the_page_never_body(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    visit.choose("accept-all")
    # The banner showed itself: focus goes to the page's first focusable element.
    assert page.evaluate("document.activeElement.id") == "q"


def test_withdrawal_is_confirmed_and_the_first_layer_shows_again(visit: Visit) -> None:
    page = visit.open("tags.html")
    visit.banner().wait_for()
    visit.choose("accept-all")
    assert not visit.banner().is_visible()
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        visit.call("Consent.withdraw()")
    visit.banner().wait_for()
    status = visit.banner().locator('[role="status"]')
    assert status.inner_text() == "Your consent has been withdrawn."
    assert visit.action("accept-all").is_visible() and visit.action("reject-all").is_visible()


def phone_preferences(visit: Visit) -> Any:
    """The page at phone width (390 by 844) with the banner's preferences open; the page."""
    visit.page.set_viewport_size({"width": 390, "height": 844})
    visit.open("tags.html")
    visit.banner().wait_for()
    visit.preferences()
    return visit.page


def test_phone_preferences_keep_save_and_reject_in_view(visit: Visit) -> None:
    phone_preferences(visit)
    for action in ("save", "reject-all"):
        box = visit.action(action).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, action
        # Nothing covers it: the point at its centre is the button itself.
        hit = visit.action(action).evaluate(
            "(b, [x, y]) => b.getRootNode().elementFromPoint(x, y) === b",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit, action


#: What is drawn at points under the open preferences' buttons, down to the dialog's bottom
#: edge, at a quarter, half and three quarters of its width: the footer (.cl-actions) or the
#: dialog's own background, never the categories scrolled beneath.
UNDER_THE_BUTTONS = """dialog => {
  const root = dialog.getRootNode();
  const actions = dialog.querySelector('.cl-actions');
  const buttons = [...actions.querySelectorAll('button')].filter(b => !b.hidden);
  const top = Math.max(...buttons.map(b => b.getBoundingClientRect().bottom)) + 1;
  const box = dialog.getBoundingClientRect();
  const bottom = box.bottom - 2;
  const found = [];
  for (let y = top; y <= bottom; y += 2)
    for (const share of [0.25, 0.5, 0.75]) {
      const hit = root.elementFromPoint(box.left + box.width * share, y);
      if (hit !== actions && hit !== dialog)
        found.push(`${Math.round(y)}: ${hit && (hit.className || hit.tagName)}`);
    }
  return {found, height: bottom - top};
}"""


def test_phone_preferences_show_nothing_under_the_buttons(visit: Visit) -> None:
    phone_preferences(visit)
    dialog = visit.banner()
    # Scrolled part way: categories go on below the footer.
    scrolled = dialog.evaluate(
        "d => { d.scrollTop = (d.scrollHeight - d.clientHeight) / 2; return d.scrollTop; }"
    )
    assert scrolled > 0, "the preferences should scroll at 390 px"
    under = dialog.evaluate(UNDER_THE_BUTTONS)
    assert under["height"] > 0
    assert under["found"] == []


#: The focused control inside the banner and whether the buttons that stay in view cover it.
FOCUS_COVERED = """dialog => {
  const target = dialog.getRootNode().activeElement;
  const bar = dialog.querySelector('.cl-actions');
  if (!target || bar.contains(target)) return null;
  const under = target.getBoundingClientRect().bottom > bar.getBoundingClientRect().top;
  return {what: target.getAttribute('data-consent-category') || target.tagName, under};
}"""


def test_phone_preferences_never_hide_the_focus_under_the_buttons(visit: Visit) -> None:
    # WCAG 2.2's 2.4.11: a control reached by Tab scrolls up above the sticky buttons.
    page = phone_preferences(visit)
    # Once the vendors' cookie lists are in (they come after, and move what is below them).
    visit.banner().locator("details").first.wait_for(state="attached")
    seen = []
    for _ in range(25):
        page.keyboard.press("Tab")
        state = visit.banner().evaluate(FOCUS_COVERED)
        if state:
            seen.append(state)
    assert len(seen) > 5, seen
    assert [s["what"] for s in seen if s["under"]] == []


#: The focused element of the page and whether the banner's dialog covers any of it.
PAGE_FOCUS_COVERED = """dialog => {
  const it = document.activeElement.getBoundingClientRect();
  const box = dialog.getBoundingClientRect();
  return {
    id: document.activeElement.id,
    under: it.bottom > box.top && it.top < box.bottom && it.right > box.left && it.left < box.right,
  };
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_first_layer_never_hides_the_focus_of_the_page(visit: Visit, width: int) -> None:
    # WCAG 2.2's 2.4.11: the first layer lets the page be used, so a link of the page reached
    # by Tab is scrolled clear of it (helper review: the demo's links hid under it).
    visit.page.set_viewport_size({"width": width, "height": 800})
    visit.open("tall.html")
    visit.banner().wait_for()
    visit.page.evaluate("document.activeElement.blur()")
    seen = []
    for _ in range(40):
        visit.page.keyboard.press("Tab")
        if visit.page.evaluate("document.activeElement.localName") == "a":
            # (Once the banner's own check, in the next frame, has run.)
            visit.page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            seen.append(visit.banner().evaluate(PAGE_FOCUS_COVERED))
    assert len([s for s in seen if s["id"].startswith("p")]) == 30, seen
    assert [s["id"] for s in seen if s["under"]] == []
    assert visit.banner().is_visible()  # still asking: tabbing is no choice
    # The room made at the page's end goes with the banner.
    host = visit.page.locator("consent-ledger")
    assert host.evaluate("h => h.style.minHeight") != ""
    visit.choose("reject-all")
    assert host.evaluate("h => [h.style.minHeight, h.getBoundingClientRect().height]") == ["", 0]
