"""What the tests that bring the reference deployment up share (tests/deploy, tests/cluster):
the topology brought up and down around a test, a small HTTP client, API tokens."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from deploy import topology


class Http:
    """A small JSON client for one base URL (urllib: no Accept-Encoding unless asked)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        status, _, data = self.call(method, path, body, headers)
        assert 200 <= status < 300, (method, path, status, data[:500])
        return json.loads(data) if data else None


def token(topo: topology.Topology, site: str, role: str) -> str:
    """A new API token of ``role`` for the site, minted through the CLI."""
    answer = topo.consent("create-token", "--site", site, "--role", role, "--json")
    return str(json.loads(answer)["token"])


@contextmanager
def running(topo: topology.Topology) -> Iterator[topology.Topology]:
    """Bring ``topo`` up (skipped where Debian's packages cannot be installed, unless
    CONSENT_REQUIRE_BROWSER=1, CI, where that fails), and afterwards down: every PID it had
    dead, its folders gone."""
    try:
        topo.up()
    except topology.MissingPackages as error:
        if os.environ.get("CONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CONSENT_REQUIRE_BROWSER=1 but the topology cannot run: {error}")
        pytest.skip(f"the topology cannot run here: {error}")
    pids: set[int] = set()
    try:
        yield topo
    finally:
        for found in topo.pids().values():
            pids.update(found)
        topo.down()
    left = [pid for pid in pids if topology.alive(pid)]
    assert pids and not left, f"still running after down: {left}"
    assert not topo.folder.exists() and (topo.scratch is None or not topo.scratch.exists())
