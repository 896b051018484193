"""The committed bundle: current with its sources, light, and safe to inline config into."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import esbuild_binary

BANNER = Path(__file__).resolve().parents[2] / "static" / "banner"
DIST = BANNER / "dist"
#: JavaScript (stylesheet included) + CSS, gzip, without a site's config: the banner must stay
#: light on every page of the owner's site. A site's config adds about 1.45 kB (five vendors,
#: en and nl texts: the benchmark's site, whose embed + stylesheet have a 7,000 B goal).
BUDGET = 5600


def _pinned_version() -> str:
    match = re.search(r"^ESBUILD_VERSION=(\S+)$", (BANNER / "build.sh").read_text(), re.M)
    assert match, "build.sh pins the esbuild version"
    return match.group(1)


def test_bundle_matches_its_sources(tmp_path: Path) -> None:
    esbuild = esbuild_binary()
    if esbuild is None:
        pytest.skip("esbuild is not installed (npm install --prefix /tmp/esb esbuild)")
    version = subprocess.run([esbuild, "--version"], capture_output=True, text=True, check=True)
    if version.stdout.strip() != _pinned_version():
        pytest.skip(f"esbuild {version.stdout.strip()} is not the pinned {_pinned_version()}")
    subprocess.run(
        [str(BANNER / "build.sh"), str(tmp_path)],
        env={"ESBUILD": esbuild, "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    for name in ("consent.js", "banner.css"):
        assert (tmp_path / name).read_bytes() == (DIST / name).read_bytes(), (
            f"dist/{name} is stale: run static/banner/build.sh"
        )


def test_config_placeholder_occurs_once_in_expression_position() -> None:
    script = (DIST / "consent.js").read_text(encoding="utf-8")
    assert script.count("__CONSENT_CONFIG__") == 1
    assert re.search(r"=__CONSENT_CONFIG__[;}]", script)


def test_bundle_carries_the_served_stylesheet() -> None:
    # The banner adopts it as a constructable stylesheet; /embed/banner.css serves the same.
    css = (DIST / "banner.css").read_text(encoding="utf-8")
    assert len(css) > 500
    assert css in (DIST / "consent.js").read_text(encoding="utf-8")


def test_bundle_fits_the_size_budget() -> None:
    both = (DIST / "consent.js").read_bytes() + (DIST / "banner.css").read_bytes()
    assert len(gzip.compress(both, compresslevel=9)) <= BUDGET


@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_bundle_has_no_html_or_eval_sinks(sink: str) -> None:
    assert sink not in (DIST / "consent.js").read_text(encoding="utf-8")
