"""Replay of the banner exactly as a visitor saw it: the receipt's own build of the banner
code, run on its policy version's texts, vendors and theme, in the receipt's language.

The receipt page embeds each layer as a sandboxed ``srcdoc`` frame, as the admin's live
preview does: an opaque origin (no cookies), and the page's CSP, which the frame inherits,
lets it connect nowhere, so nothing in a replay is ever recorded. The frame's boot script
(static/audit/replay-frame.js) hands the configuration to the build's ``run.js`` and gives
the frame the visitor's privacy signals; in the preferences frame it also opens the second
layer with the recorded choice on the switches. Receipts made before builds were recorded
are replayed with today's build, and the page says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for

from consent import banner
from consent.sites.state import SiteState
from consent.sites.versions import banner_config, policy_hash

#: The replay's frames: the first layer as it appeared, and the preferences as chosen.
LAYERS = ("first", "preferences")

#: The banner button that records each action (withdraw has none: it is the page's link).
BUTTON_OF_ACTION = {"accept_all": "accept_all", "reject_all": "reject_all", "custom": "save"}


@dataclass(frozen=True)
class ReplayBuild:
    """The build a replay runs: the receipt's own, or today's for a receipt without one."""

    #: SHA-256 hex of the banner code.
    build: str
    #: When the service first served it (ISO 8601), or None if not served yet.
    first_served_at: str | None
    #: Whether the receipt names this build (False: it predates build recording).
    recorded: bool


def replay_build(receipt: dict[str, Any]) -> ReplayBuild:
    """The build the receipt names, or today's if it names none, with its first serving."""
    named = receipt.get("banner_build")
    build = named or banner.current().build
    served = dict(banner.served_builds())
    return ReplayBuild(build=build, first_served_at=served.get(build), recorded=bool(named))


def replay_config(
    receipt: dict[str, Any], policy: dict[str, Any], site: SiteState
) -> dict[str, Any]:
    """The configuration the embed would have carried for the receipt's version and language."""
    texts = policy["texts"]
    default = site.default_language if site.default_language in texts else min(texts)
    language = receipt["language"] if receipt["language"] in texts else default
    config = banner_config(
        site_key=site.site_key,
        version=policy["version"],
        policy_hash=policy["policy_hash"],
        language=language,
        default_language=default,
        texts=texts,
        vendors=policy["vendors"],
        privacy_policy_url=policy["privacy_policy_url"],
        cookie_statement_url=policy.get("cookie_statement_url"),
        choice_lifetime_days=site.choice_lifetime_days,
        theme=policy.get("theme"),
    )
    return {
        **config,
        "api_base": request.host_url.rstrip("/"),
        "translations": texts,
        "preview": True,
    }


def replay_document(
    receipt: dict[str, Any], policy: dict[str, Any], site: SiteState, build: str, layer: str
) -> str:
    """The HTML of one replay frame (the receipt template puts it in ``srcdoc``)."""
    config = replay_config(receipt, policy, site)
    replay: dict[str, Any] = {
        "config": {**config, "build": build},
        "signals": {"gpc": bool(receipt["signals"]["gpc"]), "dnt": bool(receipt["signals"]["dnt"])},
    }
    if layer == "preferences":
        replay["categories"] = receipt["categories"]
    return render_template(
        "audit/replay_frame.html",
        language=config["language"],
        layer=layer,
        replay_json=json.dumps(replay, ensure_ascii=False),
        boot_src=url_for("static", filename="audit/replay-frame.js"),
        bundle_src=url_for("embed.run_build", build=build),
        css_src=url_for("static", filename="audit/replay-frame.css"),
    )


def pressed_button(receipt: dict[str, Any], policy: dict[str, Any]) -> str | None:
    """The text of the button that recorded the choice, in the receipt's language."""
    key = BUTTON_OF_ACTION.get(receipt["action"])
    texts = policy["texts"].get(receipt["language"], {})
    return None if key is None else texts.get(key)


def policy_hash_checks(receipt: dict[str, Any], policy: dict[str, Any]) -> dict[str, bool]:
    """Whether the stored version still hashes to what it says, and the receipt agrees."""
    recomputed = policy_hash(
        policy["texts"],
        policy["vendors"],
        policy["privacy_policy_url"],
        policy.get("cookie_statement_url"),
        policy.get("theme"),
    )
    return {
        "version_intact": recomputed == policy["policy_hash"],
        "receipt_matches": receipt["policy_hash"] == policy["policy_hash"],
    }
