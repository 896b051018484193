"""Published policy versions: the one publish, their hash, their reads, what the banner shows.

Publishing freezes a site's draft as its next version. Published versions are never
modified: the ORM refuses it here, the database (migration 0005) refuses it again.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from consent.core.canonical import digest
from consent.core.catalog import CATEGORIES
from consent.core.texts import labels_for
from consent.core.theme import config_theme
from consent.core.times import iso_now
from consent.core.vendors import SERVES, served, vendor_for
from consent.errors import Conflict, NotFound
from consent.extensions import db
from consent.models import PolicyVersion, Site
from consent.params import whole
from consent.sites.theme import check_contrast, effective_theme


class PublishedVersionImmutable(RuntimeError):
    """Code tried to change or delete a published policy version."""


class DraftUnchanged(Conflict):
    """Publishing would freeze a copy of the current version: nothing to publish."""

    def __init__(self, version: int) -> None:
        super().__init__(f"Nothing to publish: the draft is identical to version {version}")
        #: The current version the draft is identical to.
        self.version = version


@event.listens_for(PolicyVersion, "before_update")
def _refuse_update(_mapper: Mapper[Any], _connection: Any, target: PolicyVersion) -> None:
    raise PublishedVersionImmutable(f"policy version {target.version} is published and frozen")


@event.listens_for(PolicyVersion, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _connection: Any, target: PolicyVersion) -> None:
    raise PublishedVersionImmutable(f"policy version {target.version} cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE statements bypass the per-object events above.
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is PolicyVersion for mapper in state.all_mappers
    ):
        raise PublishedVersionImmutable("published policy versions are never modified")


def policy_hash(
    texts: dict[str, Any],
    vendors: dict[str, dict[str, Any]],
    privacy_policy_url: str,
    cookie_statement_url: str | None = None,
    theme: dict[str, Any] | None = None,
) -> str:
    """SHA-256 of exactly what the banner shows: texts, categories, vendors, links, theme.

    A version stores its theme (every one published since themes exist); one without (older)
    shows today's look and hashes exactly as it did before, so its receipts keep verifying.
    The theme is hashed as stored, never as filled in: the hash stays a function of the row.
    Likewise a version without custom vendors hashes exactly as before they existed.
    """
    shown: dict[str, Any] = {
        "texts": texts,
        "categories": list(CATEGORIES),
        "vendors": {vid: _shown_vendor(v) for vid, v in vendors.items()},
        "privacy_policy_url": privacy_policy_url,
    }
    if cookie_statement_url:
        shown["cookie_statement_url"] = cookie_statement_url
    if theme is not None:
        shown["theme"] = theme
    return digest(shown)


def _shown_vendor(entry: dict[str, Any]) -> dict[str, Any]:
    """A vendor as the hash covers it: its category, the categories a loader serves where
    the owner named them (policy: they decide when it loads), and a custom vendor's
    definition (name, hosts, cookies, link; a catalogue vendor's facts are the catalogue's).
    A vendor without either hashes as before they existed."""
    shown: dict[str, Any] = {"category": entry["category"]}
    if serves := entry.get("settings", {}).get(SERVES):
        shown["serves"] = serves
    if "custom" in entry:
        shown["custom"] = entry["custom"]
    return shown


def reconsent_needed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether visitors must choose again: a vendor enabled anew, or one moved category (or
    a loader now serving a category it did not: it would load on a choice that never named
    it).

    Removing vendors, editing texts or other settings or changing the URL asks nobody
    again: a consent already given covers less, never more.
    """
    added = set(new) - set(old)
    moved = any(
        new[v]["category"] != old[v]["category"] or set(served(new[v])) - set(served(old[v]))
        for v in set(new) & set(old)
    )
    return bool(added or moved)


def publish_draft(site: Site, requires_reconsent: bool | None = None) -> PolicyVersion:
    """Freeze the site's draft as its next policy version; the caller commits.

    ``None`` lets the diff decide re-consent (:func:`reconsent_needed`). A draft identical
    to the current version raises :class:`DraftUnchanged` (409) and creates nothing. The
    site's state version moves on, so every worker's cache reloads the site within its TTL.
    """
    draft = site.draft
    current = latest_version(site.id)
    if current is not None and freezes_the_same(current, draft):
        raise DraftUnchanged(current.version)
    if requires_reconsent is None:
        requires_reconsent = current is not None and reconsent_needed(
            current.vendors, draft["vendors"]
        )
    theme = effective_theme(draft.get("theme"))
    check_contrast(theme)
    version = PolicyVersion(
        site_id=site.id,
        version=(current.version if current else 0) + 1,
        published_at=iso_now(),
        privacy_policy_url=draft["privacy_policy_url"],
        cookie_statement_url=draft.get("cookie_statement_url"),
        texts=copy.deepcopy(draft["texts"]),
        vendors=copy.deepcopy(draft["vendors"]),
        requires_reconsent=requires_reconsent,
        policy_hash=policy_hash(
            draft["texts"],
            draft["vendors"],
            draft["privacy_policy_url"],
            draft.get("cookie_statement_url"),
            theme,
        ),
        theme=theme,
    )
    db.session.add(version)
    site.state_version = (site.state_version or 0) + 1
    db.session.flush()
    return version


def freezes_the_same(version: PolicyVersion, draft: dict[str, Any]) -> bool:
    """Whether publishing the draft would freeze exactly what ``version`` froze.

    Everything a version stores from its draft counts, settings included: a new measurement
    id is worth a version even though ``policy_hash`` (what the banner shows) stays the same.
    """
    return (
        draft["privacy_policy_url"] == version.privacy_policy_url
        and draft.get("cookie_statement_url") == version.cookie_statement_url
        and draft["texts"] == version.texts
        and draft["vendors"] == version.vendors
        and effective_theme(draft.get("theme")) == effective_theme(version.theme)
    )


def identical_version(site: Site) -> PolicyVersion | None:
    """The current version when the draft is identical to it (nothing to publish), else None."""
    current = latest_version(site.id)
    return current if current is not None and freezes_the_same(current, site.draft) else None


def list_policies(site_id: int) -> list[PolicyVersion]:
    """Every published version of the site, oldest first."""
    query = select(PolicyVersion).where(PolicyVersion.site_id == site_id)
    return list(db.session.scalars(query.order_by(PolicyVersion.version)))


def latest_version(site_id: int) -> PolicyVersion | None:
    """The site's current (latest published) version."""
    query = select(PolicyVersion).where(PolicyVersion.site_id == site_id)
    return db.session.scalar(query.order_by(PolicyVersion.version.desc()).limit(1))


def find_policy(site_id: int, version: int) -> PolicyVersion | None:
    """One published version of the site."""
    return db.session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.site_id == site_id, PolicyVersion.version == version
        )
    )


def get_version(site_id: int, version: str | int) -> PolicyVersion:
    """One published version; 404 for anything that is not one (text or number)."""
    number = whole(str(version), max_digits=9)
    row = None if number is None else find_policy(site_id, number)
    if row is None:
        raise NotFound("unknown policy version")
    return row


def policy_contents(row: PolicyVersion) -> dict[str, Any]:
    """What a version shows, in the shape of a draft (for diffs)."""
    return {
        "privacy_policy_url": row.privacy_policy_url,
        "cookie_statement_url": row.cookie_statement_url,
        "texts": row.texts,
        "vendors": row.vendors,
        # As stored: null for a version older than themes (it shows the default look).
        "theme": row.theme,
    }


def policy_dict(version: PolicyVersion) -> dict[str, Any]:
    """A published policy version as GET …/policies/<v> shows it (texts exactly as stored)."""
    return {
        "version": version.version,
        "published_at": version.published_at,
        **policy_contents(version),
        "requires_reconsent": version.requires_reconsent,
        "policy_hash": version.policy_hash,
    }


def banner_config(
    *,
    site_key: str,
    version: int | None,
    policy_hash: str,
    language: str,
    default_language: str,
    texts: dict[str, dict[str, str]],
    vendors: dict[str, dict[str, Any]],
    privacy_policy_url: str | None,
    cookie_statement_url: str | None,
    choice_lifetime_days: int,
    theme: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the banner reads: one language's texts, the categories, the vendors' facts and
    the theme (today's look for a version without one)."""
    return {
        "site_key": site_key,
        "policy_version": version,
        "policy_hash": policy_hash,
        "language": language,
        "default_language": default_language,
        "languages": sorted(texts),
        "texts": texts[language],
        "labels": labels_for(language),
        "privacy_policy_url": privacy_policy_url,
        "cookie_statement_url": cookie_statement_url,
        "choice_lifetime_days": choice_lifetime_days,
        "theme": config_theme(effective_theme(theme)),
        "categories": [
            {
                "id": cat,
                "locked": cat == "necessary",
                "vendors": [v for v, entry in vendors.items() if entry["category"] == cat],
            }
            for cat in CATEGORIES
        ],
        "vendors": {vid: _config_vendor(vendors, vid) for vid in vendors},
    }


def _config_vendor(vendors: dict[str, dict[str, Any]], vendor_id: str) -> dict[str, Any]:
    """One vendor as the banner reads it, catalogue or custom alike."""
    vendor = vendor_for(vendors, vendor_id)
    assert vendor is not None, vendor_id  # a version names only vendors it knows
    return {
        "name": vendor.name,
        "category": vendors[vendor_id]["category"],
        "settings": vendors[vendor_id]["settings"],
        "cookies": list(vendor.cookies),
        "kind": vendor.kind,
    }
