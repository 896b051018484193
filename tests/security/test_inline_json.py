"""JSON inlined in JavaScript or HTML cannot break out: the embed's config and the admin
preview frame's config escape ``</script>``, ``<!--`` and U+2028/U+2029, and still carry the
owner's text exactly; hostile client-address headers never reach a receipt."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.extensions import db
from consent.sites.versions import publish_draft
from tests.helpers import Visitor
from tests.http.auditing import Page
from tests.owners import add_user, site_by_key

from .world import VICTIM_OWNER, sign_in

#: What ends a script element or starts an HTML comment in it, and JavaScript's line breaks.
BREAKOUTS = ("</script>", "</SCRIPT >", "<!--", "<script>", "\u2028", "\u2029")
HOSTILE = "".join(BREAKOUTS) + "-->';alert(1)//\"</style><b>&amp;"


def _hostile_draft(app: Flask, site: str, *, published: bool) -> None:
    with app.app_context():
        row = site_by_key(site)
        draft = json.loads(json.dumps(row.draft))
        for texts in draft["texts"].values():
            for key in texts:
                if key != "categories":
                    texts[key] = f"{key} {HOSTILE}"
        row.draft = draft
        if published:
            publish_draft(row, requires_reconsent=False)
        db.session.commit()


def _inlined(body: str, start: str) -> Any:
    value, _end = json.JSONDecoder().raw_decode(body[body.index(start) :])
    return value


def test_the_embed_config_cannot_break_out_of_its_script(
    app: Flask, client: FlaskClient, site: str
) -> None:
    _hostile_draft(app, site, published=True)
    body = client.get(f"/embed/{site}.js").get_data(as_text=True)
    for breakout in BREAKOUTS:
        assert breakout not in body, breakout
    config = _inlined(body, '{"site_key"')
    assert config["translations"]["en"]["title"] == f"title {HOSTILE}"
    # Another language's texts come from the config API, as JSON.
    nl = client.get(f"/api/v1/sites/{site}/config?lang=nl").get_json()
    assert nl["texts"]["title"] == f"title {HOSTILE}"


def test_the_preview_frame_config_cannot_break_out(
    app: Flask, client: FlaskClient, site: str
) -> None:
    _hostile_draft(app, site, published=False)
    add_user(app, VICTIM_OWNER, "owner", site)
    ui = sign_in(app, VICTIM_OWNER)
    answer = ui.get(f"/admin/sites/{site}/texts/nl")
    raw = answer.get_data(as_text=True)
    page = Page.of(answer)
    # No tag or comment more than the template's own: the hostile text added none.
    assert raw.lower().count("<script") == len(page.find("script"))
    # (U+2028/2029 are plain characters in HTML; only JavaScript source must escape them.)
    for breakout in ("<!--", "<b>", "</style>"):
        assert breakout not in raw, breakout
    # The attribute holds a whole document; that document's attribute holds the JSON.
    (frame,) = page.find("iframe", data_preview_frame="nl")
    inner = Page()
    inner.feed(frame.attrs["srcdoc"])
    (html,) = inner.find("html")
    config = json.loads(html.attrs["data-consent-preview"])
    assert config["texts"]["title"] == f"title {HOSTILE}"
    assert not [e for e in inner.find("script") if not e.attrs.get("src")]


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        '1.2.3.4"><img src=x>',
        "::1%<b>",
        "999.1.1.1",
        "\x00",
        "a" * 5000,
    ],
)
def test_hostile_client_addresses_never_reach_a_receipt(
    proxied: tuple[Flask, str], value: str
) -> None:
    app, key = proxied
    visitor = Visitor(app.test_client(), key)
    headers = {"X-Forwarded-For": value, "Client-IP": value, "X-Real-IP": value}
    response = visitor.post(visitor.consent_body("accept_all"), headers=headers)
    assert response.status_code == 201, response.json
    prefix = response.json["receipt"]["context"]["ip_prefix"]
    # Nothing of the header but a network in CIDR text (what a zone index leaves, for one).
    assert prefix is None or str(ipaddress.ip_network(prefix)) == prefix
