"""``make bench``: run every benchmark and rewrite docs/benchmarks.md with the figures."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .common import ROOT
from .service import BANNER_VENDORS, BANNER_VENDORS_WITH_IDS, ORIGIN, VENDORS

SECTIONS = (
    "weight",
    "banner",
    "autoblock",
    "gate",
    "appends",
    "auditor",
    "growth",
    "transparency",
    "sites",
    "scan",
    "cluster",
)


def machine() -> str:
    """One line about where the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


#: The sites served in-process (section 1): their ``--vendor`` options and auto-blocking.
WEIGHT_SITES = {
    "eight, auto-blocking on": (BANNER_VENDORS, True),
    "eight, auto-blocking on, a theme": (BANNER_VENDORS, True),
    "eight, auto-blocking off": (BANNER_VENDORS_WITH_IDS, False),
    "five, auto-blocking off": (VENDORS, False),
}
#: The themed site's look: an owner's brand, every member off its default.
THEME = {
    "accent": "#0B5D1E",
    "mode": "dark",
    "layout": "bar",
    "position": "center",
    "radius": 4,
    "font": "inherit",
}
#: More sites like the first, for the spread of its size (keys and policy hashes differ).
WEIGHT_SPREAD = 24


def _served_site(tmp: Path):  # type: ignore[no-untyped-def]
    """The app on a temporary SQLite database with the sites of :data:`WEIGHT_SITES`, for
    in-process measurements; the app and each site's key by its name.

    The first is the bench's banner site (#24): eight vendors, no ids, auto-blocking on;
    the second the same eight with the ids auto-blocking off requires; the third the
    five-vendor site of the figures before #24 (an existing site's auto-blocking is off);
    then :data:`WEIGHT_SPREAD` more like the first (``"eight, auto-blocking on 2"`` …).
    """
    from consent import create_app
    from consent.extensions import db, init_db
    from consent.sites.commands import parse_vendor_options
    from consent.sites.drafts import update_draft
    from consent.sites.owner import create_site
    from consent.sites.versions import publish_draft

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'w.sqlite3'}",
            "TESTING": True,
        }
    )
    keys: dict[str, str] = {}
    with app.app_context():
        init_db()
        first = next(iter(WEIGHT_SITES))
        sites = [
            *WEIGHT_SITES.items(),
            *((f"{first} {i}", WEIGHT_SITES[first]) for i in range(2, WEIGHT_SPREAD + 2)),
        ]
        for name, (vendors, auto_block) in sites:
            site = create_site(
                name=f"Bench {name}",
                origins=[ORIGIN],
                vendors=parse_vendor_options(vendors, ids_required=not auto_block),
                privacy_url=f"{ORIGIN}/privacy",
                auto_block=auto_block,
            )
            if name.endswith("a theme"):
                # An owner's look (#21): every member off its default.
                update_draft(site, theme=THEME)
                publish_draft(site)
            keys[name] = site.site_key
        db.session.commit()
    return app, keys


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections (all by default) and write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog="bench")
    # No default list here: argparse would check it against ``choices`` as one value.
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []])
    parser.add_argument("--runs", type=int, default=15, help="time-to-banner runs per banner")
    parser.add_argument(
        "--scale", type=int, default=1_000_000, help="receipts for auditor and transparency scale"
    )
    args = parser.parse_args(argv)
    args.sections = args.sections or list(SECTIONS)
    started = time.monotonic()
    parts: list[str] = []
    spent: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        app, site_keys = _served_site(tmp)
        client = app.test_client()
        modules = None
        if "weight" in args.sections or "banner" in args.sections:
            from .weight import install_peers

            modules = install_peers(tmp / "peers")
        for section in args.sections:
            print(f"bench: {section} …", file=sys.stderr, flush=True)
            began = time.monotonic()
            text, _ok = _run(section, args, client, site_keys, modules, tmp)
            spent[section] = time.monotonic() - began
            print(f"bench: {section} took {spent[section]:.0f} s", file=sys.stderr, flush=True)
            parts.append(text)
    out = ROOT / "docs" / "benchmarks.md"
    # Sections not run this time keep their last figures.
    kept = _sections(out.read_text()) if out.exists() else {}
    fresh = _sections("\n".join(parts))
    earlier = [title.split(".", 1)[0] for title in sorted(kept, key=_number) if title not in fresh]
    kept.update(fresh)
    misses = [title for title in sorted(kept, key=_number) if "**miss**" in kept[title]]
    header = (
        "# Benchmarks\n\nWritten by `make bench` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} — {machine()}. "
        "Every figure is compared with a baseline measured in the same run, over alternating "
        f"rounds; medians. This run ({', '.join(args.sections)}) took "
        f"{time.monotonic() - started:.0f} s ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
        + "; the rest is set-up, such as installing the peers from npm)."
        + (
            f" Section{'s' if len(earlier) > 1 else ''} {', '.join(earlier)} "
            f"keep{'' if len(earlier) > 1 else 's'} the figures of earlier runs."
            if earlier
            else ""
        )
        + "\n\n"
        + (
            "All goals met.\n"
            if not misses
            else f"Goals missed: {', '.join(misses)} (see below).\n"
        )
    )
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + "\n" + "\n".join(kept[title] for title in sorted(kept, key=_number)))
    print(f"bench: wrote {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


def _number(title: str) -> int:
    """A section's number (``10. Site scan`` → 10), so that 10 comes after 9."""
    head = title.split(".", 1)[0]
    return int(head) if head.isdigit() else 1_000


def _sections(text: str) -> dict[str, str]:
    """The ``## N. Title`` sections of a benchmarks page, by their heading."""
    found: dict[str, str] = {}
    for chunk in ("\n" + text).split("\n## ")[1:]:
        title = chunk.split("\n", 1)[0]
        found[title] = "## " + chunk.rstrip("\n") + "\n"
    return found


_auditor_points: list = []  # type: ignore[type-arg]
#: Transparency (b) and (c), measured on the auditor's site as it grows (when both run).
_scale_points: list = []  # type: ignore[type-arg]


def _auditor(section: str, args: argparse.Namespace) -> tuple[str, bool]:
    """The auditor and growth sections share one (long) measurement."""
    from . import auditor, transparency

    def also(kind: str, site: auditor.GrownSite, tmp: Path) -> None:
        if kind in transparency.SCALE_KINDS:
            _scale_points.append(transparency.measure_site(kind, site, tmp))

    if not _auditor_points:
        shares = "transparency" in args.sections
        _auditor_points.extend(auditor.measure(args.scale, also if shares else None))
    stamp = f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}"
    if section == "auditor":
        return auditor.auditor_section(_auditor_points, stamp)
    return auditor.growth_section(_auditor_points, stamp)


def _run(section, args, client, site_keys, modules, tmp):  # type: ignore[no-untyped-def]
    if section in ("auditor", "growth"):
        return _auditor(section, args)
    if section == "transparency":
        from . import transparency

        stamp = f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}"
        return transparency.run(args.scale, stamp, _scale_points)
    if section == "weight":
        from . import weight

        return weight.run_with(client, site_keys, modules)
    if section == "banner":
        from . import banner_time
        from .common import free_port, gunicorn
        from .service import create_site, env_for

        # The pages' origin: the site lists it (on any other the banner shows nothing).
        port = free_port()
        env = env_for(f"sqlite:///{tmp / 'banner.sqlite3'}", tmp)
        key = create_site(env, vendors=BANNER_VENDORS, origins=(f"http://127.0.0.1:{port}",))
        work = tmp / "pages"
        work.mkdir()
        with gunicorn(env, workers=2) as base:
            return banner_time.run(base, key, modules, work, runs=args.runs, port=port)
    if section == "autoblock":
        from . import autoblock_overhead
        from .common import free_port, gunicorn
        from .service import create_site, env_for

        port = free_port()
        pages = (f"http://127.0.0.1:{port}",)
        env = env_for(f"sqlite:///{tmp / 'autoblock.sqlite3'}", tmp)
        keys = {
            True: create_site(env, "Auto-blocking on", vendors=BANNER_VENDORS, origins=pages),
            False: create_site(
                env,
                "Auto-blocking off",
                migrate=False,
                vendors=BANNER_VENDORS_WITH_IDS,
                auto_block=False,
                origins=pages,
            ),
        }
        work = tmp / "autoblock-pages"
        work.mkdir()
        with gunicorn(env, workers=2) as base:
            return autoblock_overhead.run(base, keys, work, runs=args.runs, port=port)
    if section == "cluster":
        from . import cluster

        return cluster.run(tmp)
    if section == "scan":
        from . import scan

        return scan.run(tmp)
    if section == "sites":
        from . import site_cache

        return site_cache.run(tmp)
    if section == "gate":
        from . import gate_load

        return gate_load.run()
    from . import appends

    return appends.run()


if __name__ == "__main__":
    subprocess  # noqa: B018 (kept for the sections that shell out)
    sys.exit(main())
