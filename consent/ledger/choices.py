"""What a consents POST may record: its body checked against the site's published policy.

The visitor API parses the request and calls :func:`choice_to_record`; the append records
what it returns. Each refusal is an :class:`~consent.errors.InvalidField` (422) naming the
member, checked in the order of the body's members below.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from consent import banner
from consent.access import tokens
from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS
from consent.errors import InvalidField
from consent.ledger.append import ChoiceToRecord
from consent.sites.state import SiteState

#: The members a consents POST body may have; any other is refused.
CONSENT_FIELDS = frozenset(
    {
        "action",
        "categories",
        "policy_version",
        "policy_hash",
        "language",
        "page_url",
        "token",
        "signals",
        "build",
    }
)
_BUILD = re.compile(r"[0-9a-f]{64}")
#: The longest ``page_url`` recorded, and the most of a ``User-Agent`` kept.
MAX_PAGE_URL = 2048
MAX_USER_AGENT = 512


def new_subject_id() -> str:
    """A random pseudonymous visitor id (never derived from anything about the visitor)."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Sender:
    """What the request says besides its body: the browser's signal headers and its origin."""

    #: ``Sec-GPC: 1`` and ``DNT: 1``.
    gpc: bool
    dnt: bool
    #: The client's network (never its full address); None when the address is unknown.
    ip_prefix: str | None
    user_agent: str


def choice_to_record(site: SiteState, body: Any, sender: Sender) -> ChoiceToRecord:
    """The choice a consents POST body asks to record, or a 422 naming the first bad member."""
    if not isinstance(body, dict):
        raise InvalidField("", "the body must be a JSON object")
    for name in body:
        if name not in CONSENT_FIELDS:
            raise InvalidField(name, "unknown field")
    action = body.get("action")
    if action not in ACTIONS:
        raise InvalidField("action", f"must be one of {', '.join(ACTIONS)}")
    version = body.get("policy_version")
    published = site.versions.get(version) if type(version) is int else None
    if published is None:
        raise InvalidField("policy_version", "not a published policy version of this site")
    if body.get("policy_hash") != published.policy_hash:
        raise InvalidField("policy_hash", "does not match the policy version")
    language = body.get("language")
    if not isinstance(language, str) or language not in published.languages:
        raise InvalidField("language", "not a language of this policy version")
    categories = categories_for(action, body.get("categories"))
    signals = _signals(body.get("signals"), sender)
    page_url = _page_url(body.get("page_url"))
    previous = _previous_token(site, body.get("token"))
    build = _build(body.get("build"))
    return ChoiceToRecord(
        subject_id=previous.subject_id if previous else new_subject_id(),
        action=action,
        categories=categories,
        policy_version=published.version,
        language=language,
        signals=signals,
        context={
            "page_url": page_url,
            "ip_prefix": sender.ip_prefix,
            "user_agent": sender.user_agent[:MAX_USER_AGENT],
        },
        banner_build=build,
    )


def _build(given: Any) -> str | None:
    """The banner build that collected the choice: one the service has served (or none given:
    a caller other than the banner)."""
    if given is None:
        return None
    if not isinstance(given, str) or not _BUILD.fullmatch(given):
        raise InvalidField("build", "must be a banner build: 64 lower-case hex digits")
    if not banner.is_served(given):
        raise InvalidField("build", "not a banner build this service has served")
    return given


def categories_for(action: str, given: Any) -> dict[str, bool]:
    """Every category's answer: all on or all off but ``necessary``, or as a custom choice gave."""
    if given is not None:
        if not isinstance(given, dict):
            raise InvalidField("categories", "must be an object of category → boolean")
        for cat, value in given.items():
            if cat not in CATEGORIES:
                raise InvalidField(f"categories.{cat}", "unknown category")
            if type(value) is not bool:
                raise InvalidField(f"categories.{cat}", "must be true or false")
        if given.get("necessary") is False:
            raise InvalidField("categories.necessary", "strictly necessary cannot be refused")
    elif action == "custom":
        raise InvalidField("categories", "a custom choice needs categories")
    if action == "accept_all":
        return {cat: True for cat in CATEGORIES}
    if action in ("reject_all", "withdraw"):
        return {cat: cat == "necessary" for cat in CATEGORIES}
    return {cat: cat == "necessary" or bool((given or {}).get(cat, False)) for cat in CATEGORIES}


def _signals(given: Any, sender: Sender) -> dict[str, bool]:
    """GPC and DNT, each on when the body or the request's header says so."""
    signals = {"gpc": sender.gpc, "dnt": sender.dnt}
    if given is None:
        return signals
    if not isinstance(given, dict):
        raise InvalidField("signals", "must be an object with gpc and dnt")
    for name, value in given.items():
        if name not in signals:
            raise InvalidField(f"signals.{name}", "unknown signal")
        if type(value) is not bool:
            raise InvalidField(f"signals.{name}", "must be true or false")
        signals[name] = signals[name] or value
    return signals


def _page_url(value: Any) -> str:
    """The page's absolute http(s) URL without its query and fragment."""
    if not isinstance(value, str) or len(value) > MAX_PAGE_URL:
        raise InvalidField(
            "page_url", "must be an absolute http(s) URL of at most 2,048 characters"
        )
    try:
        parts = urlsplit(value)
    except ValueError as error:
        raise InvalidField("page_url", "not a valid URL") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidField("page_url", "must be an absolute http(s) URL")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidField("page_url", "must not contain spaces or control characters")
    # Query and fragment can carry personal data; they are never stored.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _previous_token(site: SiteState, value: Any) -> tokens.ConsentClaims | None:
    """The visitor's previous token for this site, whose subject the new receipt keeps."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField("token", "must be a string")
    claims = tokens.read(value)
    return claims if claims is not None and claims.site_key == site.site_key else None
