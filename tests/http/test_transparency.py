"""The transparency log over HTTP: commitments, checkpoints, tiles, proofs, keys."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consent import create_app
from consent.config import ConfigError
from consent.core.merkle import leaf_hash, merkle_root, verify_consistency, verify_inclusion
from consent.core.notes import generate_signer_key, open_checkpoint, parse_verifier_key
from consent.core.tiles import parse_entry_bundle
from consent.core.tlog_errors import TileCorrupt
from consent.core.tree_edge import TreeEdge, append_leaves
from consent.ledger import append as ledger
from consent.ledger import transparency
from consent.sites.state import site_state
from tests.conftest import base_config
from tests.helpers import Visitor


def verifiers(client: FlaskClient) -> list:  # type: ignore[type-arg]
    keys = client.get("/log/key")
    assert keys.mimetype == "text/plain" and keys.headers["Access-Control-Allow-Origin"] == "*"
    return [parse_verifier_key(line) for line in keys.get_data(as_text=True).splitlines()]


def check_proof(client: FlaskClient, site: str, receipt: dict, proof: dict) -> None:  # type: ignore[type-arg]
    checkpoint = open_checkpoint(
        proof["checkpoint"], verifiers(client), origin=f"consent.test/log/{site}"
    )
    assert checkpoint.size == proof["tree_size"]
    path = [base64.b64decode(node) for node in proof["inclusion"]]
    leaf = leaf_hash(bytes.fromhex(receipt["hash"]))
    verify_inclusion(receipt["seq"] - 1, checkpoint.size, leaf, path, checkpoint.root)


def seed(runner: FlaskCliRunner, site: str, count: int) -> None:
    result = runner.invoke(args=["seed-receipts", "--site", site, "--count", str(count)])
    assert result.exit_code == 0, result.output


#: A site key or NULL, typed (PostgreSQL cannot tell a bare NULL parameter's type).
SITE = sa.bindparam("site", type_=sa.String)


def all_hashes(app: Flask, site: str | None = None) -> list[bytes]:
    """Every receipt hash in ``seq`` order (of one site, when the test has several)."""
    query = "SELECT hash FROM receipts WHERE :site IS NULL OR site_key = :site ORDER BY seq"
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as conn:
        rows = conn.execute(sa.text(query).bindparams(SITE), {"site": site}).scalars()
        return [bytes.fromhex(h) for h in rows]


def test_the_201_carries_a_signed_commitment(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    for action in ("accept_all", "reject_all", "withdraw"):
        response = visitor.post(visitor.consent_body(action))
        assert response.status_code == 201
        visitor.token = response.json["token"]
        receipt, inclusion = response.json["receipt"], response.json["inclusion"]
        assert (
            inclusion["tree_size"] == receipt["seq"]
            and inclusion["leaf_index"] == receipt["seq"] - 1
        )
        assert response.json["checkpoint"] == inclusion["checkpoint"]
        check_proof(client, site, receipt, inclusion)


def test_checkpoint_is_the_merkle_root_of_the_receipts(
    app: Flask, client: FlaskClient, runner, site: str
) -> None:  # type: ignore[no-untyped-def]
    seed(runner, site, 300)
    response = client.get(f"/log/{site}/checkpoint")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=2"
    assert "immutable" not in response.headers["Cache-Control"]
    checkpoint = open_checkpoint(response.get_data(as_text=True), verifiers(client))
    assert checkpoint.origin == f"consent.test/log/{site}" and checkpoint.size == 300
    assert checkpoint.root == merkle_root(leaf_hash(h) for h in all_hashes(app))


def test_tiles(app: Flask, client: FlaskClient, runner, site: str) -> None:  # type: ignore[no-untyped-def]
    seed(runner, site, 300)
    hashes = all_hashes(app)
    full = client.get(f"/log/{site}/tile/0/000")
    assert full.status_code == 200
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.data == b"".join(leaf_hash(h) for h in hashes[:256])
    partial = client.get(f"/log/{site}/tile/0/001.p/44")
    assert partial.data == b"".join(leaf_hash(h) for h in hashes[256:300])
    assert "immutable" not in partial.headers["Cache-Control"]
    assert client.get(f"/log/{site}/tile/0/001.p/10").data == partial.data[: 10 * 32]
    assert client.get(f"/log/{site}/tile/1/000.p/1").data == merkle_root(
        leaf_hash(h) for h in hashes[:256]
    )
    entries = client.get(f"/log/{site}/tile/entries/001.p/44")
    assert parse_entry_bundle(entries.data) == hashes[256:300]
    for missing in (
        "tile/0/001",
        "tile/0/001.p/45",
        "tile/0/002.p/1",
        "tile/1/000",
        "tile/0/1",
        "tile/x",
    ):
        assert client.get(f"/log/{site}/{missing}").status_code == 404, missing


def test_inclusion_proof_endpoint(client: FlaskClient, runner, site: str) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all")
    seed(runner, site, 40)
    url = f"/api/v1/sites/{site}/receipts/{receipt['receipt_id']}/proof"
    current = client.get(url, headers={"Origin": "https://anywhere.example"})
    assert current.status_code == 200 and current.json["tree_size"] == 41
    assert current.headers["Access-Control-Allow-Origin"] == "*"
    check_proof(client, site, receipt, current.json)
    at_seven = client.get(url, query_string={"tree_size": 7}).json
    assert at_seven["tree_size"] == 7
    check_proof(client, site, receipt, at_seven)
    for bad in ("0", "42", "-1", "x", "1e3", "9" * 30):
        response = client.get(url, query_string={"tree_size": bad})
        assert response.status_code == 422, bad
        assert response.json["error"]["field"] == "tree_size"
    assert client.get(f"/api/v1/sites/{site}/receipts/nope/proof").status_code == 404


def test_consistency_proofs(client: FlaskClient, runner, site: str) -> None:  # type: ignore[no-untyped-def]
    seed(runner, site, 10)
    old = open_checkpoint(
        client.get(f"/log/{site}/checkpoint").get_data(as_text=True), verifiers(client)
    )
    seed(runner, site, 290)
    new = open_checkpoint(
        client.get(f"/log/{site}/checkpoint").get_data(as_text=True), verifiers(client)
    )
    answer = client.get(
        f"/api/v1/sites/{site}/log/consistency", query_string={"from": 10, "to": 300}
    ).json
    assert answer["from"] == 10 and answer["to"] == 300
    proof = [base64.b64decode(node) for node in answer["proof"]]
    verify_consistency(10, 300, proof, old.root, new.root)
    same = client.get(
        f"/api/v1/sites/{site}/log/consistency", query_string={"from": 300, "to": 300}
    )
    assert same.json["proof"] == []
    for params, field in (
        ({"from": 11, "to": 10}, "from"),
        ({"from": 1, "to": 301}, "to"),
        ({"from": 0, "to": 5}, "from"),
        ({"to": 5}, "from"),
        ({"from": "a", "to": 5}, "from"),
    ):
        response = client.get(f"/api/v1/sites/{site}/log/consistency", query_string=params)
        assert response.status_code == 422 and response.json["error"]["field"] == field, params


def test_me_gives_proofs_against_the_current_checkpoint(
    client: FlaskClient, runner, site: str
) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("withdraw")
    seed(runner, site, 20)
    items = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json[
        "items"
    ]
    assert [item["proof"]["tree_size"] for item in items] == [22, 22]
    for item in items:
        check_proof(client, site, item, item["proof"])


def test_a_failed_tile_write_confirms_nothing(
    app: Flask, client: FlaskClient, site: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(client, site)
    visitor.choose("accept_all")

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("INSERT INTO log_tiles", {}, Exception("disk full"))

    monkeypatch.setattr(transparency, "_store", broken)
    response = visitor.post(visitor.consent_body("reject_all"))
    assert response.status_code == 503
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM receipt_contexts")).scalar_one() == 1


def test_log_key_name_must_match_the_public_url(db_url: str) -> None:
    signer, _ = generate_signer_key("other.example")
    with pytest.raises(ConfigError):
        create_app({**base_config(db_url), "CONSENT_LOG_KEY": signer})
    good, _ = generate_signer_key("consent.test")
    create_app({**base_config(db_url), "CONSENT_LOG_KEY": good})


def test_postgresql_requires_a_configured_log_key() -> None:
    config = {
        **base_config("postgresql+psycopg://u@127.0.0.1:1/x"),
        "TESTING": False,
        "CONSENT_LOG_KEY": None,
    }
    with pytest.raises(ConfigError):
        create_app(config)


def test_retired_keys_stay_listed(db_url: str) -> None:
    current, _ = generate_signer_key("consent.test")
    _, old = generate_signer_key("consent.test")
    app = create_app(
        {**base_config(db_url), "CONSENT_LOG_KEY": current, "CONSENT_LOG_KEY_RETIRED": [old]}
    )
    lines = app.test_client().get("/log/key").get_data(as_text=True).splitlines()
    assert len(lines) == 2 and lines[1] == old


def test_migration_builds_the_tree_for_existing_receipts(
    app: Flask, client: FlaskClient, runner, site: str
) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    seed(runner, site, 600)
    before = client.get(f"/log/{site}/checkpoint").get_data(as_text=True)
    with app.app_context():
        directory = init_migrations(app)
        downgrade(directory=directory, revision="0003")  # drops the tiles
        with app.extensions["sqlalchemy"].engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM log_tiles")).scalar_one() == 0
        upgrade(directory=directory)
    after = client.get(f"/log/{site}/checkpoint").get_data(as_text=True)
    assert (
        open_checkpoint(after, verifiers(client)).root
        == open_checkpoint(before, verifiers(client)).root
    )


def tile_rows(app: Flask) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Each stored tile's slices as (start, hashes) pairs."""
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT level, idx, start, hashes FROM log_tiles")).all()
    slices: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for level, idx, start, data in sorted(rows, key=lambda row: row[:3]):
        slices.setdefault((level, idx), []).append((start, len(bytes(data)) // 32))
    return slices


def test_appends_add_slices_and_a_full_tile_is_one_row(
    app: Flask, client: FlaskClient, runner, site: str
) -> None:  # type: ignore[no-untyped-def]
    seed(runner, site, 254)
    visitor = Visitor(client, site)
    answers = [visitor.post(visitor.consent_body("accept_all")).json for _ in range(4)]
    # The first two appends added one-hash slices to tile 0; the third filled it: one row.
    assert tile_rows(app) == {(0, 0): [(0, 256)], (0, 1): [(0, 1), (1, 1)], (1, 0): [(0, 1)]}
    assert_log_matches_receipts(app, answers)


def test_migration_0007_folds_slices_and_back(app: Flask, client: FlaskClient, site: str) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    visitor = Visitor(client, site)
    for _ in range(3):
        visitor.choose("accept_all")
    before = client.get(f"/log/{site}/checkpoint").get_data(as_text=True)
    with app.app_context():
        directory = init_migrations(app)
        downgrade(directory=directory, revision="0006")
        with app.extensions["sqlalchemy"].engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT level, idx, hashes FROM log_tiles")).all()
        assert [(row.level, row.idx, len(bytes(row.hashes))) for row in rows] == [(0, 0, 96)]
        upgrade(directory=directory)
    assert tile_rows(app) == {(0, 0): [(0, 3)]}
    assert client.get(f"/log/{site}/checkpoint").get_data(as_text=True) == before
    answers = [visitor.post(visitor.consent_body("reject_all")).json for _ in range(2)]
    assert tile_rows(app) == {(0, 0): [(0, 3), (3, 1), (4, 1)]}
    assert_log_matches_receipts(app, answers)


@pytest.mark.parametrize(
    "change",
    [
        ("UPDATE log_tiles SET start = 2 WHERE start = 1", {}),  # a gap
        ("UPDATE log_tiles SET hashes = :h WHERE start = 0", {"h": bytes(64)}),  # an overlap
    ],
    ids=["gap", "overlap"],
)
def test_slices_that_do_not_follow_each_other_are_a_corrupt_tile(
    app: Flask,
    client: FlaskClient,
    site: str,
    change: tuple[str, dict],  # type: ignore[type-arg]
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("accept_all")
    with app.app_context(), app.extensions["sqlalchemy"].engine.begin() as conn:
        conn.execute(sa.text(change[0]), change[1])
    assert client.get(f"/log/{site}/checkpoint").status_code == 503
    app.extensions["consent_log_heads"]._heads.clear()  # a worker that reads the tiles
    refused = visitor.post(visitor.consent_body("accept_all"))
    assert refused.status_code == 503 and refused.json["error"]["code"] == "unavailable"
    assert tile_rows(app)[0, 0][-1][0] in (1, 2)  # nothing appended onto the corrupt tile


# --- The worker's cached log head: a hint, always checked against the receipts ---------


def stored_tiles(app: Flask, site: str | None = None) -> dict[tuple[int, int], bytes]:
    query = (
        "SELECT t.site_id, t.level, t.idx FROM log_tiles t JOIN sites s ON s.id = t.site_id "
        "WHERE :site IS NULL OR s.site_key = :site GROUP BY 1, 2, 3"
    )
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as conn:
        return {
            (level, idx): transparency.reader(conn, site_id)(level, idx)
            for site_id, level, idx in conn.execute(sa.text(query).bindparams(SITE), {"site": site})
        }


def expected_tiles(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """The tiles of a log built from scratch over every receipt hash."""
    return {(w.level, w.index): w.data for w in append_leaves(lambda _l, _i: b"", 0, hashes)}


def assert_log_matches_receipts(app: Flask, answers: list[dict], site: str | None = None) -> None:  # type: ignore[type-arg]
    """Tiles, and every 201's signed root and proof, agree with the receipts as stored."""
    hashes = all_hashes(app, site)
    assert stored_tiles(app, site) == expected_tiles([leaf_hash(h) for h in hashes])
    for answer in answers:
        receipt, inclusion = answer["receipt"], answer["inclusion"]
        seq = receipt["seq"]
        root = merkle_root(leaf_hash(h) for h in hashes[:seq])
        assert inclusion["checkpoint"].split("\n")[2] == base64.b64encode(root).decode()
        path = [base64.b64decode(node) for node in inclusion["inclusion"]]
        verify_inclusion(seq - 1, seq, leaf_hash(hashes[seq - 1]), path, root)


def test_two_workers_appending_alternately_keep_one_log(app: Flask, db_url: str, site: str) -> None:
    """Each app caches its own head; the other's appends are caught up on, never missed."""
    other = create_app(base_config(db_url))
    visitors = [Visitor(app.test_client(), site), Visitor(other.test_client(), site)]
    answers = []
    for turn in range(300):  # across a full tile and into the next
        visitor = visitors[turn % 2 if turn < 200 else (turn // 7) % 2]
        response = visitor.post(visitor.consent_body("accept_all"))
        assert response.status_code == 201, response.json
        answers.append(response.json)
    assert_log_matches_receipts(app, answers)
    with other.app_context():
        other.extensions["sqlalchemy"].engine.dispose()


def test_a_head_behind_many_appends_is_rebuilt_from_the_tiles(
    app: Flask, db_url: str, runner, site: str
) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(app.test_client(), site)
    answers = [visitor.post(visitor.consent_body("accept_all")).json]
    other = create_app(base_config(db_url))
    seed(other.test_cli_runner(), site, transparency.RECENT + 200)
    answers += [visitor.post(visitor.consent_body("reject_all")).json for _ in range(3)]
    assert_log_matches_receipts(app, answers)
    with other.app_context():
        other.extensions["sqlalchemy"].engine.dispose()


@pytest.mark.parametrize("stale", ["hash", "ahead", "behind"])
def test_a_stale_or_wrong_head_is_detected(app: Flask, site: str, stale: str) -> None:
    visitor = Visitor(app.test_client(), site)
    answers = [visitor.post(visitor.consent_body("accept_all")).json for _ in range(5)]
    heads = app.extensions["consent_log_heads"]
    ((site_id, head),) = heads._heads.items()
    if stale == "hash":  # another history with the same size
        head.hash = "f" * 64
    elif stale == "ahead":  # a head from a transaction that never committed
        head.edge.append(b"\x01" * 32)
        head.hash = "e" * 64
    else:  # an empty log's head: caught up from the first receipt
        heads._heads[site_id] = transparency.LogHead(transparency.GENESIS, TreeEdge())
    answers += [visitor.post(visitor.consent_body("withdraw")).json for _ in range(2)]
    assert_log_matches_receipts(app, answers)


# --- Group commit: appends waiting for the same lock share one transaction -----------------


def batched(  # type: ignore[no-untyped-def]
    monkeypatch, app: Flask, waiters: int, fail_second: bool = False, corrupt: int | None = None
) -> list[int]:
    """Hold the first batch until ``waiters`` appends queue behind it; the batch sizes.

    ``fail_second``: the second batch's tile writes fail (the database's fault);
    ``corrupt``: from the second batch on, the tiles of the site with that id are corrupt.
    """
    real, sizes, store = ledger._append_batch, [], transparency._store

    def corrupt_store(conn, site_id, writes):  # type: ignore[no-untyped-def]
        if site_id == corrupt:
            raise TileCorrupt(0, 0, "has a slice at 1 already")
        return store(conn, site_id, writes)

    def spy(batch):  # type: ignore[no-untyped-def]
        sizes.append(len(batch))
        if len(sizes) == 1:
            deadline = time.monotonic() + 30
            while (
                len(app.extensions["consent_appends"]._waiting) < waiters
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
        elif fail_second:  # the tiles fail after the batch's receipts were inserted

            def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
                raise sa.exc.OperationalError("INSERT INTO log_tiles", {}, Exception("disk full"))

            monkeypatch.setattr(transparency, "_store", broken)
        elif corrupt is not None:
            monkeypatch.setattr(transparency, "_store", corrupt_store)
        return real(batch)

    monkeypatch.setattr(ledger, "_append_batch", spy)
    return sizes


def post_at_once(app: Flask, sites: list[str]) -> list:  # type: ignore[type-arg]
    """One visitor per entry of ``sites`` POSTs, all at the same moment, each from a thread."""
    visitors = [Visitor(app.test_client(), site) for site in sites]
    bodies = [visitor.consent_body("accept_all") for visitor in visitors]
    with ThreadPoolExecutor(len(sites)) as pool:
        return list(pool.map(lambda vb: vb[0].post(vb[1]), zip(visitors, bodies, strict=True)))


def test_appends_waiting_for_the_lock_commit_together(app: Flask, site: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sizes = batched(monkeypatch, app, waiters=15)
    responses = post_at_once(app, [site] * 16)
    assert sizes == [1, 15]
    assert all(response.status_code == 201 for response in responses)
    answers = [response.json for response in responses]
    assert sorted(answer["receipt"]["seq"] for answer in answers) == list(range(1, 17))
    # Each receipt has its own checkpoint at its own seq, and the tiles hold all of them.
    assert_log_matches_receipts(app, answers)
    assert app.extensions["consent_appends"]._waiting == []


def test_a_failed_batch_fails_every_append_in_it(app: Flask, site: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sizes = batched(monkeypatch, app, waiters=7, fail_second=True)
    responses = post_at_once(app, [site] * 8)
    assert sizes == [1, 7]
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [503] * 7
    assert all(r.json["error"]["code"] == "unavailable" for r in responses if r.status_code == 503)
    assert len(all_hashes(app)) == 1
    # The next append leads a batch of its own and continues the log.
    monkeypatch.undo()
    visitor = Visitor(app.test_client(), site)
    answer = visitor.post(visitor.consent_body("reject_all")).json
    assert answer["receipt"]["seq"] == 2
    assert_log_matches_receipts(app, [answer])


def site_id(app: Flask, key: str) -> int:
    with app.app_context():
        return site_state(key).site_id


def test_appends_of_several_sites_share_a_batch(  # type: ignore[no-untyped-def]
    app: Flask, site: str, other_site: str, monkeypatch
) -> None:
    other = other_site
    sizes = batched(monkeypatch, app, waiters=15)
    responses = post_at_once(app, [site, other] * 8)
    assert sizes == [1, 15]
    assert all(response.status_code == 201 for response in responses)
    for key in (site, other):
        answers = [r.json for r in responses if r.json["receipt"]["site_key"] == key]
        assert sorted(answer["receipt"]["seq"] for answer in answers) == list(range(1, 9))
        assert_log_matches_receipts(app, answers, key)


def test_one_sites_fault_fails_only_its_own_appends(  # type: ignore[no-untyped-def]
    app: Flask, site: str, other_site: str, monkeypatch
) -> None:
    """A batch that fails on one site's corrupt tiles is retried site by site."""
    other = other_site
    sizes = batched(monkeypatch, app, waiters=7, corrupt=site_id(app, other))
    keys = [site, other] * 4
    responses = post_at_once(app, keys)
    assert sizes[:2] == [1, 7] and len(sizes) == 4 and sum(sizes[2:]) == 7
    codes = {
        key: [r.status_code for k, r in zip(keys, responses, strict=True) if k == key]
        for key in keys
    }
    assert codes[site] == [201] * 4
    assert codes[other].count(503) >= 3  # all but the first batch's, if it was one
    good = [r.json for k, r in zip(keys, responses, strict=True) if k == site]
    assert_log_matches_receipts(app, good, site)


def test_a_database_fault_is_not_retried_site_by_site(  # type: ignore[no-untyped-def]
    app: Flask, site: str, other_site: str, monkeypatch
) -> None:
    other = other_site
    sizes = batched(monkeypatch, app, waiters=7, fail_second=True)
    responses = post_at_once(app, [site, other] * 4)
    assert sizes == [1, 7]
    assert sorted(response.status_code for response in responses) == [201] + [503] * 7
