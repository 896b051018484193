"""What a scan may be asked for, and its bounds: start URLs on the site's own origins, at
most 100 pages, 15 s a page, 5 minutes a scan."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from consent.errors import FieldErrors, InvalidField

MAX_PAGES = 100
DEFAULT_PAGES = 20
#: Start URLs a request may name at most.
MAX_URLS = 100
MAX_URL_LENGTH = 2048
PAGE_SECONDS = 15.0
SCAN_SECONDS = 300.0
CHROMIUM = "/usr/bin/chromium"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

#: The scanning browser's User-Agent ends with this, then ``/<scan_id>``: the two consent
#: receipts a scan records (reject all, then accept all) are marked with it.
UA_MARKER = "ConsentLedgerScan"

#: Called with (steps done, steps planned): one step per page per state.
Progress = Callable[[int, int], None]


class CrawlFailed(Exception):
    """The crawl could not finish; its message is the scan's reason."""


@dataclass(frozen=True)
class CrawlPlan:
    """What to crawl and within which bounds."""

    start_urls: tuple[str, ...]
    #: The site's origins: crawled, and their requests not recorded.
    site_origins: frozenset[str]
    #: The consent service's origin: it loads (the banner needs it) but is never crawled.
    service_origin: str
    max_pages: int
    page_seconds: float = PAGE_SECONDS
    scan_seconds: float = SCAN_SECONDS
    chromium: str = CHROMIUM
    #: The scan this crawl is for: its browser's User-Agent names it (:data:`UA_MARKER`).
    scan_id: str = ""
    #: Set from another thread to stop the crawl (``consent worker`` past a job's time):
    #: Chromium is stopped at once and the crawl ends with :class:`CrawlFailed`.
    stop: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-case, default ports left out ("" if none)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    host = f"[{host}]" if ":" in host else host
    suffix = "" if port is None or port == _DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{host}{suffix}"


def check_url(value: object, origins: Iterable[str], field: str) -> str:
    """A start URL: http(s), no user info, on one of the site's origins; else 422."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        raise InvalidField(field, f"must be a URL of at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidField(field, "must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError as error:
        raise InvalidField(field, "not a valid URL") from error
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        raise InvalidField(field, "must be an http(s) URL without user info")
    if origin_of(value) not in set(origins):
        raise InvalidField(field, "is not on one of the site's origins")
    return value


def check_urls(value: object, origins: Iterable[str], field: str = "urls") -> list[str]:
    """The start URLs (a list, possibly empty: then each origin's ``/``, the service's own
    origin's demo page), each checked; 422
    names every invalid one."""
    if not isinstance(value, list) or len(value) > MAX_URLS:
        raise InvalidField(field, f"must be a list of at most {MAX_URLS} URLs")
    known = list(origins)
    errors = FieldErrors()
    checked = []
    for index, url in enumerate(value):
        with errors.collecting():
            checked.append(check_url(url, known, f"{field}[{index}]"))
    errors.raise_any()
    return list(dict.fromkeys(checked))


def check_max_pages(value: object, field: str = "max_pages") -> int:
    """A page limit: a whole number from 1 to 100."""
    if type(value) is not int or not 1 <= value <= MAX_PAGES:
        raise InvalidField(field, f"must be a whole number from 1 to {MAX_PAGES}")
    return value


def parse_scan_request(body: object, origins: Iterable[str]) -> tuple[list[str], int]:
    """``{"urls": [...], "max_pages": N}`` of a scan POST (both optional); 422 names every
    invalid field."""
    if not isinstance(body, dict):
        raise InvalidField("body", 'send {"urls": ["https://…"], "max_pages": 20}')
    errors = FieldErrors()
    for key in body:
        if key not in ("urls", "max_pages"):
            errors.add(str(key), "unknown member")
    urls: list[str] = []
    pages = DEFAULT_PAGES
    with errors.collecting():
        urls = check_urls(body.get("urls", []), origins)
    with errors.collecting():
        pages = check_max_pages(body.get("max_pages", DEFAULT_PAGES))
    errors.raise_any()
    return urls, pages


#: Where the service serves a site's demo page (consent/demo/server.py): the only page of
#: a site that the service's own origin holds.
DEMO_PATH = "/demo/{site_key}"


def start_urls(
    urls: Iterable[str], origins: Iterable[str], service_origin: str = "", site_key: str = ""
) -> tuple[str, ...]:
    """Where the crawl starts: the URLs asked for, else each origin's ``/``, except the
    service's own origin (or a loopback name of it), whose ``/`` is the service's landing
    page: there the site's demo page ``/demo/<site_key>``."""
    asked = tuple(urls)
    if asked:
        return asked
    return tuple(
        f"{origin}{DEMO_PATH.format(site_key=site_key)}"
        if site_key and is_service_origin(origin, service_origin)
        else f"{origin}/"
        for origin in sorted(origins)
    )


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def is_service_origin(origin: str, service_origin: str) -> bool:
    """Whether ``origin`` is the service's own: the same, or the same loopback server by
    another name (``consent demo`` allows both ``127.0.0.1`` and ``localhost``)."""
    mine, theirs = origin_of(origin), origin_of(service_origin)
    if not mine or not theirs:
        return False
    if mine == theirs:
        return True
    (scheme, host, port), (their_scheme, their_host, their_port) = _parts(mine), _parts(theirs)
    return (
        (scheme, port) == (their_scheme, their_port)
        and host in _LOOPBACK
        and their_host in _LOOPBACK
    )


def _parts(origin: str) -> tuple[str, str, str]:
    # (scheme, host, port) of an origin as origin_of writes it.
    scheme, rest = origin.split("://", 1)
    host, _, port = rest.rpartition(":") if not rest.endswith("]") else (rest, "", "")
    return (scheme, host, port) if host else (scheme, rest, "")


def scan_user_agent(browser_agent: str, scan_id: str) -> str:
    """The scanning browser's User-Agent: the browser's own, ending with the scan's marker
    ``ConsentLedgerScan/<scan_id>`` (the marker alone for a crawl that is no scan)."""
    marker = f"{UA_MARKER}/{scan_id}" if scan_id else UA_MARKER
    return f"{browser_agent} {marker}".strip()
