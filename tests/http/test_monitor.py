"""``monitor`` catches a rewritten or truncated log against checkpoints it saw before, receipts
with and without a banner build alike."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from consent.core.chain import GENESIS, HASHED_FIELDS, OPTIONAL_FIELDS, receipt_hash
from consent.core.merkle import leaf_hash
from consent.core.tree_edge import append_leaves
from consent.offline.monitor import check
from tests.helpers import Visitor
from tests.http.test_banner_builds import served_build


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real 127.0.0.1 port (the monitor speaks HTTP)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def record(app: Flask, site: str, n: int, build: str | None = None) -> None:
    visitor = Visitor(app.test_client(), site)
    for i in range(n):
        visitor.choose("accept_all" if i % 2 else "reject_all", build=build)


def rewrite(
    app: Flask,
    keep: int | None = None,
    alter_seq: int | None = None,
    build_seq: int | None = None,
    build: str | None = None,
) -> None:
    """What an operator with database access could do: rewrite history and recompute it all
    (``build_seq``: that receipt's banner build becomes ``build``, None for none)."""
    with app.app_context(), app.extensions["sqlalchemy"].engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(sa.text("DROP TRIGGER IF EXISTS receipts_no_update"))
            conn.execute(sa.text("DROP TRIGGER IF EXISTS receipts_no_delete"))
        if keep is not None:
            conn.execute(
                sa.text(
                    "DELETE FROM receipt_contexts WHERE receipt_pk IN (SELECT id FROM receipts WHERE seq > :k)"
                ),
                {"k": keep},
            )
            conn.execute(sa.text("DELETE FROM receipts WHERE seq > :k"), {"k": keep})
        rows = conn.execute(sa.text("SELECT * FROM receipts ORDER BY seq")).mappings().all()
        prev, leaves = GENESIS, []
        for row in rows:
            body = {name: row[name] for name in (*HASHED_FIELDS, *OPTIONAL_FIELDS)}
            for name in ("categories", "vendors", "signals"):
                if isinstance(body[name], str):
                    body[name] = json.loads(body[name])
            if row["seq"] == alter_seq:
                body["action"] = "accept_all"
                body["categories"] = {c: True for c in body["categories"]}
            if row["seq"] == build_seq:
                body["banner_build"] = build
            body["prev_hash"] = prev
            prev = receipt_hash(body)
            conn.execute(
                sa.text(
                    "UPDATE receipts SET action = :a, categories = :c, banner_build = :b,"
                    " prev_hash = :p, hash = :h WHERE id = :id"
                ),
                {
                    "a": body["action"],
                    "b": body["banner_build"],
                    "c": json.dumps(body["categories"]),
                    "p": body["prev_hash"],
                    "h": prev,
                    "id": row["id"],
                },
            )
            leaves.append(leaf_hash(bytes.fromhex(prev)))
        conn.execute(sa.text("DELETE FROM log_tiles"))
        site_id = rows[0]["site_id"]
        for write in append_leaves(lambda _l, _i: b"", 0, leaves):
            conn.execute(
                sa.text(
                    "INSERT INTO log_tiles (site_id, level, idx, hashes) VALUES (:s, :l, :i, :h)"
                ),
                {"s": site_id, "l": write.level, "i": write.index, "h": write.data},
            )


def test_an_honest_log_passes(app: Flask, served: str, site: str, tmp_path: Path) -> None:
    record(app, site, 3)
    assert check(served, site, tmp_path).code == 0
    assert (tmp_path / "key").read_text().startswith("consent.test+")
    record(app, site, 5)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 0 and "size 8" in outcome.message


def test_an_honest_log_of_receipts_with_and_without_a_build_passes(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    record(app, site, 2)
    assert check(served, site, tmp_path).code == 0
    record(app, site, 3, build=served_build(app.test_client(), site))
    record(app, site, 1)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 0 and "size 6" in outcome.message


def test_rewriting_only_the_recomputed_chain_changes_nothing(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    # The helper below recomputes hashes as the ledger does, builds included: with nothing
    # altered the log is the same (so the rewrites it catches are the alterations).
    record(app, site, 2)
    record(app, site, 2, build=served_build(app.test_client(), site))
    assert check(served, site, tmp_path).code == 0
    rewrite(app)
    assert check(served, site, tmp_path).code == 0


@pytest.mark.parametrize("change", ["removed", "added"])
def test_a_rewritten_banner_build_is_caught(
    app: Flask, served: str, site: str, tmp_path: Path, change: str
) -> None:
    # An operator who hides which code collected a choice, or claims one for an older receipt.
    build = served_build(app.test_client(), site)
    record(app, site, 2)
    record(app, site, 4, build=build)
    assert check(served, site, tmp_path).code == 0
    if change == "removed":
        rewrite(app, build_seq=4, build=None)
    else:
        rewrite(app, build_seq=1, build=build)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 1 and "two different heads for size 6" in outcome.message


def test_a_rewritten_receipt_with_a_recomputed_chain_is_caught(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    record(app, site, 6)
    assert check(served, site, tmp_path).code == 0
    rewrite(app, alter_seq=3)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 1 and "two different heads for size 6" in outcome.message
    assert len(outcome.evidence) == 2 and outcome.evidence[0] != outcome.evidence[1]


def test_a_rewrite_hidden_behind_growth_is_caught(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    record(app, site, 6)
    assert check(served, site, tmp_path).code == 0
    rewrite(app, alter_seq=3)
    record(app, site, 3)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 1 and "does not extend size 6" in outcome.message


def test_deleting_the_newest_receipts_is_caught(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    record(app, site, 6)
    assert check(served, site, tmp_path).code == 0
    rewrite(app, keep=4)
    outcome = check(served, site, tmp_path)
    assert outcome.code == 1 and "shrank from 6 to 4" in outcome.message


def test_unreachable_or_wrong_key_is_exit_2(
    app: Flask, served: str, site: str, tmp_path: Path
) -> None:
    from consent.core.notes import generate_signer_key

    record(app, site, 1)
    assert check("http://127.0.0.1:9", site, tmp_path / "a").code == 2
    _, stranger = generate_signer_key("consent.test")
    assert check(served, site, tmp_path / "b", key=stranger).code == 2
    assert check(served, "no-such-site", tmp_path / "c").code == 2
