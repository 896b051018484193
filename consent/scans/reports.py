"""A scan's report as stored and served: the crawl classified against the site's published
version, hashed, and signed by the transparency log's key as a C2SP signed note."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from consent.core.classify import Classifier
from consent.core.notes import sign_note
from consent.core.observed import Crawl
from consent.core.scan_report import crawl_report, note_text, report_hash
from consent.core.times import iso_ms
from consent.core.vendors import site_vendors
from consent.ledger.log_keys import log_keys
from consent.scans.plans import origin_of
from consent.sites.state import SiteState


def classifier(site: SiteState, service_url: str) -> Classifier:
    """Classification for the site as its current published version stands."""
    vendors = site.current["vendors"]
    return Classifier(
        enabled={vendor_id: entry["category"] for vendor_id, entry in vendors.items()},
        site_hosts=frozenset(urlsplit(origin).hostname or "" for origin in site.origins),
        service_origin=origin_of(service_url),
        custom=tuple(site_vendors(vendors)),
    )


def signed_report(
    scan_id: str,
    site: SiteState,
    started: datetime,
    finished: datetime,
    crawl: Crawl,
    service_url: str,
) -> dict[str, Any]:
    """The done scan's report with its ``report_hash`` and ``signature``."""
    version = int(site.current["version"])
    report: dict[str, Any] = {
        "scan_id": scan_id,
        "site_key": site.site_key,
        "status": "done",
        "started_at": iso_ms(started),
        "finished_at": iso_ms(finished),
        "policy_version": version,
        **crawl_report(crawl, classifier(site, service_url), version),
    }
    digest = report_hash(report)
    keys = log_keys()
    report["report_hash"] = digest
    report["signature"] = sign_note(note_text(keys.netloc, scan_id, digest), keys.signer)
    return report
