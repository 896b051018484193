"""The live preview: the real banner bundle, run on the draft's configuration.

The admin page embeds the preview as a sandboxed ``srcdoc`` iframe (scripts only, an
opaque origin: no cookies, and the admin pages' CSP lets it connect nowhere, so nothing
is ever recorded). The frame loads the very bundle that ``/embed/<key>.js`` serves,
unsubstituted, after a tiny static script that hands it the draft's configuration
(an attribute of the frame's ``<html>``, autoescaped) through the free identifier that
the embed endpoint otherwise replaces. Editing a text re-renders the frame.
"""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request, url_for

from consent import banner
from consent.models import Site
from consent.sites.versions import banner_config, policy_hash


def draft_config(site: Site, language: str) -> dict[str, Any]:
    """The banner configuration the draft would publish, shaped like the embed's."""
    draft = site.draft
    texts = draft["texts"]
    shown = language if language in texts else site.default_language
    vendors = draft["vendors"]
    config = banner_config(
        site_key=site.site_key,
        version=None,
        policy_hash=policy_hash(
            texts,
            vendors,
            draft["privacy_policy_url"],
            draft.get("cookie_statement_url"),
            draft.get("theme"),
        ),
        language=shown,
        default_language=site.default_language,
        texts=texts,
        vendors=vendors,
        privacy_policy_url=draft["privacy_policy_url"],
        cookie_statement_url=draft.get("cookie_statement_url"),
        choice_lifetime_days=site.choice_lifetime_days,
        theme=draft.get("theme"),
    )
    return {
        **config,
        # The banner's stylesheet comes from this very origin (the admin page's CSP allows it).
        "api_base": request.host_url.rstrip("/"),
        "translations": texts,
        # The build whose later part (the preferences layer) the preview loads.
        "build": banner.current().build,
        "preview": True,
    }


def preview_document(site: Site, language: str) -> str:
    """The HTML of the preview frame (the admin template puts it in ``srcdoc``)."""
    return render_template(
        "admin/preview_frame.html",
        language=language,
        config_json=json.dumps(draft_config(site, language), ensure_ascii=False),
        boot_src=url_for("static", filename="admin/preview-frame.js"),
        bundle_src=url_for("embed.run_build", build=banner.current().build),
        css_src=url_for("static", filename="admin/preview-frame.css"),
    )
