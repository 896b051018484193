"""A stand-in for the browser in scan tests: what a crawl might have seen, as data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from flask import Flask

from consent.core.observed import Crawl, SeenCookie, SeenPage, SeenRequest, SeenStorage, StateSeen
from consent.scans.jobs import ScanJobs
from consent.scans.plans import CrawlPlan, Progress

#: What a test's ``crawler`` fixture gives: set the stand-in crawl that later scans run.
UseCrawl = Callable[[Callable[..., Crawl]], None]

GA_URL = "https://www.googletagmanager.com/gtag/js?id=G-TEST123"
STRIPE_URL = "https://js.stripe.com/v3/"


def fake_crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
    """What a browser might have seen: GA's cookie and script before any choice (a leak),
    Stripe's script in every state (strictly necessary: no finding)."""
    pages = tuple(SeenPage(url, 200) for url in plan.start_urls[: plan.max_pages])
    if progress:
        progress(3 * len(pages), 3 * len(pages))
    first = pages[0].url
    ga = SeenRequest(GA_URL, "script", first)
    stripe = SeenRequest(STRIPE_URL, "script", first)
    year = time.time() + 365 * 86_400
    cookie = SeenCookie("_ga", ".shop.example", "/", year, False, False, "Lax", (first,))
    storage = (SeenStorage("local", "réglage"),)  # not ASCII: hashed as RFC 8785 says
    none = StateSeen(cookies=(cookie,), storage=storage, requests=(ga, stripe))
    states = {"none": none, "reject_all": StateSeen(requests=(stripe,)), "accept_all": none}
    return Crawl(pages, states, time.time())


YOUTUBE_URL = "https://www.youtube-nocookie.com/embed/abc"
LEADINFO_URL = "https://cdn.leadinfo.net/ping.js"


def tracker_crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
    """:func:`fake_crawl` plus two vendors a site may not declare: Leadinfo's script before
    any choice (a leak too) and a YouTube frame after accept all."""
    crawl = fake_crawl(plan, progress)
    first = crawl.pages[0].url
    leadinfo = SeenRequest(LEADINFO_URL, "script", first)
    youtube = SeenRequest(YOUTUBE_URL, "sub_frame", first)
    none, accept = crawl.states["none"], crawl.states["accept_all"]
    states = {
        **crawl.states,
        "none": StateSeen(none.cookies, none.storage, (*none.requests, leadinfo)),
        "accept_all": StateSeen(accept.cookies, accept.storage, (*accept.requests, youtube)),
    }
    return Crawl(crawl.pages, states, crawl.observed_at)


def stand_in_crawls(app: Flask, first: Callable[..., Crawl]) -> Iterator[UseCrawl]:
    """For a ``crawler`` fixture: the app's scans run stand-in crawls (the browser is
    tests/browser's), ``first`` until the test sets another; the scan threads end with the
    test."""
    jobs: ScanJobs = app.extensions["consent_scans"]

    def use(crawl: Callable[..., Crawl]) -> None:
        jobs.crawler = crawl

    use(first)
    yield use
    jobs.shutdown()
