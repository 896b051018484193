"""The banner's code as the service serves it, and every build of it ever served.

The embed is the build's code, the same for every site, followed by the site's config; the
build is the SHA-256 hex of the code exactly as served. The code loads the rest of the build
(later.js: the preferences layer, the placeholders, the managed vendors' set-up) when first
needed, and names its SHA-256 (the script's integrity): the build covers it, and each build
is kept with it (/embed/builds/<build>/later.js). The code is a function expression
that does nothing alone: the config that follows in the embed calls it, ``(…config…);``.
Each build is recorded once (``banner_builds``: public, immutable), and a consent may name
only a build recorded there.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from consent.core.times import iso_ms
from consent.extensions import db
from consent.models import BannerBuild, utcnow

#: Where build.sh writes the bundle (``CONSENT_BANNER_DIR`` may name another folder: tests).
DIST = Path(__file__).resolve().parents[1] / "static" / "banner" / "dist"


@dataclass
class Banner:
    """One process's banner code: its build, its stylesheet, the builds known to be served."""

    code: str
    later: str
    stylesheet: str
    build: str
    recorded: bool = False
    known: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_app(app: Flask) -> None:
    """Read the bundle once (its build is computed here, once per process)."""
    folder = Path(app.config.get("CONSENT_BANNER_DIR") or DIST)
    code = (folder / "consent.js").read_text(encoding="utf-8")
    # The first layer's rules, then later.js's: each bundle carries its own, and browsers
    # without constructable stylesheets link both from here.
    stylesheet = "".join(
        (folder / name).read_text(encoding="utf-8") for name in ("banner.css", "later.css")
    )
    app.extensions["consent_banner"] = Banner(
        code=code,
        later=(folder / "later.js").read_text(encoding="utf-8"),
        stylesheet=stylesheet,
        build=hashlib.sha256(code.encode("utf-8")).hexdigest(),
    )


def current() -> Banner:
    """The banner code this process serves."""
    banner: Banner = current_app.extensions["consent_banner"]
    return banner


def record_served() -> None:
    """Record the current build as served (once per process; retried while the database is
    unavailable: the embed is served anyway)."""
    banner = current()
    if banner.recorded:
        return
    with banner.lock:
        if banner.recorded:
            return
        try:
            _insert(banner)
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("banner build %s not recorded yet", banner.build[:12])
            return
        banner.recorded = True
        banner.known.add(banner.build)


def _insert(banner: Banner) -> None:
    """INSERT the build unless a worker or an earlier process did."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(BannerBuild).values(
        build=banner.build, code=banner.code, later=banner.later, first_served_at=utcnow()
    )
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["build"]))
    db.session.commit()


def is_served(build: str) -> bool:
    """Whether the service has ever served ``build`` (the current one counts once recorded)."""
    banner = current()
    if build == banner.build:
        record_served()
    if build in banner.known:
        return True
    found = db.session.scalar(select(BannerBuild.build).where(BannerBuild.build == build))
    if found is not None:
        banner.known.add(found)
    return found is not None


def served_builds() -> list[tuple[str, str]]:
    """Every build served, oldest first: (build, first served at, ISO 8601)."""
    rows = db.session.execute(
        select(BannerBuild.build, BannerBuild.first_served_at).order_by(
            BannerBuild.first_served_at, BannerBuild.build
        )
    )
    return [(build, iso_ms(at)) for build, at in rows]


def build_code(build: str) -> str | None:
    """The code of a build served, or None (the current one: served from now on)."""
    banner = current()
    if build == banner.build:
        record_served()
        return banner.code
    code: str | None = db.session.scalar(select(BannerBuild.code).where(BannerBuild.build == build))
    return code


def build_later(build: str) -> str | None:
    """What a build served loads when first needed (later.js), or None (none, or no such
    build)."""
    banner = current()
    if build == banner.build:
        record_served()
        return banner.later
    later: str | None = db.session.scalar(
        select(BannerBuild.later).where(BannerBuild.build == build)
    )
    return later
