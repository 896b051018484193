"""The reference deployment end to end (deploy/topology.py): PostgreSQL with the documented
grants, Redis, two gunicorn instances of two workers each, nginx in front with deploy/'s
proxy rules. A consent recorded through nginx; a publish through instance A served by
instance B at once (the state-version re-check is an hour here, so only Redis pub/sub can
explain it); Redis stopped, consents and the gate still answer; Redis back, changes reach
B at once again; the auditor's export from the streaming replica equals the primary's, which
answers when the replica is stopped; everything stopped by PID, nothing left running.

Skipped when Debian's nginx, redis-server or postgresql cannot be installed here, unless
CONSENT_REQUIRE_BROWSER=1 (CI), where that is a failure. About 40 s.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import brotli
import pytest
import redis

from consent.sites.broadcast import CHANNEL
from deploy import topology
from tests.conftest import ORIGIN
from tests.topologies import Http, running, token

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.topology, pytest.mark.xdist_group("faults")]
HOUR = 3600


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    """The topology with an hour-long re-check; its PIDs are checked dead afterwards."""
    topo = topology.Topology(tmp_path / "topology", state_ttl=HOUR, redis_recheck=0.2, replica=True)
    with running(topo):
        yield topo


def _subscribers(topo: Any) -> int:
    client = redis.Redis(port=topo.ports["redis"], socket_timeout=1)
    try:
        return int(client.pubsub_numsub(CHANNEL)[0][1])
    except redis.RedisError:
        return -1
    finally:
        client.close()


def _version(http: Http, site: str) -> int:
    return int(http.json("GET", f"/api/v1/sites/{site}/config")["policy_version"])


def _warm_every_worker(topo: Any, site: str) -> None:
    """Concurrent requests until all four workers have served one and subscribed."""
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(8) as pool:
        while _subscribers(topo) < 4:
            assert time.monotonic() < deadline, f"{_subscribers(topo)} of 4 workers subscribed"
            for base in topo.instances.values():
                list(pool.map(lambda _n, b=base: _version(Http(b), site), range(16)))
            time.sleep(0.1)
    assert _subscribers(topo) == 4


def _all_serve(http: Http, site: str, version: int, within: float) -> float:
    """Seconds until 12 answers in a row (both workers) show ``version``."""
    started = time.monotonic()
    streak = 0
    while streak < 12:
        assert time.monotonic() - started < within, f"not serving version {version} in time"
        streak = streak + 1 if _version(http, site) == version else 0
    return time.monotonic() - started


def _publish(owner: Http, site: str, note: str) -> int:
    admin = f"/api/v1/admin/sites/{site}"
    draft = owner.json("GET", f"{admin}/draft")
    draft["texts"]["nl"]["description"] += f" ({note})"
    owner.json("PUT", f"{admin}/draft", draft)
    return int(owner.json("POST", f"{admin}/publish", {"requires_reconsent": False})["version"])


def _consent(http: Http, site: str) -> dict[str, Any]:
    config = http.json("GET", f"/api/v1/sites/{site}/config")
    body = {
        "action": "accept_all",
        "policy_version": config["policy_version"],
        "policy_hash": config["policy_hash"],
        "language": "en",
        "page_url": f"{ORIGIN}/checkout",
    }
    status, _, data = http.call("POST", f"/api/v1/sites/{site}/consents", body, {"Origin": ORIGIN})
    assert status == 201, data[:500]
    return json.loads(data)  # type: ignore[no-any-return]


def _gate(http: Http, site: str, token: str) -> bool:
    answer = http.json("GET", f"/api/v1/sites/{site}/gate?vendors=google-analytics&token={token}")
    return bool(answer["decisions"]["google-analytics"]["allowed"])


def test_the_reference_topology(cluster: Any) -> None:
    topo = cluster
    site = json.loads(
        topo.consent(
            "create-site",
            "--name",
            "Shop",
            "--origin",
            ORIGIN,
            "--vendor",
            "google-analytics=G-TEST123",
            "--json",
        )
    )["site_key"]
    owner_token = token(topo, site, "owner")
    edge, b = Http(topo.url), Http(topo.instances["b"])
    owner_a = Http(topo.instances["a"], owner_token)

    # Through nginx: a consent is recorded and the gate answers from it.
    receipt = _consent(edge, site)
    assert _gate(edge, site, receipt["token"]) is True

    # The embed arrives compressed by the app (nginx passes it through); JSON by nginx.
    _, _, plain = edge.call("GET", f"/embed/{site}.js")
    _, headers, packed = edge.call("GET", f"/embed/{site}.js", headers={"Accept-Encoding": "br"})
    assert headers["Content-Encoding"] == "br" and brotli.decompress(packed) == plain
    assert "Accept-Encoding" in headers["Vary"]
    _, headers, packed = edge.call(
        "GET", f"/api/v1/sites/{site}/config", headers={"Accept-Encoding": "gzip"}
    )
    assert headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(packed))
    # nginx spread those over both instances.
    for name in ("a", "b"):
        assert f"/api/v1/sites/{site}/" in (topo.folder / f"app-{name}.log").read_text()

    # A publish through A reaches both of B's workers at once (the re-check is an hour).
    _warm_every_worker(topo, site)
    assert _version(b, site) == 1
    assert _publish(owner_a, site, "two") == 2
    seconds = _all_serve(b, site, 2, within=5)
    print(f"publish through A served by B after {seconds * 1000:.0f} ms")
    assert _version(edge, site) == 2

    # Redis stopped: consents, the gate and publishes keep working.
    topo.stop("redis")
    for _ in range(4):
        receipt = _consent(edge, site)
        assert _gate(edge, site, receipt["token"]) is True
    assert _publish(owner_a, site, "three") == 3
    assert edge.json("GET", "/readyz")["redis"] == "unavailable"

    # Redis back: every worker subscribes again, drops what it may have missed, and hears
    # the next publish at once.
    topo.start_redis()
    deadline = time.monotonic() + 20
    while _subscribers(topo) < 4:
        assert time.monotonic() < deadline, f"{_subscribers(topo)} of 4 workers resubscribed"
        time.sleep(0.1)
    _all_serve(b, site, 3, within=5)
    assert _publish(owner_a, site, "four") == 4
    _all_serve(b, site, 4, within=5)
    receipt = _consent(edge, site)
    assert receipt["receipt"]["policy_version"] == 4

    # The auditor's export comes from the replica once it caught up, and equals the
    # primary's, which answers when the replica is stopped.
    auditor = Http(topo.url, token(topo, site, "auditor"))
    export = f"/api/v1/audit/sites/{site}/export?format=ndjson"
    deadline = time.monotonic() + 10
    while True:
        status, headers, from_replica = auditor.call("GET", export)
        assert status == 200 and headers["X-Consent-Read-From"] == "replica"
        if len(from_replica.splitlines()) == 6:
            break
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.1)
    assert float(headers["X-Consent-Replica-Lag"]) >= 0
    topo.stop("replica")
    status, headers, from_primary = auditor.call("GET", export)
    assert status == 200 and headers["X-Consent-Read-From"] == "primary"
    assert from_primary == from_replica
