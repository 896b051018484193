"""The site's cookie declaration: its published version with the report of its last
finished scan, as :mod:`consent.core.declaration` builds it.

A declaration changes only with the site's state (a publish, an owner's change) or a new
scan, and a report can be large, so each worker keeps the latest ones built: a request costs
one indexed read (the last scan's id) and, when the site changed, one read of that report.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache
from sqlalchemy.exc import SQLAlchemyError

from consent.core.declaration import DeclaredSite, declaration
from consent.errors import Unavailable
from consent.extensions import db
from consent.scans.records import last_done, scan_row
from consent.sites.state import SiteState

#: Declarations kept per worker: (site, its state, its policy, the scan, language) → answer.
CACHE_SIZE = 256
_built: LRUCache[tuple[str, int, str, str | None, str], dict[str, Any]] = LRUCache(CACHE_SIZE)
_lock = threading.Lock()


def _report(scan_id: str | None) -> dict[str, Any] | None:
    row = None if scan_id is None else scan_row(scan_id)
    return None if row is None or row.report is None else dict(row.report)


def site_declaration(site: SiteState, language: str) -> dict[str, Any]:
    """The declaration of ``site`` in ``language`` (one the published version has texts in);
    the caller must not change it (it is shared)."""
    current = site.current
    try:
        scan_id = last_done(site.site_id)
        key = (site.site_key, site.state_version, current["policy_hash"], scan_id, language)
        with _lock:
            found = _built.get(key)
        if found is not None:
            return found
        report = _report(scan_id)
    except SQLAlchemyError as error:
        db.session.rollback()
        raise Unavailable("the consent database is unavailable") from error
    declared = DeclaredSite(
        site_key=site.site_key,
        name=site.name,
        policy_version=int(current["version"]),
        vendors=current["vendors"],
        texts=current["texts"][language],
        choice_lifetime_days=site.choice_lifetime_days,
    )
    built = declaration(declared, language, report)
    with _lock:
        _built[key] = built
    return built
