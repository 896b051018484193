"""The site's cookie declaration: its published version with the report of its last
finished scan (one indexed read), as :mod:`consent.core.declaration` builds it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from consent.core.declaration import DeclaredSite, declaration
from consent.errors import Unavailable
from consent.extensions import db
from consent.scans.records import last_report
from consent.sites.state import SiteState


def site_declaration(site: SiteState, language: str) -> dict[str, Any]:
    """The declaration of ``site`` in ``language`` (one the published version has texts in)."""
    try:
        report = last_report(site.site_id)
    except SQLAlchemyError as error:
        db.session.rollback()
        raise Unavailable("the consent database is unavailable") from error
    current = site.current
    declared = DeclaredSite(
        site_key=site.site_key,
        name=site.name,
        policy_version=int(current["version"]),
        vendors=current["vendors"],
        texts=current["texts"][language],
        choice_lifetime_days=site.choice_lifetime_days,
    )
    return declaration(declared, language, report)
