"""A month of plausible visitor choices for a demo site, so that its stats, audit search and
receipts have something to show from the first run.

The receipts are appended by the ledger's bulk append (:func:`consent.ledger.seeding.append_many`),
chained and logged like any other; only the choices are made up here: more accepts than
refusals, a few choices per category, some visitors coming back to change their mind or
withdraw, the site's languages, privacy signals, the demo's own pages, documentation
address ranges (RFC 5737, RFC 3849) and common browsers, at daytime-weighted moments over
the last 30 days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from consent import banner
from consent.core.times import iso_ms
from consent.ledger.append import ChoiceToRecord
from consent.ledger.choices import categories_for
from consent.ledger.reads import receipt_count
from consent.ledger.seeding import append_many
from consent.sites.state import SiteState

#: How many receipts a demo site starts with, over how many days before now.
DEMO_RECEIPTS = 300
DAYS = 30

#: How often each first-layer action is taken (withdrawals: by returning visitors only).
_ACTIONS = {"accept_all": 55, "reject_all": 27, "custom": 18}
#: In a custom choice, how often each category is switched on.
_CUSTOM_ON = {"performance": 0.65, "functionality": 0.55, "targeting": 0.15, "social": 0.3}
_LANGUAGE_WEIGHTS = {"en": 50, "nl": 30, "de": 12, "fr": 8}
_NETWORKS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
)


def seed_activity(site: SiteState, pages: list[str], count: int = DEMO_RECEIPTS) -> int:
    """Append ``count`` made-up choices on ``pages`` to a site that has no receipt yet, spread
    over the last 30 days; how many were added (0 for a site with receipts: never twice)."""
    if count <= 0 or receipt_count(site.site_id):
        return 0
    banner.record_served()  # the receipts name the build the demo serves, as the banner's do
    rng = random.Random(site.site_key)
    choices = _choices(site, pages, count, rng)
    return append_many(site, choices, iter(_moments(count, rng, datetime.now(UTC))))


def _choices(
    site: SiteState, pages: list[str], count: int, rng: random.Random
) -> list[ChoiceToRecord]:
    """``count`` choices on the site's current version; about one in six by a visitor who
    chose before (and may now withdraw)."""
    offered = set(site.gate.vendor_categories.values())  # categories without vendors: no switch
    languages = [lang for lang in site.current["texts"] if lang in _LANGUAGE_WEIGHTS] or [
        site.default_language
    ]
    weights = [_LANGUAGE_WEIGHTS.get(lang, 1) for lang in languages]
    seen: list[str] = []
    choices = []
    for _ in range(count):
        returning = bool(seen) and rng.random() < 0.17
        subject = rng.choice(seen) if returning else f"{rng.getrandbits(128):032x}"
        seen.append(subject)
        action = "withdraw" if returning and rng.random() < 0.3 else _pick(rng, _ACTIONS)
        given = {c: c in offered and rng.random() < p for c, p in _CUSTOM_ON.items()}
        gpc = rng.random() < 0.07
        context = {
            "page_url": rng.choice(pages),
            "ip_prefix": _network(rng),
            "user_agent": rng.choice(_BROWSERS),
        }
        choices.append(
            ChoiceToRecord(
                subject_id=subject,
                action=action,
                categories=categories_for(action, given if action == "custom" else None),
                policy_version=site.gate.policy_version,
                language=rng.choices(languages, weights)[0],
                signals={"gpc": gpc, "dnt": rng.random() < 0.1},
                context=context,
                banner_build=banner.current().build,
            )
        )
    return choices


def _pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), list(weighted.values()))[0]


def _network(rng: random.Random) -> str:
    """A documentation network: an IPv4 /24 or, for one visitor in four, an IPv6 /48."""
    if rng.random() < 0.25:
        return f"2001:db8:{rng.getrandbits(16):x}::/48"
    return rng.choice(_NETWORKS)


def _moments(count: int, rng: random.Random, now: datetime) -> list[str]:
    """``count`` times over the last 30 days, oldest first, mostly in the daytime (UTC)."""
    start = now - timedelta(days=DAYS)
    moments = []
    for _ in range(count):
        day = start.date() + timedelta(days=rng.randrange(DAYS))
        hour = rng.choices(range(24), [1 if h < 7 or h > 22 else 4 for h in range(24)])[0]
        moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3600)
        )
        moments.append(min(max(moment, start), now))
    return [iso_ms(moment) for moment in sorted(moments)]
