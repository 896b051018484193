"""The banner's theme in Chromium: the owner's mode whatever the visitor's system, layouts
and positions, the accent, one style for Accept all and Reject all, axe-clean in every
layout and mode, and the Appearance page's preview following a change."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from consent.core.theme import DEFAULT_THEME, LAYOUTS, dark_accent

from .conftest import Service, _Server

pytestmark = pytest.mark.xdist_group("browser")

LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(27, 27, 31)"
ACCENT = "#0b5d1e"
WIDTH, HEIGHT = 1280, 800
OWNER_EMAIL = "owner-theme@example.com"
PASSWORD = "a long test password"


def _rgb(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _pages_app(service: str) -> Callable[..., Iterable[bytes]]:
    """An owner's web server whose ``/<site_key>.html`` embeds that site, in a serif font."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = html.escape(Request(environ).path.strip("/").removesuffix(".html"))
        body = (
            f'<!doctype html><html lang="en"><head><script src="{service}/embed/{key}.js">'
            '</script><meta charset="utf-8"><title>Owner</title></head>'
            '<body style="font-family: Georgia, serif"><main><h1>Owner page</h1></main>'
            "</body></html>"
        )
        return Response(body, mimetype="text/html")(environ, start_response)

    return app


@pytest.fixture(scope="module")
def pages(service: Service) -> Iterator[str]:
    """The origin of the themed sites' pages."""
    server = _Server()
    server.start(_pages_app(service.origin))
    yield server.origin
    server.stop()


@pytest.fixture(scope="module")
def themed(service: Service, pages: str) -> Callable[..., str]:
    """A site publishing a theme (default members but those given): its page's URL."""
    from consent.extensions import db
    from consent.sites.drafts import update_draft
    from consent.sites.owner import create_site
    from consent.sites.versions import publish_draft

    made: dict[str, str] = {}

    def site(**theme: Any) -> str:
        key = repr(sorted(theme.items()))
        if key not in made:
            with service.app.app_context():
                row = create_site(
                    name=f"Theme {len(made)}",
                    origins=[pages],
                    vendors={},
                    privacy_url=f"{pages}/privacy",
                )
                if {**DEFAULT_THEME, **theme} != DEFAULT_THEME:
                    update_draft(row, theme={**DEFAULT_THEME, **theme})
                    publish_draft(row, requires_reconsent=False)
                db.session.commit()
                made[key] = f"{pages}/{row.site_key}.html"
        return made[key]

    return site


@pytest.fixture
def visitor(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a page as a fresh visitor whose system prefers ``scheme``; the banner shown."""
    contexts: list[Any] = []

    def open_page(url: str, scheme: str = "light") -> Any:
        context = browser.new_context(
            color_scheme=scheme, viewport={"width": WIDTH, "height": HEIGHT}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        page.locator("[data-consent-banner]").wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()


def _style(page: Any, selector: str, *properties: str) -> list[str]:
    return page.locator(selector).evaluate(
        "(e, names) => names.map(n => getComputedStyle(e).getPropertyValue(n))",
        list(properties),
    )


def _box(page: Any, selector: str = "[data-consent-banner]") -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).bounding_box()
    return box


ACCEPT = '[data-consent-action="accept-all"]'
REJECT = '[data-consent-action="reject-all"]'


@pytest.mark.parametrize(
    ("mode", "system", "background", "accent"),
    [
        ("dark", "light", DARK_BG, dark_accent(ACCENT)),
        ("light", "dark", LIGHT_BG, ACCENT),
        ("auto", "dark", DARK_BG, dark_accent(ACCENT)),
        ("auto", "light", LIGHT_BG, ACCENT),
    ],
)
def test_the_owner_decides_light_or_dark(
    themed: Callable[..., str],
    visitor: Callable[..., Any],
    mode: str,
    system: str,
    background: str,
    accent: str,
) -> None:
    page = visitor(themed(mode=mode, accent=ACCENT), system)
    assert _style(page, "[data-consent-banner]", "background-color") == [background]
    # The accent fills the main buttons: the owner's in the light scheme, its legible tint
    # in the dark one.
    assert _style(page, ACCEPT, "background-color") == [_rgb(accent)]


def test_the_default_look_is_todays(
    themed: Callable[..., str], visitor: Callable[..., Any]
) -> None:
    """No theme in the embed: the stylesheet's look, dark when the system is."""
    light = visitor(themed(), "light")
    assert _style(light, ACCEPT, "background-color", "border-top-left-radius") == [
        _rgb(DEFAULT_THEME["accent"]),
        "8px",
    ]
    box = _box(light)
    assert box["y"] + box["height"] == pytest.approx(HEIGHT - 16, abs=1)
    assert box["x"] == pytest.approx(WIDTH - box["x"] - box["width"], abs=1)
    dark = visitor(themed(), "dark")
    assert _style(dark, "[data-consent-banner]", "background-color") == [DARK_BG]
    assert _style(dark, ACCEPT, "background-color") == [_rgb("#8fb3ff")]


@pytest.mark.parametrize(
    ("theme", "classes"),
    [({}, []), ({"layout": "bar"}, ["bar"]), ({"position": "center"}, ["center"])],
)
def test_the_dialog_has_only_the_themes_classes(
    themed: Callable[..., str],
    visitor: Callable[..., Any],
    theme: dict[str, str],
    classes: list[str],
) -> None:
    """The embed leaves out the members at their default (the default look: no theme at
    all): they add no class, and certainly no "undefined" one."""
    page = visitor(themed(**theme))
    found = page.locator("[data-consent-banner]").evaluate("e => [...e.classList]")
    assert found == classes


@pytest.mark.parametrize(
    ("layout", "position", "where"),
    [
        ("box", "bottom", "bottom centre"),
        ("box", "center", "centre"),
        ("box", "bottom-left", "bottom left"),
        ("box", "bottom-right", "bottom right"),
        ("bar", "bottom", "bottom edge"),
        ("bar", "center", "across the middle"),
        ("cloud", "bottom", "bottom centre"),
    ],
)
def test_layout_and_position(
    themed: Callable[..., str],
    visitor: Callable[..., Any],
    layout: str,
    position: str,
    where: str,
) -> None:
    page = visitor(themed(layout=layout, position=position))
    box = _box(page)
    left, top = box["x"], box["y"]
    right, bottom = WIDTH - left - box["width"], HEIGHT - top - box["height"]
    if where == "bottom centre":
        assert bottom == pytest.approx(16, abs=1) and left == pytest.approx(right, abs=1)
    elif where == "centre":
        assert top == pytest.approx(bottom, abs=1) and left == pytest.approx(right, abs=1)
    elif where == "bottom left":
        assert (left, bottom) == pytest.approx((16, 16), abs=1) and box["width"] <= 26 * 16
    elif where == "bottom right":
        assert (right, bottom) == pytest.approx((16, 16), abs=1) and box["width"] <= 26 * 16
    elif where == "bottom edge":
        assert (left, right, bottom) == pytest.approx((0, 0, 0), abs=1)
    else:
        assert (left, right) == pytest.approx((0, 0), abs=1)
        assert top == pytest.approx(bottom, abs=1)
    if layout == "cloud":
        # The texts beside the buttons, the buttons stacked.
        description, accept, reject = _box(page, "#cl-desc"), _box(page, ACCEPT), _box(page, REJECT)
        assert accept["x"] >= description["x"] + description["width"]
        assert reject["y"] > accept["y"] and reject["x"] == accept["x"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    ("mode", "system"), [("light", "dark"), ("dark", "light"), ("auto", "dark")]
)
def test_accept_and_reject_look_the_same_and_pass_axe(
    themed: Callable[..., str],
    visitor: Callable[..., Any],
    layout: str,
    mode: str,
    system: str,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = visitor(themed(layout=layout, mode=mode, accent=ACCENT, radius=20), system)
    styles = page.evaluate(
        """([a, b]) => [a, b].map(s => {
             const e = document.querySelector('consent-ledger').shadowRoot.querySelector(s);
             const style = getComputedStyle(e), rect = e.getBoundingClientRect();
             return [Object.fromEntries([...style].map(n => [n, style.getPropertyValue(n)])),
                     [rect.width, rect.height]];
           })""",
        [ACCEPT, REJECT],
    )
    assert styles[0] == styles[1]
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(("radius", "button"), [(0, "0px"), (24, "16px")])
def test_radius(
    themed: Callable[..., str], visitor: Callable[..., Any], radius: int, button: str
) -> None:
    page = visitor(themed(radius=radius))
    corner = "border-top-left-radius"
    assert _style(page, "[data-consent-banner]", corner) == [f"{radius}px"]
    assert _style(page, ACCEPT, corner) == [button]


def test_font_inherit_takes_the_pages_family(
    themed: Callable[..., str], visitor: Callable[..., Any]
) -> None:
    inherited = visitor(themed(font="inherit"))
    assert _style(inherited, ACCEPT, "font-family") == ["Georgia, serif"]
    system = visitor(themed(font="system"))
    assert _style(system, ACCEPT, "font-family") == ["system-ui, sans-serif"]


@pytest.fixture(scope="module")
def admin_page(browser: Any, service: Service, pages: str) -> Iterator[tuple[Any, str]]:
    """The Appearance page of a site, its owner signed in through the form."""
    from consent.extensions import db
    from consent.models import Membership
    from consent.sites.accounts import upsert_user
    from consent.sites.owner import create_site

    with service.app.app_context():
        user = upsert_user(OWNER_EMAIL, "owner", PASSWORD, None)
        row = create_site(
            name="Appearance", origins=[pages], vendors={}, privacy_url=f"{pages}/privacy"
        )
        db.session.add(Membership(user_id=user.id, site_id=row.id, role="owner"))
        db.session.commit()
        key = row.site_key
    context = browser.new_context(color_scheme="light")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{service.origin}/admin/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{service.origin}/admin/")
    yield page, key
    context.close()


def test_the_appearance_preview_follows_every_change(
    admin_page: tuple[Any, str], service: Service
) -> None:
    page, key = admin_page
    page.goto(f"{service.origin}/admin/sites/{key}/appearance")
    frame = page.frame_locator("iframe[data-preview-frame]")
    dialog = frame.locator("[data-consent-banner]")
    assert dialog.evaluate("e => getComputedStyle(e).backgroundColor") == LIGHT_BG
    page.get_by_label("Dark", exact=True).check()
    frame.locator("consent-ledger[data-consent-mode=dark]").wait_for(state="attached")
    assert dialog.evaluate("e => getComputedStyle(e).backgroundColor") == DARK_BG
    page.get_by_label("Bar", exact=True).check()
    frame.locator("[data-consent-banner].bar").wait_for()
    page.get_by_label("Accent colour").fill(ACCENT)
    # The dark scheme's tint, computed in the page as the service computes it.
    host = frame.locator(f'consent-ledger[data-consent-accent="{ACCENT}"]')
    host.wait_for(state="attached")
    assert host.get_attribute("data-consent-accent_dark") == dark_accent(ACCENT)
    accept = frame.locator(ACCEPT)
    assert accept.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(dark_accent(ACCENT))
    # Saved into the draft; a light accent that light mode cannot show is refused, the ratio said.
    page.get_by_role("button", name="Save appearance").click()
    assert "Appearance saved" in page.locator("[data-flash]").inner_text()
    # The saved mode is dark: the choice of the visitor's system means nothing, as before.
    assert page.locator("[data-preview-scheme]").evaluate("e => e.disabled")
    page.get_by_label("Light", exact=True).check()
    page.get_by_label("Accent colour").fill("#7fa8ff")
    page.get_by_role("button", name="Save appearance").click()
    assert "2.34:1" in page.locator('[data-field-error="accent"]').inner_text()
