"""Google Tag Manager is a loader (#21 item 4): the owner names the categories its container
serves (``settings.serves``), and the one gate allows it when any of them is allowed; unset,
its category alone. Validated, in the draft and the version, in ``policy_hash``, in the
receipt's vendors, and through the admin form."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.sites.versions import policy_hash
from tests.helpers import Visitor
from tests.http.auditing import Page
from tests.owners import PASSWORD, OwnerApi, add_user, mint

GTM = "google-tag-manager"
FIELD = f"vendors.{GTM}.settings.serves"


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def with_gtm(owner: OwnerApi, settings: dict[str, Any]) -> dict[str, Any]:
    """The current draft with Tag Manager enabled (in its catalogue category) and ``settings``."""
    draft = owner.draft()
    draft["vendors"][GTM] = {"category": "performance", "settings": settings}
    return draft


def test_tag_manager_is_allowed_when_any_category_it_serves_is(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    # Stored in the banner's order of categories, whatever the order given.
    stored = owner.put_draft(with_gtm(owner, {"serves": ["targeting", "performance"]}))
    assert stored["vendors"][GTM]["settings"] == {"serves": ["performance", "targeting"]}
    owner.publish()
    visitor = Visitor(client, site)
    assert visitor.gate(GTM)["decisions"][GTM] == {
        "allowed": False,
        "category": "performance",
        "reason": "no_consent",
    }
    # Only performance: allowed, and the decision names the category that allows it.
    receipt = visitor.choose("custom", categories={"performance": True})
    assert visitor.gate(GTM)["decisions"][GTM] == {
        "allowed": True,
        "category": "performance",
        "reason": "consented",
    }
    assert receipt["vendors"][GTM] is True
    # Only targeting: allowed too, by targeting; Google Analytics (performance) is not.
    receipt = visitor.choose("custom", categories={"targeting": True})
    decisions = visitor.gate(GTM, "google-analytics")["decisions"]
    assert decisions[GTM] == {"allowed": True, "category": "targeting", "reason": "consented"}
    assert decisions["google-analytics"]["allowed"] is False
    assert receipt["vendors"][GTM] is True
    # Only functionality, which its container does not serve: refused.
    receipt = visitor.choose("custom", categories={"functionality": True})
    assert visitor.gate(GTM)["decisions"][GTM] == {
        "allowed": False,
        "category": "performance",
        "reason": "refused",
    }
    assert receipt["vendors"][GTM] is False
    visitor.choose("reject_all")
    assert visitor.gate(GTM)["decisions"][GTM]["reason"] == "refused"


def test_tag_manager_serving_targeting_under_gpc_is_refused_by_gpc(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_gtm(owner, {"serves": ["targeting", "social"]}))
    owner.publish()
    visitor = Visitor(client, site)
    visitor.choose("custom", categories={"targeting": True, "social": True})
    decision = visitor.gate(GTM, headers={"Sec-GPC": "1"})["decisions"][GTM]
    assert decision == {"allowed": False, "category": "targeting", "reason": "gpc"}


def test_without_serves_tag_manager_follows_its_category(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    draft = with_gtm(owner, {})
    draft["vendors"][GTM]["category"] = "targeting"  # moved by the owner
    owner.put_draft(draft)
    owner.publish()
    visitor = Visitor(client, site)
    visitor.choose("custom", categories={"performance": True})
    assert visitor.gate(GTM)["decisions"][GTM] == {
        "allowed": False,
        "category": "targeting",
        "reason": "refused",
    }
    visitor.choose("custom", categories={"targeting": True})
    assert visitor.gate(GTM)["decisions"][GTM]["allowed"] is True


@pytest.mark.parametrize(
    ("serves", "field"),
    [
        ([], FIELD),
        ("performance", FIELD),
        (None, FIELD),
        (["performance", "marketing"], f"{FIELD}[1]"),
        (["performance", "performance"], f"{FIELD}[1]"),
        (["necessary"], f"{FIELD}[0]"),
        (["performance", 3], f"{FIELD}[1]"),
    ],
)
def test_invalid_served_categories_are_refused_naming_the_field(
    owner: OwnerApi, serves: Any, field: str
) -> None:
    before = owner.draft()
    answer = owner.call("PUT", "/draft", with_gtm(owner, {"serves": serves}))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_field"
    assert error["field"] == field
    assert owner.draft() == before  # nothing saved


def test_only_a_loader_takes_served_categories(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["vendors"]["google-analytics"]["settings"]["serves"] = ["performance"]
    answer = owner.call("PUT", "/draft", draft)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "vendors.google-analytics.settings.serves"


def test_served_categories_are_policy(owner: OwnerApi) -> None:
    owner.put_draft(with_gtm(owner, {}))
    plain = owner.publish()
    # A version whose Tag Manager serves no named categories hashes as before they existed.
    shown = {v: {"category": e["category"]} for v, e in plain["vendors"].items()}
    assert plain["policy_hash"] == policy_hash(
        plain["texts"], shown, plain["privacy_policy_url"], None, plain["theme"]
    )
    owner.put_draft(with_gtm(owner, {"serves": ["performance"]}))
    same = owner.publish()
    owner.put_draft(with_gtm(owner, {"serves": ["performance", "targeting"]}))
    wider = owner.publish()
    hashes = {plain["policy_hash"], same["policy_hash"], wider["policy_hash"]}
    assert len(hashes) == 3
    # Serving a category it did not asks every visitor again (it would load on a choice
    # that never named it); serving fewer asks nobody.
    assert (same["requires_reconsent"], wider["requires_reconsent"]) == (False, True)
    owner.put_draft(with_gtm(owner, {"serves": ["targeting"]}))
    assert owner.publish()["requires_reconsent"] is False


def test_the_vendors_form_sets_served_categories(app: Flask, owner: OwnerApi, site: str) -> None:
    add_user(app, "tags@example.com", "owner", site)
    ui = app.test_client()
    ui.post("/admin/login", data={"email": "tags@example.com", "password": PASSWORD})
    url = f"/admin/sites/{site}/vendors"
    form = {
        "enabled": [GTM],
        f"category.{GTM}": "performance",
        f"setting.{GTM}.serves": ["targeting", "performance"],
    }
    assert ui.post(url, data=form).status_code == 302
    assert owner.draft()["vendors"] == {
        GTM: {"category": "performance", "settings": {"serves": ["performance", "targeting"]}}
    }
    ticked = {
        e.attrs["value"]
        for e in Page.of(ui.get(url)).find("input", name=f"setting.{GTM}.serves")
        if "checked" in e.attrs
    }
    assert ticked == {"performance", "targeting"}
    bad = ui.post(url, data={**form, f"setting.{GTM}.serves": ["performance", "necessary"]})
    assert bad.status_code == 422
    assert Page.of(bad).find("p", data_field_error=f"setting.{GTM}.serves")
    # None ticked: its category alone.
    assert ui.post(url, data={**form, f"setting.{GTM}.serves": []}).status_code == 302
    assert owner.draft()["vendors"][GTM]["settings"] == {}
