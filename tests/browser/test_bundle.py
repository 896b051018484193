"""The committed bundle: current with its sources, light, and safe to inline config into."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import esbuild_binary

BANNER = Path(__file__).resolve().parents[2] / "static" / "banner"
DIST = BANNER / "dist"
#: JavaScript (stylesheet included) + CSS, gzip, without a site's config: the banner must stay
#: light on every page of the owner's site. A site's config adds about 1.1 kB (eight vendors,
#: the default language's texts and auto-blocking's rules: the benchmark's site, whose embed +
#: stylesheet have a 7,500 B goal).
BUDGET = 6450


def _pinned_version() -> str:
    """The esbuild version package.json pins (build.sh reads it there too)."""
    package = json.loads((BANNER / "package.json").read_text(encoding="utf-8"))
    return str(package["devDependencies"]["esbuild"])


def _version_of(esbuild: str) -> str:
    run = subprocess.run([esbuild, "--version"], capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_esbuild_is_pinned_exactly_by_package_json_and_its_lock() -> None:
    version = _pinned_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "an exact version, not a range"
    lock = json.loads((BANNER / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["devDependencies"]["esbuild"] == version
    assert lock["packages"]["node_modules/esbuild"]["version"] == version


def test_bundle_matches_its_sources(tmp_path: Path) -> None:
    esbuild = esbuild_binary()
    found = _version_of(esbuild) if esbuild else None
    if found != _pinned_version():
        reason = (
            f"esbuild {found} is not the pinned {_pinned_version()}"
            if found
            else "esbuild is not installed (npm ci --prefix static/banner, as make test does)"
        )
        # CI (make test) installs the pinned esbuild: there, a stale bundle must not pass unseen.
        if os.environ.get("CONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CONSENT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    assert esbuild is not None
    subprocess.run(
        [str(BANNER / "build.sh"), str(tmp_path)],
        env={"ESBUILD": esbuild, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        check=True,
        capture_output=True,
    )
    for name in ("consent.js", "banner.css", "declaration.js"):
        assert (tmp_path / name).read_bytes() == (DIST / name).read_bytes(), (
            f"dist/{name} is stale: run static/banner/build.sh"
        )


def test_the_code_is_a_function_of_the_config_that_does_nothing_alone() -> None:
    # The embed follows the code with "(config);": the code is one function expression,
    # its parameter read once (readConfig).
    script = (DIST / "consent.js").read_text(encoding="utf-8")
    assert script.startswith("(function(__CONSENT_CONFIG__){\n")
    assert script.endswith("\n})\n")
    assert script.count("__CONSENT_CONFIG__") == 2
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
    "sink", ["outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_bundle_has_no_html_or_eval_sinks(sink: str) -> None:
    assert sink not in (DIST / "consent.js").read_text(encoding="utf-8")


def test_innerhtml_is_only_wrapped_never_assigned() -> None:
    # Auto-blocking wraps the page's innerHTML setter (it parses into an inert template
    # first); the bundle itself never assigns HTML.
    script = (DIST / "consent.js").read_text(encoding="utf-8")
    assert script.count("innerHTML") == 1
    assert not re.search(r"innerHTML\s*=[^=]", script)
