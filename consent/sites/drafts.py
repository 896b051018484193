"""Drafts and policy versions: what an owner edits, publishes and compares.

An owner edits one draft per site; publishing freezes it as the next policy version.
Published versions are never modified: the ORM refuses it here, the database (migration
0005) refuses it again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from consent.core.texts import LANGUAGES
from consent.errors import InvalidField, NotFound
from consent.extensions import db
from consent.models import PolicyVersion, Site
from consent.params import whole
from consent.sites.state import publish
from consent.sites.validation import validate_https_url, validate_texts, validate_vendors

#: Members a draft PUT may carry (``based_on`` is informative and ignored).
DRAFT_FIELDS = ("based_on", "privacy_policy_url", "cookie_statement_url", "texts", "vendors")


class PublishedVersionImmutable(RuntimeError):
    """Code tried to change or delete a published policy version."""


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


def versions_of(site_id: int) -> list[PolicyVersion]:
    """Every published version of a site, oldest first."""
    query = select(PolicyVersion).where(PolicyVersion.site_id == site_id)
    return list(db.session.scalars(query.order_by(PolicyVersion.version)))


def get_version(site_id: int, version: str | int) -> PolicyVersion:
    """One published version; 404 for anything that is not one (text or number)."""
    number = whole(str(version), max_digits=9)
    if number is None:
        raise NotFound("unknown policy version")
    row = db.session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.site_id == site_id, PolicyVersion.version == number
        )
    )
    if row is None:
        raise NotFound("unknown policy version")
    return row


def latest_version(site_id: int) -> PolicyVersion | None:
    """The site's current (latest published) version."""
    query = select(PolicyVersion).where(PolicyVersion.site_id == site_id)
    return db.session.scalar(query.order_by(PolicyVersion.version.desc()).limit(1))


def policy_contents(row: PolicyVersion) -> dict[str, Any]:
    """What a version shows, in the shape of a draft (for diffs)."""
    return {
        "privacy_policy_url": row.privacy_policy_url,
        "cookie_statement_url": row.cookie_statement_url,
        "texts": row.texts,
        "vendors": row.vendors,
    }


def draft_dict(site: Site) -> dict[str, Any]:
    """The site's draft as ``GET …/draft`` shows it."""
    current = latest_version(site.id)
    draft = site.draft
    return {
        "based_on": current.version if current else None,
        "privacy_policy_url": draft["privacy_policy_url"],
        "cookie_statement_url": draft.get("cookie_statement_url"),
        "texts": draft["texts"],
        "vendors": draft["vendors"],
    }


def validate_draft(body: object) -> dict[str, Any]:
    """Check a whole draft (``PUT …/draft``) and return it as stored; 422 names the field."""
    if not isinstance(body, dict):
        raise InvalidField("body", "the draft is an object")
    for key in body:
        if key not in DRAFT_FIELDS:
            raise InvalidField(str(key), "unknown member")
    based_on = body.get("based_on")
    if based_on is not None and type(based_on) is not int:
        raise InvalidField("based_on", "must be a version number or null")
    for key in ("privacy_policy_url", "texts", "vendors"):
        if key not in body:
            raise InvalidField(key, "is required")
    privacy = validate_https_url(body["privacy_policy_url"], "privacy_policy_url")
    cookies = body.get("cookie_statement_url")
    if cookies is not None:
        cookies = validate_https_url(cookies, "cookie_statement_url")
    texts = validate_texts(body["texts"], "texts")
    for lang in LANGUAGES:
        if lang not in texts:
            raise InvalidField(f"texts.{lang}", "is required: the banner ships every language")
    return {
        "privacy_policy_url": privacy,
        "cookie_statement_url": cookies,
        "texts": texts,
        "vendors": validate_vendors(body["vendors"], "vendors"),
    }


def replace_draft(site: Site, draft: dict[str, Any]) -> None:
    """Store a validated draft; the caller commits."""
    site.draft = draft
    site.state_version += 1


def update_draft(site: Site, **changes: Any) -> None:
    """Change some members of the draft, validating the result as a whole."""
    merged = {key: value for key, value in site.draft.items() if key in DRAFT_FIELDS}
    merged.update(changes)
    replace_draft(site, validate_draft(merged))


def reconsent_needed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether visitors must choose again: a vendor enabled anew, or one moved category.

    Removing vendors, editing texts or settings or changing the URL asks nobody again:
    a consent already given covers less, never more.
    """
    added = set(new) - set(old)
    moved = any(new[v]["category"] != old[v]["category"] for v in set(new) & set(old))
    return bool(added or moved)


def parse_publish(body: object) -> bool | None:
    """The ``requires_reconsent`` member of a publish body: true, false or null (decide)."""
    if not isinstance(body, dict):
        raise InvalidField("body", 'send {"requires_reconsent": true|false|null}')
    for key in body:
        if key != "requires_reconsent":
            raise InvalidField(str(key), "unknown member")
    value = body.get("requires_reconsent")
    if value is not None and not isinstance(value, bool):
        raise InvalidField("requires_reconsent", "must be true, false or null")
    return value


def publish_draft(site: Site, requires_reconsent: bool | None) -> PolicyVersion:
    """Freeze the draft as the next version; ``None`` lets the diff decide re-consent."""
    current = latest_version(site.id)
    if requires_reconsent is None:
        old = current.vendors if current else {}
        requires_reconsent = current is not None and reconsent_needed(old, site.draft["vendors"])
    row = publish(site, requires_reconsent=requires_reconsent)
    db.session.flush()
    return row


def flat_texts(texts: dict[str, Any]) -> dict[str, str]:
    """Texts as ``{"<lang>.<key>": text}``; category texts as ``<lang>.categories.<id>.<key>``."""
    flat: dict[str, str] = {}
    for lang, entries in texts.items():
        for key, value in entries.items():
            if key == "categories":
                for category, words in value.items():
                    for word, text in words.items():
                        flat[f"{lang}.categories.{category}.{word}"] = text
            else:
                flat[f"{lang}.{key}"] = value
    return flat


def _change(old: Any, new: Any) -> dict[str, Any] | None:
    return None if old == new else {"from": old, "to": new}


def diff_contents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two policies (versions or a draft): texts, vendors, links."""
    old_texts, new_texts = flat_texts(old["texts"]), flat_texts(new["texts"])
    texts = {
        key: {"from": old_texts.get(key), "to": new_texts.get(key)}
        for key in sorted(old_texts.keys() | new_texts.keys())
        if old_texts.get(key) != new_texts.get(key)
    }
    old_v, new_v = old["vendors"], new["vendors"]
    common = sorted(old_v.keys() & new_v.keys())
    return {
        "texts": texts,
        "vendors": {
            "added": sorted(new_v.keys() - old_v.keys()),
            "removed": sorted(old_v.keys() - new_v.keys()),
            "moved": {
                v: {"from": old_v[v]["category"], "to": new_v[v]["category"]}
                for v in common
                if old_v[v]["category"] != new_v[v]["category"]
            },
            "settings": {
                v: {"from": old_v[v].get("settings", {}), "to": new_v[v].get("settings", {})}
                for v in common
                if old_v[v].get("settings", {}) != new_v[v].get("settings", {})
            },
        },
        "privacy_policy_url": _change(old["privacy_policy_url"], new["privacy_policy_url"]),
        "cookie_statement_url": _change(
            old.get("cookie_statement_url"), new.get("cookie_statement_url")
        ),
    }


def version_diff(site_id: int, a: str | int, b: str | int) -> dict[str, Any]:
    """The diff from version ``a`` to ``b``; 404 when either is not a published version.

    ``requires_reconsent`` says whether a choice made under the older of the two is
    outdated under the newer: some version after it, up to the newer, demanded re-consent.
    """
    old, new = get_version(site_id, a), get_version(site_id, b)
    low, high = sorted((old.version, new.version))
    between = [v for v in versions_of(site_id) if low < v.version <= high]
    return {
        "from": old.version,
        "to": new.version,
        **diff_contents(policy_contents(old), policy_contents(new)),
        "requires_reconsent": any(v.requires_reconsent for v in between),
    }


def draft_diff(site: Site) -> dict[str, Any]:
    """What publishing the draft now would change, and whether re-consent is proposed."""
    current = latest_version(site.id)
    empty: dict[str, Any] = {"privacy_policy_url": None, "texts": {}, "vendors": {}}
    base = policy_contents(current) if current else empty
    return {
        "from": current.version if current else None,
        "to": None,
        **diff_contents(base, site.draft),
        "requires_reconsent": current is not None
        and reconsent_needed(current.vendors, site.draft["vendors"]),
    }
