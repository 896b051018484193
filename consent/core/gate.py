"""THE decision whether a vendor may load. Pure: no Flask, no database, no clock.

Every caller — the HTTP gate, the browser loader through it, template helpers —
gets its answer from :func:`decide`; nothing else decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from consent.core.catalog import CATEGORIES, CONSENT_MODE, GPC_CATEGORIES, VENDORS

#: Reasons in precedence order: when several apply, the first one is given.
REASONS: tuple[str, ...] = (
    "unknown_vendor",
    "vendor_disabled",
    "necessary",
    "no_consent",
    "invalid_token",
    "expired",
    "outdated_policy",
    "refused",
    "gpc",
    "consented",
)

#: Token states that mean the visitor must be asked (again).
ASK_AGAIN: frozenset[str] = frozenset({"no_consent", "invalid_token", "expired", "outdated_policy"})


@dataclass(frozen=True)
class SitePolicy:
    """What the gate needs to know about a site's published state."""

    site_key: str
    policy_version: int
    #: Highest published version that required re-consent (0 if none did).
    reconsent_version: int
    choice_lifetime_days: int
    #: Enabled vendor id → the category it has on this site.
    vendor_categories: Mapping[str, str]
    #: A loader (Google Tag Manager) → the categories its container serves, where the owner
    #: named them: any one of them allows it. Any other vendor: its category alone.
    vendor_serves: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenChoice:
    """A verified consent token's content, as far as the gate cares."""

    site_key: str
    policy_version: int
    categories: Mapping[str, bool]
    gpc: bool
    issued_at: int


@dataclass(frozen=True)
class Decision:
    """The answer for one vendor."""

    allowed: bool
    category: str | None
    reason: str


@dataclass(frozen=True)
class GateAnswer:
    """The answer for a set of vendors, with Consent Mode state and whether to ask."""

    decisions: dict[str, Decision]
    consent_mode: dict[str, str]
    categories: dict[str, bool] | None
    show_banner: bool = field(default=False)


#: ``token`` is a verified :class:`TokenChoice`, ``None`` for no token, or ``False`` for a bad one.
TokenInput = TokenChoice | None | bool


def token_state(site: SitePolicy, token: TokenInput, now: int) -> str:
    """Classify the visitor's token: ``consented`` or the reason it cannot be used."""
    if token is None:
        return "no_consent"
    if not isinstance(token, TokenChoice) or token.site_key != site.site_key:
        return "invalid_token"
    if token.issued_at > now + 300 or now - token.issued_at > site.choice_lifetime_days * 86400:
        return "expired"
    if token.policy_version > site.policy_version:
        return "invalid_token"
    if token.policy_version < site.reconsent_version:
        return "outdated_policy"
    return "consented"


def category_allowed(category: str, choice: TokenChoice, gpc_header: bool) -> str:
    """``consented``, ``refused`` or ``gpc`` for one category of a usable choice."""
    if not choice.categories.get(category, False):
        return "refused"
    if gpc_header and category in GPC_CATEGORIES and not choice.gpc:
        # Sec-GPC is on and this opt-in was not given explicitly while GPC was on.
        return "gpc"
    return "consented"


def receipt_vendors(
    categories: Mapping[str, bool],
    vendor_categories: Mapping[str, str],
    vendor_serves: Mapping[str, Sequence[str]],
) -> dict[str, bool]:
    """A receipt's ``vendors``: each enabled vendor (in id order) → whether the choice's
    ``categories`` allow it, a loader when any category it serves is on (as :func:`decide`)."""
    return {
        vid: any(categories[c] for c in vendor_serves.get(vid, (cat,)))
        for vid, cat in sorted(vendor_categories.items())
    }


def decide(
    site: SitePolicy,
    vendor_ids: Sequence[str],
    token: TokenInput,
    *,
    gpc: bool,
    now: int,
) -> GateAnswer:
    """Decide, for each vendor, whether it may load on ``site`` for this visitor."""
    state = token_state(site, token, now)
    choice = token if isinstance(token, TokenChoice) and state == "consented" else None
    decisions = {vid: _decide_one(site, vid, state, choice, gpc) for vid in vendor_ids}
    granted = {
        cat: cat == "necessary"
        or (choice is not None and category_allowed(cat, choice, gpc) == "consented")
        for cat in CATEGORIES
    }
    consent_mode = {
        param: "granted" if granted[cat] else "denied" for param, cat in CONSENT_MODE.items()
    }
    shown = (
        dict(token.categories)
        if isinstance(token, TokenChoice)
        and token.site_key == site.site_key
        and state != "invalid_token"
        else None
    )
    return GateAnswer(decisions, consent_mode, shown, state in ASK_AGAIN)


def _decide_one(
    site: SitePolicy, vendor_id: str, state: str, choice: TokenChoice | None, gpc: bool
) -> Decision:
    # An enabled vendor is the catalogue's or the site's own (custom): both decide alike.
    category = site.vendor_categories.get(vendor_id)
    if category is None:
        if vendor_id not in VENDORS:
            return Decision(False, None, "unknown_vendor")
        return Decision(False, VENDORS[vendor_id].category, "vendor_disabled")
    if category == "necessary":
        return Decision(True, category, "necessary")
    if choice is None:
        return Decision(False, category, state)
    # A loader may run when any category its container serves is allowed (each tag it adds
    # still waits for its own): the category that allows it is named, else the first
    # refusal by precedence.
    answers = {
        c: category_allowed(c, choice, gpc) for c in site.vendor_serves.get(vendor_id, (category,))
    }
    reason = min(answers.values(), key=lambda r: -1 if r == "consented" else REASONS.index(r))
    deciding = next(c for c, r in answers.items() if r == reason)
    return Decision(reason == "consented", deciding, reason)
