"""Banner weight: gzip and brotli bytes of what the first layer needs, ours vs the peers."""

from __future__ import annotations

import gzip
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


def ours(client, site_key: str) -> bytes:  # type: ignore[no-untyped-def]
    """What a visitor downloads for our first layer: the loader with its config, and the CSS."""
    script = client.get(f"/embed/{site_key}.js").get_data()
    css = client.get("/embed/banner.css").get_data()
    return script + css


def run_with(client, site_key: str, modules: Path) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    """Measure and describe; returns the Markdown section and whether the goals are met."""
    measured = {"Consent Ledger (config included)": sizes(ours(client, site_key))}
    for name, (_spec, files) in PEERS.items():
        measured[name] = sizes(b"".join((modules / f).read_bytes() for f in files))
    mine = measured["Consent Ledger (config included)"][1]
    orestbida = measured["orestbida vanilla-cookieconsent 3"][1]
    ok = mine <= 7000 and mine < orestbida / 2
    rows = [
        [name, f"{raw:,}", f"{gz:,}", f"{br:,}", f"{gz / mine:.2f}×"]
        for name, (raw, gz, br) in measured.items()
    ]
    text = (
        "## 1. Banner weight\n\nBytes a visitor downloads for the first layer (script and CSS; "
        "ours includes the site's config). Peers are the current npm releases, installed into a "
        "temporary folder by the benchmark.\n\n"
        + table(["banner", "raw", "gzip -9", "brotli -11", "gzip vs ours"], rows)
        + f"\n\nGoal: ours ≤ 7,000 B gzip and < ½ of orestbida's ({orestbida / 2:,.0f} B): "
        f"{mine:,} B → {verdict(ok)}\n"
    )
    return text, ok
