"""The reference sites' pages: a company's home, services, privacy and cookie-policy pages,
each carrying the vendors' own tags as the owner pasted them.

Each page is in one of the site's languages (``?lang=``, else its first), starts its
``<head>`` with the embed, and has a CSP of its own: scripts by nonce (each tag's
``<script>`` gets the response's nonce, as a site with a nonce-based policy does) and from
the vendors' hosts, so that auto-blocking's released snippets run without a violation.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, render_template, request, url_for
from markupsafe import Markup

from consent.demo.examples import Example
from consent.sites.state import SiteState

#: The pages of every reference site, in the order of its navigation.
PAGES = ("home", "services", "privacy", "cookies")

#: Where the released tags load from (scheme-less where a vendor's tag is protocol-relative),
#: and the scripts HubSpot's loader adds in turn.
_SCRIPT_HOSTS = (
    "https://www.googletagmanager.com https://snap.licdn.com https://connect.facebook.net "
    "js.hs-scripts.com js.hs-analytics.net js.hs-banner.com js.hscollectedforms.net "
    "js.usemessages.com js.hsadspixel.net https://cdn.leadinfo.net "
    "https://platform.twitter.com https://player.vimeo.com downloads.mailchimp.com"
)

#: The site chrome's words in each language of the reference sites' pages.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home",
        "privacy": "Privacy",
        "cookies": "Cookie policy",
        "settings": "Cookie settings",
        "menu": "Main menu",
        "language": "Language",
        "rights": "All rights reserved. A made-up company in the Consent Ledger demo.",
    },
    "nl": {
        "home": "Home",
        "privacy": "Privacy",
        "cookies": "Cookiebeleid",
        "settings": "Cookie-instellingen",
        "menu": "Hoofdmenu",
        "language": "Taal",
        "rights": "Alle rechten voorbehouden. Een verzonnen bedrijf in de demo van Consent Ledger.",
    },
}

#: Each language's name in itself, for the language switch.
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}


def reference_csp(nonce: str) -> str:
    """The reference pages' CSP: strict, with the nonce and the vendors' script hosts."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}' {_SCRIPT_HOSTS}; "
        "style-src 'self'; img-src 'self' data: https:; connect-src 'self' https:; "
        "frame-src https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def page_language(example: Example) -> str:
    """The page's language: ``?lang=`` when the site's pages have it, else the first."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in example.languages else example.languages[0]


def with_nonce(tag_html: str, nonce: str) -> Markup:
    """A vendor's tag with the page's nonce on each of its scripts (trusted catalogue text)."""
    return Markup(tag_html.replace("<script", f'<script nonce="{nonce}"'))  # noqa: S704


def page_url(example: Example, site: SiteState, page: str, lang: str) -> str:
    """A reference page's URL; ``?lang=`` only away from the site's first language."""
    args: dict[str, Any] = {} if lang == example.languages[0] else {"lang": lang}
    if page == "home":
        return url_for("demo.owner_page", site_key=site.site_key, **args)
    return url_for("demo.example_page", slug=example.slug, page=page, **args)


def reference_page(example: Example, site: SiteState, page: str) -> Response:
    """A reference site's page in its language, with its tags and its own CSP."""
    lang = page_language(example)
    nonce = secrets.token_urlsafe(16)
    tags: dict[str, list[Markup]] = {"head": [], "start": [], "body": []}
    content: dict[str, Markup] = {}  # by vendor: the page's template places each
    for tag in example.tags:
        if tag.page not in (None, page):
            continue
        if tag.place == "content":
            content[tag.vendor] = with_nonce(tag.html, nonce)
        else:
            tags[tag.place].append(with_nonce(tag.html, nonce))
    nav = [
        (name, page_url(example, site, name, lang), name == page)
        for name in ("home", "services", "privacy", "cookies")
    ]
    switch = [
        (other, LANGUAGE_NAMES[other], page_url(example, site, page, other))
        for other in example.languages
        if other != lang
    ]
    words = {**WORDS[lang], "services": example.offer.get(lang, "Services")}
    body = render_template(
        f"demo/site/{example.slug}/{page}.html",
        example=example,
        site=site,
        page=page,
        lang=lang,
        nonce=nonce,
        tags=tags,
        content=content,
        nav=nav,
        switch=switch,
        words=words,
        embed_src=url_for("embed.loader", site_key=site.site_key),
        url=lambda name: page_url(example, site, name, lang),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = reference_csp(nonce)
    return response
