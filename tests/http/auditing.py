"""Helpers for the auditor's side: tokens, users, a dated ledger, and a small HTML reader."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent.extensions import db
from consent.models import Site
from consent.sites.accounts import create_api_token, upsert_user
from consent.sites.versions import publish_draft
from tests.helpers import Visitor

PASSWORD = "correct horse battery staple"
READ_PATHS = (
    "receipts",
    "receipts/{receipt_id}",
    "subjects/{subject_id}",
    "export?format=ndjson",
    "verify",
    "stats",
    "policies",
    "policies/1",
    "access-log",
)


def site_row(site_key: str) -> Site:
    """The site's row (inside an app context)."""
    return db.session.scalars(select(Site).where(Site.site_key == site_key)).one()


def make_token(app: Flask, site_key: str, role: str = "auditor") -> str:
    """Mint an API token for the site; the plain token."""
    with app.app_context():
        _row, token = create_api_token(site_row(site_key), role, f"test {role}")
        db.session.commit()
    return token


def make_user(app: Flask, site_key: str | None, email: str, role: str = "auditor") -> None:
    """Create (or reset) a user with a role on the site."""
    with app.app_context():
        upsert_user(email, role, PASSWORD, site_row(site_key) if site_key else None)
        db.session.commit()


def publish_texts(app: Flask, site_key: str, **changes: str) -> None:
    """Publish the next policy version with some English texts replaced."""
    with app.app_context():
        site = site_row(site_key)
        draft = dict(site.draft)
        texts = {lang: dict(values) for lang, values in draft["texts"].items()}
        texts["en"].update(changes)
        draft["texts"] = texts
        site.draft = draft
        publish_draft(site, requires_reconsent=False)
        db.session.commit()


class Auditor:
    """An API client holding one Bearer token."""

    def __init__(self, client: FlaskClient, site_key: str, token: str) -> None:
        self.client = client
        self.site_key = site_key
        self.token = token
        self.base = f"/api/v1/audit/sites/{site_key}"

    def get(self, path: str, **params: Any) -> Any:
        """GET a path under the site's auditor API."""
        return self.client.get(
            f"{self.base}/{path}",
            query_string=params or None,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def json(self, path: str, **params: Any) -> Any:
        """GET and expect 200 with JSON."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def all_receipts(self, **params: Any) -> list[dict[str, Any]]:
        """Every receipt matching the filters, newest first, following the cursors."""
        items, cursor = [], None
        while True:
            page = self.json("receipts", **params, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


@contextmanager
def clock(monkeypatch: pytest.MonkeyPatch, times: Iterator[str]) -> Iterator[None]:
    """Receipts recorded inside get the given ``created_at`` values, in order."""
    with monkeypatch.context() as patch:
        patch.setattr("consent.ledger.append.iso_now", lambda: next(times))
        yield


def record_dated(
    client: FlaskClient, site_key: str, monkeypatch: pytest.MonkeyPatch, plan: list[tuple]
) -> list[dict[str, Any]]:
    """Record ``(visitor, day, action, categories, headers)`` choices at fixed times."""
    visitors: dict[str, Visitor] = {}
    receipts = []
    for i, (who, day, action, categories, headers) in enumerate(plan):
        visitor = visitors.setdefault(who, Visitor(client, site_key))
        stamp = f"{day}T10:00:{i % 60:02d}.{i:03d}Z"
        with clock(monkeypatch, iter([stamp])):
            receipts.append(visitor.choose(action, headers=headers, categories=categories))
    return receipts


@dataclass
class Element:
    """An element the reader kept: its tag, attributes and text (and cells, for a row)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    in_body: bool = False
    cells: list[Element] = field(default_factory=list)


class Page(HTMLParser):
    """Reads a server-rendered page into elements, so tests assert on structure, not bytes."""

    _VOID = frozenset({"input", "meta", "link", "br", "img", "hr", "circle", "line", "rect"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    @classmethod
    def of(cls, response: Any) -> Page:
        """Parse a response's HTML."""
        page = cls()
        page.feed(response.get_data(as_text=True))
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        element.in_body = any(e.tag == "tbody" for e in self._open)
        if tag in ("td", "th"):
            rows = [e for e in self._open if e.tag == "tr"]
            if rows:
                rows[-1].cells.append(element)
        self.elements.append(element)
        if tag not in self._VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements of ``tag`` with these attribute values (``data_x`` means ``data-x``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k) == v for k, v in wanted.items())
        ]

    def text(self, tag: str, **attrs: str) -> str:
        """The whitespace-normalised text of the one matching element."""
        (element,) = self.find(tag, **attrs)
        return " ".join(element.text.split())

    def rows(self) -> list[list[str]]:
        """The text of each table body row's cells, in document order."""
        return [
            [" ".join(cell.text.split()) for cell in e.cells]
            for e in self.elements
            if e.tag == "tr" and e.in_body
        ]

    def csrf_token(self) -> str:
        """The CSRF token of the page's first form."""
        return self.find("input", name="csrf_token")[0].attrs["value"]


def invalid_fields(response: Any) -> list[str]:
    """The fields a 422 lists, checking that ``field`` is the first of them."""
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field"
    fields = [entry["field"] for entry in error["fields"]]
    assert error["field"] == fields[0]
    assert all(entry["message"] for entry in error["fields"])
    return fields


def marked_invalid(page: Page, names: list[str]) -> None:
    """Each input named has its message next to it, tied by aria-describedby, and is invalid."""
    for name in names:
        (message,) = page.find("p", data_field_error=name)
        assert message.text.strip(), name
        inputs = [e for e in page.elements if e.attrs.get("name") == name and e.tag != "p"]
        assert inputs, name
        for element in inputs:
            assert element.attrs.get("aria-invalid") == "true", name
            assert message.attrs["id"] in element.attrs["aria-describedby"].split(), name
