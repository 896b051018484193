"""Site state and its per-worker cache: what the gate, config and embed answer from.

Publishing and the versions themselves live in :mod:`consent.sites.versions`; a publish
or an owner change bumps the site's state version, which the cache re-reads at most once
per TTL; with Redis, :mod:`consent.sites.broadcast` drops the site from every worker's
cache at once.
"""

from __future__ import annotations

import json
import math
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from consent.core.gate import SitePolicy, receipt_vendors
from consent.core.vendors import loaders_served
from consent.errors import NotFound, Unavailable
from consent.extensions import db
from consent.models import PolicyVersion, Site
from consent.sites.versions import banner_config


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """What the visitor API needs to know of any published version."""

    version: int
    policy_hash: str
    vendor_categories: Mapping[str, str]
    languages: frozenset[str]
    #: Each loader whose owner named the categories its container serves, with them.
    vendor_serves: Mapping[str, Sequence[str]]

    def receipt_vendors(self, categories: Mapping[str, bool]) -> dict[str, bool]:
        """A receipt's ``vendors`` under this version for a choice of ``categories``."""
        return receipt_vendors(categories, self.vendor_categories, self.vendor_serves)


class _Versions:
    """A site's published versions by number: the current one from the worker's cache,
    an older one (only a consents POST made under a banner since replaced names one) with
    one indexed read, so the cache holds no more of old versions than the gate needs."""

    __slots__ = ("_current", "_site_id")

    def __init__(self, site_id: int, current: PublishedVersion) -> None:
        self._site_id, self._current = site_id, current

    def get(self, number: int) -> PublishedVersion | None:
        """The published version ``number`` of this site, or None."""
        if number == self._current.version:
            return self._current
        if type(number) is not int or not 0 < number < 2**31:
            return None
        try:
            row = db.session.scalar(
                select(PolicyVersion).where(
                    PolicyVersion.site_id == self._site_id, PolicyVersion.version == number
                )
            )
            found = None if row is None else _published(row)
        except SQLAlchemyError as error:
            db.session.rollback()
            raise Unavailable("the consent database is unavailable") from error
        db.session.rollback()
        return found

    def __getitem__(self, number: int) -> PublishedVersion:
        found = self.get(number)
        if found is None:
            raise KeyError(number)
        return found


@dataclass(frozen=True, slots=True)
class SiteState:
    """A worker's snapshot of one site: enough to answer the gate, config and embed.

    Texts, vendors and their categories are shared between sites that publish the same
    ones (most keep the default texts), so a cached site costs little more than its keys.
    """

    site_id: int
    site_key: str
    name: str
    origins: frozenset[str]
    default_language: str
    choice_lifetime_days: int
    #: Whether the embed holds back known trackers (the site's ``auto_block`` setting).
    auto_block: bool
    state_version: int
    current: Mapping[str, Any]
    versions: _Versions
    gate: SitePolicy

    def language(self, wanted: str | None) -> str:
        """The primary subtag of ``wanted`` if the banner has texts for it, else the default."""
        primary = (wanted or "").split("-", 1)[0].lower()
        return primary if primary in self.current["texts"] else self.default_language

    def config(self, language: str) -> dict[str, Any]:
        """The banner configuration for one language (GET …/config)."""
        current = self.current
        return banner_config(
            site_key=self.site_key,
            version=current["version"],
            policy_hash=current["policy_hash"],
            language=language,
            default_language=self.default_language,
            texts=current["texts"],
            vendors=current["vendors"],
            privacy_policy_url=current["privacy_policy_url"],
            cookie_statement_url=current["cookie_statement_url"],
            choice_lifetime_days=self.choice_lifetime_days,
            theme=current["theme"],
        )


class _SharedDict(dict):  # type: ignore[type-arg]
    """A dict that a weak reference can point to (plain dicts cannot)."""

    __slots__ = ("__weakref__",)


_shared: weakref.WeakValueDictionary[str, _SharedDict] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def _share(value: dict[str, Any]) -> Mapping[str, Any]:
    """One object for equal JSON values across cached sites, kept while any site uses it."""
    key = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with _shared_lock:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = _SharedDict(value)
        return found


def _published(row: PolicyVersion) -> PublishedVersion:
    return PublishedVersion(
        row.version,
        row.policy_hash,
        _share({vid: entry["category"] for vid, entry in row.vendors.items()}),
        frozenset(row.texts),
        _share(loaders_served(row.vendors)),
    )


def _load(site: Site) -> SiteState:
    """A site's state from two indexed reads: its newest version, and the newest version
    that required re-consent (all the gate needs of the older ones)."""
    latest = db.session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.site_id == site.id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    if latest is None:
        raise NotFound("unknown site")
    reconsent = db.session.scalar(
        select(func.max(PolicyVersion.version)).where(
            PolicyVersion.site_id == site.id, PolicyVersion.requires_reconsent.is_(True)
        )
    )
    published = _published(latest)
    return SiteState(
        site_id=site.id,
        site_key=site.site_key,
        name=site.name,
        origins=frozenset(site.origins),
        default_language=site.default_language,
        choice_lifetime_days=site.choice_lifetime_days,
        auto_block=site.auto_block,
        state_version=site.state_version,
        current={
            "version": latest.version,
            "policy_hash": latest.policy_hash,
            "texts": _share(latest.texts),
            "vendors": _share(latest.vendors),
            "privacy_policy_url": latest.privacy_policy_url,
            "cookie_statement_url": latest.cookie_statement_url,
            "published_at": latest.published_at,
            "theme": latest.theme,
        },
        versions=_Versions(site.id, published),
        gate=SitePolicy(
            site_key=site.site_key,
            policy_version=latest.version,
            reconsent_version=reconsent or 0,
            choice_lifetime_days=site.choice_lifetime_days,
            vendor_categories=published.vendor_categories,
            vendor_serves=published.vendor_serves,
        ),
    )


class SiteCache:
    """Per-worker site state for at most ``size`` sites (least recently used go first),
    re-validated at most once per TTL with one indexed read.

    When the database is down, cached sites keep being served (the gate, config and
    embed must keep answering); unknown and evicted ones get 503.
    """

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self._entries: LRUCache[str, tuple[SiteState, float]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        #: Moves on at every forget or clear: a state read before it is not trusted for a TTL.
        self._epoch = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, site_key: str) -> SiteState:
        """The state of ``site_key``; raises :class:`NotFound` or :class:`Unavailable`."""
        with self._lock:
            entry = self._entries.get(site_key)
            epoch = self._epoch
        now = time.monotonic()
        if entry is not None and now - entry[1] < self.ttl:
            return entry[0]
        if len(site_key) > 64 or "\x00" in site_key:
            raise NotFound("unknown site")
        try:
            state = self._refresh(site_key, entry[0] if entry else None)
        except SQLAlchemyError as error:
            db.session.rollback()
            if entry is None:
                raise Unavailable("the consent database is unavailable") from error
            state = entry[0]
        with self._lock:
            if state is None:
                self._entries.pop(site_key, None)
                raise NotFound("unknown site")
            # A change announced while this read ran may postdate it: re-check next time.
            self._entries[site_key] = (state, now if epoch == self._epoch else -math.inf)
        return state

    def fresh(self, site_key: str) -> bool:
        """Whether the next :meth:`get` of ``site_key`` answers from the cache, unread."""
        return self.cached(site_key) is not None

    def cached(self, site_key: str) -> SiteState | None:
        """What :meth:`get` answers from the cache unread, or None where it would read
        (unknown, evicted, forgotten or past its TTL): never touches the database."""
        with self._lock:
            entry = self._entries.get(site_key)
        if entry is not None and time.monotonic() - entry[1] < self.ttl:
            return entry[0]
        return None

    def forget(self, site_key: str) -> None:
        """Drop a site so the next request reloads it (a change here or announced)."""
        with self._lock:
            self._entries.pop(site_key, None)
            self._epoch += 1

    def clear(self) -> None:
        """Drop every site (changes may have been missed: Redis was away)."""
        with self._lock:
            self._entries.clear()
            self._epoch += 1

    def _refresh(self, site_key: str, cached: SiteState | None) -> SiteState | None:
        version = db.session.scalar(select(Site.state_version).where(Site.site_key == site_key))
        if version is None:
            db.session.rollback()
            return None
        if cached is not None and cached.state_version == version:
            db.session.rollback()
            return cached
        site = db.session.scalar(select(Site).where(Site.site_key == site_key))
        state = _load(site) if site is not None else None
        db.session.rollback()
        return state


def site_state(site_key: str) -> SiteState:
    """The cached state of a site for this worker."""
    cache: SiteCache = current_app.extensions["consent_sites"]
    return cache.get(site_key)
