"""The admin's form for a vendor of the owner's own (#21 item 3): add, every invalid field
next to its input, edit, remove, the CSRF token; the catalogue form keeps them; the publish
page recalls what strictly necessary means."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import create_app
from consent.extensions import db
from tests.conftest import base_config
from tests.http.auditing import Page, marked_invalid
from tests.http.test_admin_ui import OWNER, draft_of, sign_in
from tests.owners import PASSWORD, OwnerApi, add_user, mint


@pytest.fixture
def ui(app: Flask, site: str) -> FlaskClient:
    """A client signed in as the owner of the test site."""
    add_user(app, OWNER, "owner", site)
    return sign_in(app, OWNER)


FORM = {
    "name": "Acme Chat",
    "id": "acme-chat",
    "category": "functionality",
    "hosts.script": "cdn.acmechat.test\n\nwidget.acmechat.test ",
    "hosts.frame": "",
    "hosts.beacon": "",
    "cookies": "acme_chat_id | Keeps your chat open | 30\nacme_s* | The chat session | session",
    "url": "https://acmechat.test/privacy",
}


def test_an_own_vendor_is_added_edited_and_removed(app: Flask, ui: FlaskClient, site: str) -> None:
    base = f"/admin/sites/{site}/vendors"
    assert ui.get(f"{base}/own").status_code == 200
    answer = ui.post(f"{base}/own", data=FORM)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert draft_of(app, site)["vendors"]["acme-chat"] == {
        "category": "functionality",
        "settings": {},
        "custom": {
            "name": "Acme Chat",
            "hosts": {
                "script": ["cdn.acmechat.test", "widget.acmechat.test"],
                "frame": [],
                "beacon": [],
            },
            "cookies": [
                {
                    "name": "acme_chat_id",
                    "pattern": None,
                    "purpose": {"en": "Keeps your chat open"},
                    "duration_days": 30,
                },
                {
                    "name": "acme_s",
                    "pattern": "acme_s*",
                    "purpose": {"en": "The chat session"},
                    "duration_days": "session",
                },
            ],
            "privacy_policy_url": "https://acmechat.test/privacy",
        },
    }
    page = Page.of(ui.get(base))
    assert page.find("tr", data_own_vendor="acme-chat")
    # The live preview runs the banner on the draft, own vendor included.
    preview = ui.get(f"/admin/sites/{site}/texts/en").get_data(as_text=True)
    assert "Acme Chat" in preview
    assert page.rows()[-1][:3] == ["Acme Chat", "acme-chat", "functionality"]
    # Saving the catalogue's form keeps it.
    enabled = list(draft_of(app, site)["vendors"])
    assert ui.post(
        base, data={"enabled": [v for v in enabled if v != "acme-chat"]}
    ).status_code in (302, 422)
    assert "acme-chat" in draft_of(app, site)["vendors"]
    # Edit: the form shows it as typed; a new id replaces the old one.
    edit = Page.of(ui.get(f"{base}/own/acme-chat"))
    (cookies,) = edit.find("textarea", name="cookies")
    assert cookies.text.strip().splitlines()[0] == "acme_chat_id | Keeps your chat open | 30"
    answer = ui.post(f"{base}/own/acme-chat", data={**FORM, "id": "chat", "category": "necessary"})
    assert answer.status_code == 302
    vendors = draft_of(app, site)["vendors"]
    assert "acme-chat" not in vendors and vendors["chat"]["category"] == "necessary"
    # The publish page recalls what strictly necessary means.
    publish = Page.of(ui.get(f"/admin/sites/{site}/publish"))
    (notice,) = publish.find("p", data_necessary_notice="")
    assert "Acme Chat" in notice.text and "strictly necessary" in notice.text.lower()
    assert ui.post(f"{base}/own/chat/remove").status_code == 302
    assert "chat" not in draft_of(app, site)["vendors"]
    assert ui.get(f"{base}/own/chat").status_code == 404
    assert ui.get(f"{base}/own/hubspot").status_code == 404


def test_every_invalid_field_is_shown_next_to_its_input(
    app: Flask,
    ui: FlaskClient,
    site: str,
) -> None:
    before = draft_of(app, site)
    bad = {
        **FORM,
        "name": " ",
        "id": "hubspot",
        "category": "ads",
        "hosts.script": "cdn.acmechat.test\nhttps://x.test/a.js",
        "hosts.frame": "*.acmechat.test",
        "cookies": "acme_chat_id | Keeps your chat open | forever\nno purpose",
        "url": "javascript:alert(1)",
    }
    answer = ui.post(f"/admin/sites/{site}/vendors/own", data=bad)
    assert answer.status_code == 422
    page = Page.of(answer)
    names = ["name", "id", "category", "hosts.script", "hosts.frame", "cookies", "url"]
    marked_invalid(page, names)
    assert page.text("p", data_field_error="hosts.script").startswith("Line 2:")
    cookies = page.text("p", data_field_error="cookies")
    assert "Line 1:" in cookies and "Line 2:" in cookies
    # What was typed stays in the form; nothing is saved.
    (typed,) = page.find("textarea", name="hosts.script")
    assert "https://x.test/a.js" in typed.text
    assert draft_of(app, site) == before


def test_the_own_vendor_forms_need_a_csrf_token(db_url: str, site: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    login = Page.of(client.get("/admin/login"))
    data = {"email": OWNER, "password": PASSWORD, "csrf_token": login.csrf_token()}
    assert client.post("/admin/login", data=data).status_code == 302
    url = f"/admin/sites/{site}/vendors/own"
    assert client.post(url, data=FORM).status_code == 403
    token = Page.of(client.get(url)).csrf_token()
    assert client.post(url, data={**FORM, "csrf_token": token}).status_code == 302
    remove = f"{url}/acme-chat/remove"
    assert client.post(remove).status_code == 403
    token = Page.of(client.get(f"/admin/sites/{site}/vendors")).csrf_token()
    assert client.post(remove, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_the_snippet_page_names_own_hosts_that_auto_blocking_holds(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    owner = OwnerApi(client, site, mint(app, site, "owner"))
    draft = owner.draft()
    draft["vendors"]["acme-chat"] = {
        "category": "functionality",
        "custom": {"name": "Acme Chat", "hosts": {"script": ["cdn.acmechat.test"]}},
    }
    draft["vendors"]["cart"] = {"category": "necessary", "custom": {"name": "Cart"}}
    owner.put_draft(draft)
    owner.publish()
    page = Page.of(ui.get(f"/admin/sites/{site}/snippet"))
    assert page.find("li", data_held_vendor="acme-chat")
    assert [e.text for e in page.find("code", data_host_of="acme-chat")] == ["cdn.acmechat.test"]
    # Without hosts there is nothing to hold back.
    assert not page.find("li", data_held_vendor="cart")
    # The site's page says the draft has changes to publish once a definition changes.
    assert not Page.of(ui.get(f"/admin/sites/{site}/")).find("p", data_draft_pending="")
    draft["vendors"]["acme-chat"]["custom"]["name"] = "Acme Chat 2"
    owner.put_draft(draft)
    assert Page.of(ui.get(f"/admin/sites/{site}/")).find("p", data_draft_pending="")
    publish = Page.of(ui.get(f"/admin/sites/{site}/publish"))
    assert publish.find("li", data_change="custom")


def test_removing_a_language_drops_own_cookies_purposes_in_it(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    owner = OwnerApi(client, site, mint(app, site, "owner"))
    draft = owner.draft()
    purpose = {"en": "Keeps your chat open", "nl": "Houdt je chat open"}
    cookie = {"name": "acme_chat_id", "purpose": purpose, "duration_days": 30}
    draft["vendors"]["acme-chat"] = {
        "category": "functionality",
        "custom": {"name": "Acme Chat", "cookies": [cookie]},
    }
    owner.put_draft(draft)
    assert ui.post(f"/admin/sites/{site}/languages/nl/remove").status_code == 302
    stored = draft_of(app, site)
    assert "nl" not in stored["texts"]
    assert stored["vendors"]["acme-chat"]["custom"]["cookies"][0]["purpose"] == {
        "en": purpose["en"]
    }


@pytest.mark.parametrize(
    ("category", "hosts", "warned"),
    [
        ("functionality", "", True),
        ("functionality", "cdn.acmechat.test", False),
        # Never held back: its hosts do not matter.
        ("necessary", "", False),
    ],
)
def test_saving_a_vendor_without_hosts_says_auto_blocking_cannot_see_its_tags(
    ui: FlaskClient, site: str, category: str, hosts: str, warned: bool
) -> None:
    form = {**FORM, "category": category, "hosts.script": hosts}
    assert ui.post(f"/admin/sites/{site}/vendors/own", data=form).status_code == 302
    flashed = Page.of(ui.get(f"/admin/sites/{site}/vendors")).text("div", data_flash="")
    assert flashed.startswith("Acme Chat saved in the draft.")
    assert ('data-consent-vendor="acme-chat"' in flashed) is warned
