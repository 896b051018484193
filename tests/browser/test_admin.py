"""The owner's admin flows in a real browser: create a site, add a vendor, edit texts with
the live preview, publish with re-consent, copy the snippet, create and revoke a token."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from .conftest import Service, Visit, _Server, signed_in_state

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

OWNER_EMAIL = "owner-ui@example.com"
PASSWORD = "a long test password"
GA = {"category": "performance", "settings": {"measurement_id": "G-ADMIN1"}}


def _pages_app(service: str) -> Callable[..., Iterable[bytes]]:
    """An owner's web server whose page ``/<site_key>.html`` embeds that site's snippet."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = Request(environ).path.strip("/")
        if path.endswith(".html"):
            key = html.escape(path[: -len(".html")])
            body = (
                f'<!doctype html><html lang="en"><head><script src="{service}/embed/{key}.js">'
                '</script><meta charset="utf-8"><title>Owner</title></head>'
                "<body><h1>Owner page</h1></body></html>"
            )
            response = Response(body, mimetype="text/html")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    return app


@pytest.fixture(scope="module")
def owner_pages(service: Service) -> Iterator[str]:
    """The origin of a second owner's web server, for the sites these tests create."""
    server = _Server()
    server.start(_pages_app(service.origin))
    yield server.origin
    server.stop()


@pytest.fixture(scope="module")
def owner_site(service: Service, owner_pages: str) -> str:
    """A site (GA enabled, version 1) whose owner is OWNER_EMAIL; its key."""
    from consent.extensions import db
    from consent.models import Membership
    from consent.sites.accounts import upsert_user
    from consent.sites.owner import create_site

    with service.app.app_context():
        user = upsert_user(OWNER_EMAIL, "owner", PASSWORD, None)
        site = create_site(
            name="Admin flows",
            origins=[owner_pages],
            vendors={"google-analytics": GA},
            privacy_url=f"{owner_pages}/privacy",
        )
        db.session.add(Membership(user_id=user.id, site_id=site.id, role="owner"))
        db.session.commit()
        return site.site_key


@pytest.fixture(scope="module")
def signed_in(browser: Any, service: Service, owner_site: str) -> dict[str, Any]:
    """The owner's session, signed in once through the real form (sign-ins are limited)."""
    return signed_in_state(browser, service.origin, OWNER_EMAIL, PASSWORD)


@pytest.fixture
def admin(browser: Any, service: Service, signed_in: dict[str, Any]) -> Iterator[Any]:
    """A page of the owner's signed-in browser; no CSP violation may happen on it."""
    context = browser.new_context(storage_state=signed_in)
    context.set_default_timeout(10_000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.origin)
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    if page.url.startswith(service.origin):
        assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    context.close()


def _go(page: Any, service: Service, path: str) -> None:
    page.goto(f"{service.origin}/admin{path}")


def _preview_title(page: Any) -> Any:
    frame = page.frame_locator("iframe[data-preview-frame]")
    return frame.locator("[data-consent-banner] h2")


def test_create_site(admin: Any, service: Service, owner_pages: str) -> None:
    _go(admin, service, "/")
    admin.get_by_role("link", name="Create a site").click()
    admin.get_by_label("Site name").fill("Bakery <b>Bread</b>")
    admin.get_by_label("Allowed origins").fill(f"{owner_pages}\nhttp://shop.example")
    admin.get_by_label("Privacy policy URL").fill("https://bakery.example/privacy")
    admin.get_by_role("button", name="Create site").click()
    # The second origin is refused (http only for localhost), next to its field.
    error = admin.locator('[data-field-error="origins"]')
    assert "Line 2" in error.inner_text()
    assert admin.get_by_label("Allowed origins").get_attribute("aria-invalid") == "true"
    admin.get_by_label("Allowed origins").fill(owner_pages)
    admin.get_by_role("button", name="Create site").click()
    admin.wait_for_url("**/vendors")
    # Owner texts are text: the name shows its markup literally.
    assert admin.locator(".site-name").inner_text() == "Bakery <b>Bread</b>"
    key = admin.url.split("/sites/")[1].split("/")[0]
    config = _config(service, key, owner_pages)
    assert config["policy_version"] == 1 and config["vendors"] == {}


def test_add_vendor(admin: Any, service: Service, owner_site: str) -> None:
    _go(admin, service, f"/sites/{owner_site}/vendors")
    meta = admin.locator('fieldset[data-vendor="meta-pixel"]')
    meta.get_by_label("Meta Pixel").check()
    meta.get_by_label("Pixel ID").fill("not-a-number")
    admin.get_by_role("button", name="Save vendors").click()
    error = admin.locator('[data-field-error="setting.meta-pixel.pixel_id"]')
    assert error.is_visible()
    # The summary says whose ID it is (every pixel vendor has one).
    summary = admin.locator("[data-error-summary]").get_by_role("link")
    assert summary.inner_text().startswith("Meta Pixel, Pixel ID: ")
    meta = admin.locator('fieldset[data-vendor="meta-pixel"]')
    assert meta.get_by_label("Pixel ID").get_attribute("aria-invalid") == "true"
    meta.get_by_label("Pixel ID").fill("123456789")
    vimeo = admin.locator('fieldset[data-vendor="vimeo"]')
    vimeo.get_by_label("Vimeo").check()
    vimeo.get_by_label("Category").select_option("functionality")
    assert "necessary" not in vimeo.get_by_label("Category").inner_text()
    admin.get_by_role("button", name="Save vendors").click()
    assert "Vendors saved" in admin.locator("[data-flash]").inner_text()
    _go(admin, service, f"/sites/{owner_site}/publish")
    changes = admin.locator("[data-change]")
    assert sorted(changes.all_inner_texts()) == ["Added Meta Pixel", "Added Vimeo"]


def test_edit_nl_text_and_see_the_preview_change(
    admin: Any, service: Service, owner_site: str
) -> None:
    _go(admin, service, f"/sites/{owner_site}/texts/nl")
    title = _preview_title(admin)
    assert title.inner_text() == "Uw privacykeuzes"
    # The preview is the real banner: the contract's buttons, in Dutch.
    frame = admin.frame_locator("iframe[data-preview-frame]")
    assert frame.locator('[data-consent-action="reject-all"]').inner_text() == "Alles weigeren"
    typed = "Jouw keuze <i>telt</i>"
    admin.get_by_label("Title", exact=True).fill(typed)
    # The preview re-renders its frame (a new document loading the bundle): on a cold start,
    # with both test workers starting Chromium, that has taken over 10 s.
    title.filter(has_text="Jouw keuze").wait_for(timeout=30_000)
    assert title.inner_text() == typed  # markup shown as typed, never as HTML
    assert frame.locator("[data-consent-banner] i").count() == 0
    # (Performance: the category of the site's one vendor; one without is not offered.)
    admin.get_by_label("Category performance: title").fill("Metingen")
    category = frame.get_by_text("Metingen", exact=True)
    category.wait_for(state="attached")  # re-rendered with the new text (second layer)
    frame.locator('[data-consent-action="customize"]').click()
    assert category.is_visible()
    admin.get_by_role("button", name="Save texts").click()
    assert "Texts saved" in admin.locator("[data-flash]").inner_text()
    assert _preview_title(admin).inner_text() == typed  # after reload, from the saved draft


def test_publish_with_reconsent_asks_a_returning_visitor_again(
    admin: Any, visit: Visit, service: Service, owner_site: str, owner_pages: str
) -> None:
    page = visit.page
    page.goto(f"{owner_pages}/{owner_site}.html", wait_until="domcontentloaded")
    page.evaluate(
        "() => { window.__changes = 0;"
        " window.Consent.on('change', () => { window.__changes += 1; }); }"
    )
    visit.choose("accept-all")
    page.reload(wait_until="domcontentloaded")
    visit.wait_for_gate()
    assert not visit.banner().is_visible()

    _go(admin, service, f"/sites/{owner_site}/vendors")
    linkedin = admin.locator('fieldset[data-vendor="linkedin-insight"]')
    linkedin.get_by_label("LinkedIn Insight Tag").check()
    linkedin.get_by_label("Partner ID").fill("424242")
    admin.get_by_role("button", name="Save vendors").click()
    _go(admin, service, f"/sites/{owner_site}/publish")
    reconsent = admin.get_by_label("Ask every visitor again (re-consent)")
    assert reconsent.is_checked()  # proposed: the vendor set grew
    admin.get_by_role("button", name="Publish version").click()
    assert "Every visitor will be asked again" in admin.locator("[data-flash]").inner_text()

    page.reload(wait_until="domcontentloaded")
    visit.banner().wait_for(state="visible")
    assert visit.action("accept-all").is_visible()

    _go(admin, service, f"/sites/{owner_site}/versions")
    admin.locator("tr", has_text="yes").first.get_by_role("link").click()
    assert admin.locator("[data-reconsent]").get_attribute("data-reconsent") == "yes"
    assert "Added LinkedIn Insight Tag" in admin.locator("[data-change]").all_inner_texts()


def test_copy_snippet(admin: Any, service: Service, owner_site: str) -> None:
    _go(admin, service, f"/sites/{owner_site}/snippet")
    expected = f'<script src="{service.origin}/embed/{owner_site}.js"></script>'
    assert admin.locator("#snippet").inner_text() == expected
    admin.get_by_role("button", name="Copy snippet").click()
    admin.get_by_text("Copied.").wait_for()
    assert admin.evaluate("navigator.clipboard.readText()") == expected


def test_create_and_revoke_a_token(admin: Any, service: Service, owner_site: str) -> None:
    _go(admin, service, f"/sites/{owner_site}/tokens")
    admin.get_by_label("Role").select_option("auditor")
    admin.get_by_label("Label").fill("DPO export")
    admin.get_by_role("button", name="Create token").click()
    token = admin.locator("#new-token").inner_text()
    assert token.startswith("cl_")
    assert _verify_status(service, owner_site, token) == 200
    # Shown once: reloading the page neither shows it again nor makes a second token.
    admin.reload()
    row = admin.locator("tr", has_text="DPO export")
    assert row.count() == 1
    assert row.locator("td").nth(2).inner_text() != "never"  # just used
    assert admin.locator("#new-token").count() == 0
    assert token not in admin.content()
    admin.get_by_role("link", name="Revoke token “DPO export”").click()
    question = admin.locator("[data-revoke-token]").inner_text()
    assert question.startswith("Revoke token “DPO export” (auditor, created ")
    assert _verify_status(service, owner_site, token) == 200  # asking revokes nothing
    admin.get_by_role("button", name="Revoke token").click()
    assert "Revoked token “DPO export” (auditor" in admin.locator("[data-flash]").inner_text()
    assert admin.locator("tr", has_text="DPO export").count() == 0
    assert _verify_status(service, owner_site, token) == 401


def _verify_status(service: Service, site_key: str, token: str) -> int:
    request = urllib.request.Request(
        f"{service.origin}/api/v1/audit/sites/{site_key}/verify",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _config(service: Service, site_key: str, origin: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{service.origin}/api/v1/sites/{site_key}/config", headers={"Origin": origin}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def test_a_rejected_save_starts_with_a_summary_of_what_to_change(
    admin: Any, service: Service, owner_site: str
) -> None:
    # On a phone the second message is far below the first, out of view.
    admin.set_viewport_size({"width": 390, "height": 700})
    _go(admin, service, f"/sites/{owner_site}/settings")
    origins = admin.get_by_label("Allowed origins").input_value()
    admin.get_by_label("Allowed origins").fill(f"{origins}\nnot a url\nhttp://shop.example")
    admin.get_by_label("Privacy policy URL").fill("ftp://example.com/privacy")
    admin.get_by_role("button", name="Save settings").click()
    summary = admin.locator("[data-error-summary]")
    summary.wait_for()
    # Focused, so a screen reader reads it first and a phone shows it.
    assert admin.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert summary.get_by_role("heading").inner_text() == "2 fields need a change"
    links = summary.get_by_role("link")
    texts = links.all_inner_texts()
    # One entry per input; its wrong lines one after the other.
    assert texts[0].startswith("Allowed origins: Line 2: ") and "not a url" in texts[0]
    assert "https://www.example.com); Line 3: origins must use https" in texts[0]
    assert texts[1].startswith("Privacy policy URL: ")
    links.nth(1).click()
    assert admin.evaluate("document.activeElement.id") == "f-privacy_policy_url"
    assert admin.get_by_label("Privacy policy URL").is_visible()


def test_the_preview_never_takes_the_focus_from_the_page(
    admin: Any, service: Service, owner_site: str
) -> None:
    # The banner moves the focus into itself after its first paint when it shows on a site,
    # but not in the preview (which scrolled the texts page down to it, and took the focus
    # from the field being typed in each time it re-rendered).
    # Tall enough for the preview to be in view: a frame out of view gets no animation frames
    # (Chromium throttles it), so neither the banner's move nor the wait below would happen.
    admin.set_viewport_size({"width": 1280, "height": 2400})

    def painted() -> None:
        _preview_title(admin).wait_for()
        frame = admin.locator("iframe[data-preview-frame]").element_handle().content_frame()
        # Its callbacks after the paint have run: a frame and a task later.
        frame.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r)))")

    _go(admin, service, f"/sites/{owner_site}/texts/en")
    painted()
    assert admin.evaluate("[document.activeElement.localName, scrollY]") == ["body", 0]
    admin.get_by_label("Title", exact=True).fill("Your choices")
    _preview_title(admin).filter(has_text="Your choices").wait_for()
    painted()
    assert admin.evaluate("document.activeElement.id") == "text-title"
    _go(admin, service, f"/sites/{owner_site}/appearance")
    painted()
    assert admin.evaluate("[document.activeElement.localName, scrollY]") == ["body", 0]
