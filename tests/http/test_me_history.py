"""The visitor's history page (``/me?format=html``, issue 19 item 10): each choice in plain
words in the page's language, the downloads, what the proof means; the token stays private."""

from __future__ import annotations

import logging
import re
import threading
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server

from consent.ledger.exports import CSV_COLUMNS
from consent.visitor.api import PROOF_COLUMNS
from tests.helpers import Visitor

from .auditing import Page

#: (language, the three summaries, the titles allowed by the custom choice, a month name)
WORDS = [
    (
        "en",
        ["You accepted all categories.", "You chose category by category.",
         "You withdrew your consent."],
        "Strictly necessary, Performance",
        "Refused",
    ),
    (
        "nl",
        ["U accepteerde alle categorieën.", "U koos per categorie.", "U trok uw toestemming in."],
        "Strikt noodzakelijk, Prestaties",
        "Geweigerd",
    ),
    (
        "de",
        ["Sie haben alle Kategorien akzeptiert.", "Sie haben je Kategorie entschieden.",
         "Sie haben Ihre Einwilligung widerrufen."],
        "Unbedingt erforderlich, Statistik",
        "Abgelehnt",
    ),
    (
        "fr",
        ["Vous avez tout accepté.", "Vous avez choisi catégorie par catégorie.",
         "Vous avez retiré votre consentement."],
        "Strictement nécessaires, Mesure d'audience",
        "Refusé",
    ),
]  # fmt: skip


def history(client: FlaskClient, site: str, token: str, **params: str) -> Any:
    """GET the history page."""
    query = {"token": token, "format": "html", **params}
    return client.get(f"/api/v1/sites/{site}/me", query_string=query)


def three_choices(client: FlaskClient, site: str) -> tuple[Visitor, list[dict[str, Any]]]:
    """A visitor who accepts all, then allows performance only, then withdraws under GPC."""
    visitor = Visitor(client, site)
    receipts = [
        visitor.choose("accept_all"),
        visitor.choose("custom", categories={"performance": True}),
        visitor.choose("withdraw", headers={"Sec-GPC": "1"}),
    ]
    Visitor(client, site).choose("reject_all")  # someone else's choice is not listed
    return visitor, receipts


def entry_texts(page: Page, receipt_id: str) -> dict[str, str]:
    """What one listed choice says, by its ``data-history`` part."""
    (item,) = page.find("li", data_receipt=receipt_id)
    start = page.elements.index(item)
    parts = {}
    for element in page.elements[start + 1 :]:
        if element.tag == "li" and "data-receipt" in element.attrs:
            break
        if "data-history" in element.attrs:
            parts[element.attrs["data-history"]] = " ".join(element.text.split())
    return parts


@pytest.mark.parametrize(("lang", "summaries", "custom_allowed", "refused_label"), WORDS)
def test_the_page_lists_each_choice_in_order_in_the_pages_language(
    client: FlaskClient,
    site: str,
    lang: str,
    summaries: list[str],
    custom_allowed: str,
    refused_label: str,
) -> None:
    visitor, receipts = three_choices(client, site)
    assert visitor.token is not None
    response = history(client, site, visitor.token, lang=lang)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = Page.of(response)
    (html,) = page.find("html")
    assert html.attrs["lang"] == lang
    listed = [e.attrs["data-receipt"] for e in page.find("li") if "data-receipt" in e.attrs]
    assert listed == [r["receipt_id"] for r in receipts]  # oldest first, only this visitor's
    entries = [entry_texts(page, r["receipt_id"]) for r in receipts]
    assert [e["summary"] for e in entries] == summaries
    assert entries[1]["allowed"] == custom_allowed
    assert entries[2]["allowed"] == custom_allowed.split(",")[0]  # necessary only
    assert entries[0]["refused"] not in ("", entries[1]["refused"])  # "nothing", in words
    assert refused_label in [" ".join(e.text.split()) for e in page.find("dt")]
    for entry in entries:
        assert entry["page"] == "https://shop.example/products"  # no query, no fragment
        assert entry["version"].startswith("1")
    assert entries[2]["signals"] == "Global Privacy Control"
    assert "signals" not in entries[0]
    times = [e for e in page.find("time")]
    assert [t.attrs["datetime"] for t in times] == [r["created_at"] for r in receipts]
    year = receipts[0]["created_at"][:4]
    assert all(re.fullmatch(rf"\d{{1,2}}(er)?\.? \S+ {year}, \d\d:\d\d UTC", t.text) for t in times)


def test_english_words_in_full(client: FlaskClient, site: str) -> None:
    visitor, receipts = three_choices(client, site)
    assert visitor.token is not None
    page = Page.of(history(client, site, visitor.token, lang="en"))
    first = entry_texts(page, receipts[0]["receipt_id"])
    assert first["allowed"] == (
        "Strictly necessary, Performance, Functionality, Targeting and advertising, Social media"
    )
    assert first["refused"] == "nothing"
    assert entry_texts(page, receipts[1]["receipt_id"])["refused"] == (
        "Functionality, Targeting and advertising, Social media"
    )
    created = datetime.fromisoformat(receipts[0]["created_at"])  # Python's C locale: English
    expected = f"{created.day} {created:%B %Y, %H:%M} UTC"
    assert page.find("time")[0].text == expected


def test_without_lang_the_page_speaks_the_language_of_the_last_choice(
    client: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("reject_all", language="nl")
    assert visitor.token is not None
    page = Page.of(history(client, site, visitor.token))
    assert page.find("html")[0].attrs["lang"] == "nl"
    unknown = Page.of(history(client, site, visitor.token, lang="xx"))  # the site's default
    assert unknown.find("html")[0].attrs["lang"] == "en"


def test_downloads_and_log_links_work(client: FlaskClient, site: str) -> None:
    visitor, _receipts = three_choices(client, site)
    assert visitor.token is not None
    page = Page.of(history(client, site, visitor.token, lang="nl"))
    (json_link,) = page.find("a", data_download="json")
    (csv_link,) = page.find("a", data_download="csv")
    as_json = client.get(json_link.attrs["href"])
    assert as_json.status_code == 200 and [i["seq"] for i in as_json.json["items"]] == [1, 2, 3]
    assert "proof" in as_json.json["items"][0]
    as_csv = client.get(csv_link.attrs["href"])
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    for name in ("checkpoint", "key"):
        (link,) = page.find("a", data_log=name)
        assert client.get(link.attrs["href"]).status_code == 200
    # What the proof means, in the page's language, and the open verifier that checks it (no
    # pointer to a README a visitor cannot read).
    paragraphs = [" ".join(p.text.split()) for p in page.find("p")]
    assert any("transparantielogboek" in p and "verify-export" in p for p in paragraphs)
    assert not any("README" in p for p in paragraphs)


def test_every_language_of_the_site_is_offered(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    assert visitor.token is not None
    page = Page.of(history(client, site, visitor.token, lang="de"))
    languages = {a.attrs["hreflang"]: a for a in page.find("a") if "hreflang" in a.attrs}
    assert set(languages) == {"en", "nl", "de", "fr"}
    assert languages["de"].attrs.get("aria-current") == "page"
    assert Page.of(client.get(languages["fr"].attrs["href"])).find("html")[0].attrs["lang"] == "fr"


def test_an_erased_context_says_so(client: FlaskClient, runner: FlaskCliRunner, site: str) -> None:
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all")
    assert visitor.token is not None
    erased = runner.invoke(
        args=["erase-subject", "--site", site, "--subject", receipt["subject_id"], "--json"]
    )
    assert erased.exit_code == 0, erased.output
    page = Page.of(history(client, site, visitor.token, lang="en"))
    assert entry_texts(page, receipt["receipt_id"])["page"].startswith("no longer kept")


@pytest.mark.parametrize("token", ["", "not-a-token", "other-site"])
def test_an_invalid_token_gets_the_same_status_as_json(
    client: FlaskClient, site: str, other_site: str, token: str
) -> None:
    if token == "other-site":
        other = Visitor(client, other_site)
        other.choose("accept_all")
        assert other.token is not None
        token = other.token
    as_json = client.get(f"/api/v1/sites/{site}/me", query_string={"token": token})
    as_html = history(client, site, token)
    assert as_json.status_code == as_html.status_code == 401
    assert as_json.json["error"]["code"] == "unauthorized"
    assert as_html.mimetype == "text/html"
    for response in (as_json, as_html):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    unknown = history(client, "no-such-site", token)
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"


def test_headers_of_the_page(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    assert visitor.token is not None
    response = history(client, site, visitor.token)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'"):  # fmt: skip
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in headers
    page = Page.of(response)
    assert not page.find("script") and not page.find("style")
    assert not [e for e in page.elements if "style" in e.attrs]
    assert page.find("meta", name="referrer")[0].attrs["content"] == "no-referrer"


def test_json_and_csv_keep_their_contract(client: FlaskClient, site: str) -> None:
    visitor, _receipts = three_choices(client, site)
    base = f"/api/v1/sites/{site}/me"
    as_json = client.get(base, query_string={"token": visitor.token})
    assert as_json.mimetype == "application/json" and set(as_json.json) == {"subject_id", "items"}
    assert as_json.headers["Cache-Control"] == "no-store"
    as_csv = client.get(base, query_string={"token": visitor.token, "format": "csv"})
    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="my-consents.csv"'
    header = as_csv.get_data(as_text=True).splitlines()[0]
    assert header == ",".join((*CSV_COLUMNS, *PROOF_COLUMNS))


def test_the_token_reaches_no_log(
    app: Flask, client: FlaskClient, site: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the app's logs nor the demo server's access log carry the query string."""
    from consent.demo.server import _PathOnlyLog

    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    assert visitor.token is not None
    caplog.set_level(logging.DEBUG)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_PathOnlyLog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for token in (visitor.token, visitor.token[:-2]):  # the page, and the error page
            url = f"http://127.0.0.1:{server.server_port}/api/v1/sites/{site}/me?format=html"
            try:
                urllib.request.urlopen(f"{url}&token={token}", timeout=10).close()
            except urllib.error.HTTPError as error:
                assert error.code == 401
                error.close()
    finally:
        server.shutdown()
        thread.join()
    assert f"/api/v1/sites/{site}/me" in caplog.text  # the access log was captured
    assert visitor.token[:-2] not in caplog.text and "token=" not in caplog.text
