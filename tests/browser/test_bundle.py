"""The committed bundle: current with its sources, light, and safe to inline config into."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import esbuild_binary

BANNER = Path(__file__).resolve().parents[2] / "static" / "banner"
DIST = BANNER / "dist"
#: The first layer's code (consent.js, its stylesheet inlined), gzip, without a site's config:
#: the banner must stay light on every page of the owner's site. What only the preferences and
#: the placeholders need is in later.js, loaded when first needed. A site's config adds about
#: 1 kB (eight vendors, the first layer's texts and auto-blocking's rules: the benchmark's
#: site, whose embed has a 7,500 B goal).
BUDGET = 6500


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
    for name in ("consent.js", "banner.css", "declaration.js", "later.js", "later.css"):
        assert (tmp_path / name).read_bytes() == (DIST / name).read_bytes(), (
            f"dist/{name} is stale: run static/banner/build.sh"
        )


def test_the_code_is_a_function_of_the_config_that_does_nothing_alone() -> None:
    # The embed follows the code with "(config);": the code is one function expression,
    # its parameter read once (readConfig).
    script = (DIST / "consent.js").read_text(encoding="utf-8")
    # First, V8's compile hint (a comment anywhere else): the first layer's functions are
    # compiled with the script, not each on its first call.
    assert script.startswith("//# allFunctionsCalledOnLoad\n(function(__CONSENT_CONFIG__){\n")
    assert script.endswith("\n})\n")
    assert script.count("__CONSENT_CONFIG__") == 2
    assert re.search(r"=__CONSENT_CONFIG__[;}]", script)


def test_bundle_carries_the_served_stylesheet() -> None:
    # The banner adopts it as a constructable stylesheet; /embed/banner.css serves the same.
    css = (DIST / "banner.css").read_text(encoding="utf-8")
    assert len(css) > 500
    assert css in (DIST / "consent.js").read_text(encoding="utf-8")


def test_bundle_fits_the_size_budget() -> None:
    code = (DIST / "consent.js").read_bytes()
    assert len(gzip.compress(code, compresslevel=9)) <= BUDGET


def test_the_code_names_what_it_loads_later_by_its_hash() -> None:
    # later.js runs only if it is exactly what the first layer's code names (its integrity):
    # the first layer's build covers it.
    digest = hashlib.sha256((DIST / "later.js").read_bytes()).digest()
    integrity = f'"sha256-{base64.b64encode(digest).decode()}"'
    assert (DIST / "consent.js").read_text(encoding="utf-8").count(integrity) == 1
    # Its stylesheet travels in it, as the first layer's does in consent.js.
    assert (DIST / "later.css").read_text(encoding="utf-8") in (DIST / "later.js").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    "sink", ["outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_bundle_has_no_html_or_eval_sinks(sink: str) -> None:
    for name in ("consent.js", "later.js"):
        assert sink not in (DIST / name).read_text(encoding="utf-8")


def test_innerhtml_is_only_wrapped_never_assigned() -> None:
    # Auto-blocking wraps the page's innerHTML setter (it parses into an inert template
    # first); the bundle itself never assigns HTML.
    script = (DIST / "consent.js").read_text(encoding="utf-8")
    assert script.count("innerHTML") == 1
    assert not re.search(r"innerHTML\s*=[^=]", script)
