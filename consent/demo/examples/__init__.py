"""Five reference-site configurations, modelled on the websites the product was designed from.

Each is data (vendors in their categories, settings, en/nl banner texts written for this
product) and loads as a working site with ``flask --app consent demo --example NAME``.
See ../shared/SEED-SITES.md for what each reference site needs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from consent.core.texts import DEFAULT_TEXTS
from consent.demo.examples.tags import Tag
from consent.extensions import db
from consent.models import Site
from consent.sites.drafts import replace_draft, validate_draft
from consent.sites.owner import new_site_key
from consent.sites.versions import publish_draft


@dataclass(frozen=True)
class Revision:
    """One published version of a reference site's policy (the last one is current)."""

    vendors: dict[str, dict[str, Any]]
    texts: dict[str, Any]
    requires_reconsent: bool = False


@dataclass(frozen=True)
class Example:
    """A reference site: how it is configured and what its demo page shows."""

    slug: str
    name: str
    language: str
    summary: str
    revisions: tuple[Revision, ...]
    retention_days: int = 365
    choice_lifetime_days: int = 182
    cookie_statement: bool = False
    #: What the reference site's own policy promises; the demo privacy page lists it.
    promises: tuple[str, ...] = field(default=())
    #: The company's name in its pages' header, and the languages of its pages (the first
    #: is the default; the others are a ``?lang=`` switch away).
    brand: str = ""
    languages: tuple[str, ...] = ("en",)
    #: What its services or products page is called in each language of its pages.
    offer: dict[str, str] = field(default_factory=dict)
    #: The vendors' standard tags its pages carry, pasted as the vendors publish them.
    tags: tuple[Tag, ...] = ()


def texts(overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The default en/nl texts with a site's own wording laid over them (per key); the
    reference sites speak English and Dutch only, so no generic German or French beside
    their own wording."""
    result = copy.deepcopy({lang: DEFAULT_TEXTS[lang] for lang in ("en", "nl")})
    for lang, changes in overrides.items():
        for key, value in changes.items():
            if key == "categories":
                for cat, words in value.items():
                    result[lang]["categories"][cat].update(words)
            else:
                result[lang][key] = value
    return result


def examples() -> dict[str, Example]:
    """Every reference site by its slug."""
    from consent.demo.examples import bconnect, belco, connect_group, custom_connect, ekco

    found = (bconnect.EXAMPLE, belco.EXAMPLE, custom_connect.EXAMPLE, connect_group.EXAMPLE)
    return {e.slug: e for e in (*found, ekco.EXAMPLE)}


#: The slugs ``demo --example`` accepts.
SLUGS = ("bconnect", "belco", "custom-connect", "connect-group", "ekco")


def example_named(name: str) -> Example | None:
    """The reference site with this site name, if it is one."""
    return next((e for e in examples().values() if e.name == name), None)


def load_example(slug: str, public_url: str) -> Site:
    """Create the reference site (all its versions published) once; later, keep it reachable.

    Its origins are the demo's own address (and its localhost twin), since the demo
    serves the reference page itself.
    """
    example = examples()[slug]
    origins = sorted({public_url, public_url.replace("127.0.0.1", "localhost")})
    site = db.session.scalar(select(Site).where(Site.name == example.name))
    if site is not None:
        if not set(origins) <= set(site.origins) or not site.auto_block:
            # Its pages carry the vendors' own tags: auto-blocking holds them back.
            site.origins = sorted({*site.origins, *origins})
            site.auto_block = True
            site.state_version += 1
        db.session.commit()
        return site
    links = _links(example, public_url)
    drafts = [
        validate_draft(
            {**links, "texts": r.texts, "vendors": r.vendors}, default_language=example.language
        )
        for r in example.revisions
    ]
    site = Site(
        site_key=new_site_key(),
        name=example.name,
        origins=origins,
        default_language=example.language,
        choice_lifetime_days=example.choice_lifetime_days,
        retention_days=example.retention_days,
        auto_block=True,
        draft=drafts[0],
        state_version=1,
    )
    db.session.add(site)
    db.session.flush()
    for draft, revision in zip(drafts, example.revisions, strict=True):
        replace_draft(site, draft)
        publish_draft(site, revision.requires_reconsent)
    db.session.commit()
    return site


def _links(example: Example, public_url: str) -> dict[str, Any]:
    base = f"{public_url}/demo/example/{example.slug}"
    return {
        "privacy_policy_url": f"{base}/privacy",
        "cookie_statement_url": f"{base}/cookies" if example.cookie_statement else None,
    }
