"""Published policy versions are never modified; publishes never interleave."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from consent.extensions import db
from consent.models import PolicyVersion
from consent.sites.drafts import update_draft
from consent.sites.owner import lock_site
from consent.sites.versions import PublishedVersionImmutable, publish_draft, reconsent_needed
from tests.owners import OwnerApi, mint, site_by_key


def _version_one(site_key: str) -> PolicyVersion:
    return db.session.scalars(
        select(PolicyVersion).join(PolicyVersion.site).where(PolicyVersion.version == 1)
    ).one()


@pytest.mark.parametrize(
    "change",
    [
        lambda v: setattr(v, "requires_reconsent", True),
        lambda v: setattr(v, "texts", {"en": {}}),
        lambda v: setattr(v, "policy_hash", "0" * 64),
        lambda v: db.session.delete(v),
    ],
)
def test_the_orm_refuses_to_change_a_published_version(app: Flask, site: str, change: Any) -> None:
    with app.app_context():
        version = _version_one(site)
        change(version)
        with pytest.raises(PublishedVersionImmutable):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        update(PolicyVersion).values(requires_reconsent=True),
        delete(PolicyVersion),
    ],
)
def test_the_orm_refuses_bulk_statements(app: Flask, site: str, statement: Any) -> None:
    with app.app_context():
        with pytest.raises(PublishedVersionImmutable):
            db.session.execute(statement)
        db.session.rollback()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE policy_versions SET requires_reconsent = true",
        "UPDATE policy_versions SET texts = '{}'",
        "DELETE FROM policy_versions",
    ],
)
def test_the_database_refuses_it_too(app: Flask, site: str, sql: str) -> None:
    with app.app_context():
        with pytest.raises(DBAPIError, match="immutable"):
            db.session.execute(sa.text(sql))
        db.session.rollback()
        assert db.session.scalar(select(sa.func.count()).select_from(PolicyVersion)) == 1


def test_publishing_leaves_earlier_versions_as_they_were(
    app: Flask, client: FlaskClient, site: str
) -> None:
    owner = OwnerApi(client, site, mint(app, site, "owner"))
    auditor = {"Authorization": f"Bearer {mint(app, site, 'auditor')}"}
    before = client.get(f"/api/v1/audit/sites/{site}/policies/1", headers=auditor).json
    draft = owner.draft()
    draft["texts"]["en"]["title"] = "Changed"
    draft["vendors"].pop("meta-pixel")
    owner.put_draft(draft)
    owner.publish(True)
    after = client.get(f"/api/v1/audit/sites/{site}/policies/1", headers=auditor).json
    assert after == before


def test_concurrent_publishes_get_consecutive_versions(app: Flask, site: str) -> None:
    with app.app_context():
        site_id = site_by_key(site).id
    versions: list[int] = []
    failures: list[BaseException] = []

    def publish() -> None:
        with app.app_context():
            try:
                row = lock_site(site_id)
                # Each publish changes the draft first: an identical one would be refused.
                texts = copy.deepcopy(row.draft["texts"])
                texts["en"]["title"] = f"Title {threading.get_ident()}"
                update_draft(row, texts=texts)
                versions.append(publish_draft(row, None).version)
                db.session.commit()
            except BaseException as error:  # reported below, with the thread's traceback
                failures.append(error)
                raise

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(versions) == [2, 3, 4, 5]


def test_concurrent_publishes_over_http(app: Flask, site: str) -> None:
    token = mint(app, site, "owner")
    owner = OwnerApi(app.test_client(), site, token)
    draft = owner.draft()
    draft["texts"]["en"]["title"] = "Changed once"
    owner.put_draft(draft)
    statuses: list[int] = []

    def publish() -> None:
        response = app.test_client().post(
            f"/api/v1/admin/sites/{site}/publish",
            json={"requires_reconsent": None},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Serialised by the site lock: the first publishes the change, the rest find nothing new.
    assert sorted(statuses) == [201, 409, 409, 409]
    with app.app_context():
        assert sorted(v.version for v in site_by_key(site).policies) == [1, 2]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({}, {}, False),
        ({"a": {"category": "targeting"}}, {}, False),
        ({}, {"a": {"category": "targeting"}}, True),
        ({"a": {"category": "targeting"}}, {"a": {"category": "functionality"}}, True),
        ({"a": {"category": "targeting"}}, {"a": {"category": "targeting", "settings": {}}},
         False),
        ({"a": {"category": "social"}, "b": {"category": "social"}},
         {"b": {"category": "social"}}, False),
    ],
)  # fmt: skip
def test_reconsent_rule(old: dict[str, Any], new: dict[str, Any], expected: bool) -> None:
    assert reconsent_needed(old, new) is expected
