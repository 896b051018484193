"""The banner build in every receipt (DESIGN "Contract: the banner build in every receipt"):
each build served is kept and public, the consents POST names one, the receipt hashes it."""

from __future__ import annotations

import shutil
from hashlib import sha256
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from consent import banner, create_app
from consent.banner import DIST
from consent.core.chain import receipt_hash, receipt_hash_rfc8785
from consent.extensions import db
from tests.conftest import base_config
from tests.helpers import Visitor


def served_build(client: FlaskClient, site: str) -> str:
    """Load the site's embed (which records its build); the build its config names."""
    config = Visitor(client, site).config()
    assert client.get(f"/embed/{site}.js").status_code == 200
    return str(config["build"])


def swapped_bundle(tmp_path: Path) -> Path:
    """A copy of the bundle whose code differs by a comment: another build."""
    folder = tmp_path / "dist"
    shutil.copytree(DIST, folder)
    code = (folder / "consent.js").read_text(encoding="utf-8")
    (folder / "consent.js").write_text(code.replace("\n", "\n/* next release */\n", 1))
    return folder


def test_the_build_is_listed_and_served_byte_for_byte(client: FlaskClient, site: str) -> None:
    assert client.get("/embed/builds").get_json() == {"items": []}
    build = served_build(client, site)
    (item,) = client.get("/embed/builds").get_json()["items"]
    assert item["build"] == build and item["first_served_at"].endswith("Z")
    code = client.get(f"/embed/builds/{build}.js")
    assert code.status_code == 200
    assert sha256(code.get_data()).hexdigest() == build
    assert code.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert code.headers["Access-Control-Allow-Origin"] == "*"
    # The embed is that code followed by the config.
    assert client.get(f"/embed/{site}.js").get_data().startswith(code.get_data())


@pytest.mark.parametrize("name", ["0" * 64, "A" * 64, "x", "0" * 63])
def test_a_build_never_served_is_not_found(client: FlaskClient, name: str) -> None:
    assert client.get(f"/embed/builds/{name}.js").status_code == 404
    assert client.get(f"/embed/builds/{name}/run.js").status_code == 404


def test_a_receipt_names_its_build_and_hashes_it(client: FlaskClient, site: str) -> None:
    build = served_build(client, site)
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all", build=build)
    assert receipt["banner_build"] == build
    assert receipt["hash"] == receipt_hash(receipt) == receipt_hash_rfc8785(receipt)
    without = {name: value for name, value in receipt.items() if name != "banner_build"}
    assert receipt_hash(without) != receipt["hash"]
    # Without a build (a caller that is not the banner, or before the field): none recorded.
    older = visitor.choose("reject_all")
    assert "banner_build" not in older
    assert older["hash"] == receipt_hash_rfc8785(older)
    answer = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token})
    assert [r.get("banner_build") for r in answer.get_json()["items"]] == [build, None]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("0" * 64, "served"),
        ("ABC", "hex"),
        (7, "hex"),
        ("", "hex"),
        ("0" * 65, "hex"),
    ],
)
def test_a_build_the_service_never_served_is_refused(
    app: Flask, client: FlaskClient, site: str, build: object, message: str
) -> None:
    served_build(client, site)
    visitor = Visitor(client, site)
    response = visitor.post(visitor.consent_body("accept_all", build=build))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "build" and message in error["message"]
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM receipts")) == 0


def test_two_builds_over_time_each_receipt_names_its_own(
    app: Flask, client: FlaskClient, site: str, db_url: str, tmp_path: Path
) -> None:
    first = served_build(client, site)
    before = Visitor(client, site)
    old_receipt = before.choose("accept_all", build=first)
    # The next release: another process serves another bundle, on the same database.
    later = create_app({**base_config(db_url), "CONSENT_BANNER_DIR": str(swapped_bundle(tmp_path))})
    later_client = later.test_client()
    second = served_build(later_client, site)
    assert second != first
    new_receipt = Visitor(later_client, site).choose("accept_all", build=second)
    assert (old_receipt["banner_build"], new_receipt["banner_build"]) == (first, second)
    # The old build is still accepted (a visitor's page loaded before the release) and kept.
    assert Visitor(later_client, site).choose("reject_all", build=first)["banner_build"] == first
    listed = [i["build"] for i in later_client.get("/embed/builds").get_json()["items"]]
    assert listed == [first, second]
    for build in (first, second):
        code = later_client.get(f"/embed/builds/{build}.js").get_data()
        assert sha256(code).hexdigest() == build
    with later.app_context():
        db.engine.dispose()


def test_the_chain_verifies_across_receipts_with_and_without_a_build(
    app: Flask, client: FlaskClient, site: str
) -> None:
    from consent.ledger.reads import verify_chain
    from tests.owners import site_by_key

    build = served_build(client, site)
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("custom", build=build, categories={"performance": True})
    visitor.choose("withdraw")
    visitor.choose("accept_all", build=build)
    with app.app_context():
        site_id = site_by_key(site).id
        result = verify_chain(site_id)
        assert result.ok and result.receipts == 4


def test_builds_are_immutable(app: Flask, client: FlaskClient, site: str) -> None:
    build = served_build(client, site)
    with app.app_context():
        for statement in (
            "UPDATE banner_builds SET code = 'x'",
            "DELETE FROM banner_builds",
        ):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()
        assert banner.build_code(build) == (DIST / "consent.js").read_text(encoding="utf-8")
