"""What a site scan saw in one browser state, before anything is classified.

The crawler (:mod:`consent.scans.crawler`) fills these; :mod:`consent.core.scan_report`
turns them into the report. Plain data: no browser, no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The three states a scan visits the site in, each in a fresh browser context.
STATES: tuple[str, ...] = ("none", "reject_all", "accept_all")
#: The states in which only strictly necessary vendors may be seen.
BEFORE_CONSENT: tuple[str, ...] = ("none", "reject_all")
#: What a scan's status is, from the request to its end.
SCAN_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
#: Storage areas a scan reads.
STORAGE_KINDS: tuple[str, ...] = ("local", "session")


@dataclass(frozen=True)
class SeenCookie:
    """A cookie in the browser context after a page: its attributes and where it was set."""

    name: str
    domain: str
    path: str
    #: Seconds since the epoch; None for a session cookie.
    expires: float | None
    secure: bool
    http_only: bool
    same_site: str
    #: The pages whose visit set or changed it, in crawl order.
    pages: tuple[str, ...]


@dataclass(frozen=True)
class SeenStorage:
    """A key in a page's ``localStorage`` (``local``) or ``sessionStorage`` (``session``)."""

    kind: str
    key: str


@dataclass(frozen=True)
class SeenRequest:
    """A request to a host outside the site's origins (answered locally, never forwarded)."""

    #: The full URL as the page asked for it (the report keeps it without its query).
    url: str
    #: The browser's resource type: document, script, image, xhr, fetch, …
    type: str
    #: What made the request: the script or page URL, when the browser says.
    initiator: str | None


@dataclass(frozen=True)
class StateSeen:
    """Everything one state's visit of the pages left behind or sent."""

    cookies: tuple[SeenCookie, ...] = ()
    storage: tuple[SeenStorage, ...] = ()
    requests: tuple[SeenRequest, ...] = ()


@dataclass(frozen=True)
class SeenPage:
    """A crawled page and the HTTP status it answered with (None: it did not load)."""

    url: str
    status: int | None


@dataclass(frozen=True)
class Crawl:
    """A finished crawl: the pages (crawl order) and what each state saw on them."""

    pages: tuple[SeenPage, ...]
    states: dict[str, StateSeen] = field(default_factory=dict)
    #: When the crawl ended (seconds since the epoch): cookie durations count from here.
    observed_at: float = 0.0
