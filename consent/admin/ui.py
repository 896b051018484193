"""What every /admin/ page shares: its blueprint set-up, headers, layout context, access rule.

The pages are split by concept over four blueprints, all under /admin: ``admin``
(sign-in, sites, settings), ``admin_policy`` (vendors, texts, publish, versions),
``admin_appearance`` (the banner's theme) and ``admin_access`` (snippet, API tokens, users).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g
from sqlalchemy.exc import SQLAlchemyError

from consent.access.auth import current_principal, require_member
from consent.access.signin import current_user
from consent.core.language_names import language_label
from consent.extensions import db
from consent.service import PAGE_CSP

#: The admin pages' CSP: the service's page CSP, but connecting nowhere. The banner
#: preview (a srcdoc frame, which inherits this policy) can thus never send anything.
ADMIN_CSP = PAGE_CSP.replace("connect-src 'self'", "connect-src 'none'")

#: A site page needs the role owner on that site: another owner's site is 404, an
#: auditor of the site gets 403, and a visitor who is not signed in goes to the sign-in.
owner_only = require_member("owner", area="admin")
#: The same, not written to the access log: a page's own polling (a scan's progress, every
#: two seconds) reads no ledger and would bury the reads the log is for.
owner_polling = require_member("owner", area="admin", log=False)


def admin_blueprint(name: str) -> Blueprint:
    """A blueprint of admin pages with the shared layout context and headers."""
    bp = Blueprint(name, __name__)
    bp.context_processor(layout_context)
    bp.after_request(_headers)
    bp.add_app_template_filter(language_label, "language_label")
    return bp


def layout_context() -> dict[str, Any]:
    """What templates/shared/base.html needs (in /admin/ and /audit/): user and site in view."""
    principal = g.get("principal")
    try:
        user = current_user()
    except SQLAlchemyError:  # an error page must still render while the database is down
        db.session.rollback()
        user = None
    return {"user": user, "site": principal.site if principal else None}


def _headers(response: Response) -> Response:
    # Owner pages may show a token or a password once: no cache keeps a copy.
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", ADMIN_CSP)
    return response


def site_id() -> int:
    """The id of the site in view (the decorator has authorised its owner)."""
    return current_principal().site.site_id
