"""Banner weight: gzip and brotli bytes of what the first layer needs, ours vs the peers."""

from __future__ import annotations

import gzip
import statistics
import subprocess
from pathlib import Path

import brotli

from .common import table, verdict

#: The peers, installed from the npm registry at benchmark time, and the files a page loads.
PEERS: dict[str, tuple[str, list[str]]] = {
    "orestbida vanilla-cookieconsent 3": (
        "vanilla-cookieconsent@3",
        [
            "vanilla-cookieconsent/dist/cookieconsent.umd.js",
            "vanilla-cookieconsent/dist/cookieconsent.css",
        ],
    ),
    "Klaro": ("klaro", ["klaro/dist/klaro.js"]),
    "tarteaucitron": (
        "tarteaucitronjs",
        [
            "tarteaucitronjs/tarteaucitron.min.js",
            "tarteaucitronjs/tarteaucitron.services.min.js",
            "tarteaucitronjs/lang/tarteaucitron.en.min.js",
            "tarteaucitronjs/css/tarteaucitron.min.css",
        ],
    ),
    "Osano cookieconsent 3": (
        "cookieconsent@3",
        ["cookieconsent/build/cookieconsent.min.js", "cookieconsent/build/cookieconsent.min.css"],
    ),
}


def install_peers(folder: Path) -> Path:
    """npm-install every peer into ``folder`` (never committed); their node_modules."""
    specs = [spec for spec, _files in PEERS.values()]
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder), *specs],
        check=True,
        timeout=600,
    )
    return folder / "node_modules"


def sizes(payload: bytes) -> tuple[int, int, int]:
    """Raw, gzip -9 and brotli -11 sizes."""
    return len(payload), len(gzip.compress(payload, 9)), len(brotli.compress(payload, quality=11))


#: The sites of section 1 (bench/run.py's WEIGHT_SITES) → their rows; the first is ours.
OURS = {
    "eight, auto-blocking on": "Consent Ledger: 8 vendors, auto-blocking on (script)",
    "eight, auto-blocking on, a theme": (
        "Consent Ledger: 8 vendors, auto-blocking on, an owner's theme (script; #21)"
    ),
    "eight, auto-blocking off": "Consent Ledger: 8 vendors, auto-blocking off (script; info)",
    "five, auto-blocking off": (
        "Consent Ledger: 5 vendors (the site before #24), auto-blocking off (script; info)"
    ),
}
SIGNAL_ROW = (
    "Consent Ledger: 8 vendors, auto-blocking on, a browser sending Global Privacy Control "
    "(script; info)"
)
CSS_ROW = "Consent Ledger: /embed/banner.css (info)"
LATER_ROW = (
    "Consent Ledger: later.js, when the preferences, a placeholder or a release is first "
    "needed (info)"
)
ORESTBIDA = "orestbida vanilla-cookieconsent 3"
#: Issue #24: auto-blocking is in the one build every site gets.
GOAL = 7500


def ours(client, site_key: str, **headers: str) -> bytes:  # type: ignore[no-untyped-def]
    """What a visitor downloads for our first layer: the loader with its config.

    The bundle carries its stylesheet and adopts it as a constructable stylesheet
    (static/banner/src/dom.js): /embed/banner.css is fetched only by browsers without them.
    """
    return client.get(f"/embed/{site_key}.js", headers=headers).get_data()  # type: ignore[no-any-return]


def run_with(client, site_keys: dict[str, str], modules: Path) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    """Measure and describe; returns the Markdown section and whether the goals are met."""
    measured = {row: sizes(ours(client, site_keys[site])) for site, row in OURS.items()}
    first = next(iter(OURS))
    measured[SIGNAL_ROW] = sizes(ours(client, site_keys[first], **{"Sec-GPC": "1"}))
    measured[CSS_ROW] = sizes(client.get("/embed/banner.css").get_data())
    build = client.get(f"/api/v1/sites/{site_keys[first]}/config").get_json()["build"]
    measured[LATER_ROW] = sizes(client.get(f"/embed/builds/{build}/later.js").get_data())
    for name, (_spec, files) in PEERS.items():
        measured[name] = sizes(b"".join((modules / f).read_bytes() for f in files))
    ours_site, ours_row = next(iter(OURS.items()))
    mine = measured[ours_row][1]
    # Sites like ours (bench/run.py's WEIGHT_SPREAD): their keys and hashes compress apart.
    spread = [
        sizes(ours(client, key))[1]
        for name, key in site_keys.items()
        if name == ours_site or name.removeprefix(f"{ours_site} ").isdigit()
    ]
    orestbida = measured[ORESTBIDA][1]
    themed = measured[OURS["eight, auto-blocking on, a theme"]][1]
    ok = mine <= GOAL and mine < orestbida / 2 and themed <= GOAL
    rows = [
        [name, f"{raw:,}", f"{gz:,}", f"{br:,}", f"{gz / mine:.2f}×"]
        for name, (raw, gz, br) in measured.items()
    ]
    text = (
        "## 1. Banner weight\n\nBytes a visitor downloads for the first layer. Ours is the "
        "script alone, with the site's config: the bundle carries its stylesheet and adopts it "
        "as a constructable stylesheet, and /embed/banner.css (its size shown for "
        "information) is fetched only by browsers without constructable stylesheets. What "
        "only the preferences, the placeholders of blocked frames and the release of blocked "
        "tags need (their code and stylesheet, later.js; their texts and the vendors' names, "
        "from the config API) is loaded when first needed, not with the first layer (its "
        "size shown for information). The goal "
        "is measured on the bench's site: eight vendors (google-analytics, meta-pixel, "
        "linkedin-insight, hubspot, leadinfo, youtube, vimeo, twitter) without ids, "
        "auto-blocking on (the config carries the blocking rules); for information, the same "
        "eight with auto-blocking off (with the ids it then requires) and the five-vendor site "
        "of the figures before #24 (GA, LinkedIn and Meta with ids, HubSpot, Vimeo; "
        "auto-blocking off, as for every site that existed before it). The notice that the "
        "browser sent a privacy signal is carried only to a browser that sends one (`Sec-GPC: "
        "1` or `DNT: 1`, the headers that go with the signals the banner reads), so its text "
        "weighs on those visitors alone (shown for information). Auto-blocking's code "
        "is in the one build every site gets. Peers are the current npm releases (script and "
        "CSS), installed into a temporary folder by the benchmark; none blocks trackers "
        "automatically.\n\n"
        + table(["banner", "raw", "gzip -9", "brotli -11", "gzip vs ours"], rows)
        + "\n\nThe site key and the policy hash in the config differ from site to site, and "
        f"compress differently: {len(spread)} sites like ours give "
        f"{min(spread):,}–{max(spread):,} B gzip (median {statistics.median(spread):,.0f} B; "
        f"{sum(size > GOAL for size in spread)} over {GOAL:,} B)."
        + f"\n\nGoal (#24): ours, 8 vendors with auto-blocking on, ≤ {GOAL:,} B gzip and "
        f"< ½ of orestbida's ({orestbida / 2:,.0f} B): {mine:,} B → "
        f"{verdict(mine <= GOAL and mine < orestbida / 2)}"
        f"\n\nGoal (#21): the same with an owner's theme (accent, dark mode, bar layout, "
        f"centred, radius, inherited font) ≤ {GOAL:,} B gzip: {themed:,} B → "
        f"{verdict(themed <= GOAL)}\n"
    )
    return text, ok
