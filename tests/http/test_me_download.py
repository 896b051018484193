"""The visitor's CSV download carries each receipt's inclusion proof, like the JSON."""

from __future__ import annotations

import base64
import csv
import io

from flask.testing import FlaskClient

from consent.core.merkle import leaf_hash, verify_inclusion
from consent.core.notes import open_checkpoint, parse_verifier_key
from tests.helpers import Visitor

PROOF_COLUMNS = ["proof.leaf_index", "proof.tree_size", "proof.inclusion", "proof.checkpoint"]


def unneutralised(cell: str) -> str:
    """A cell's value without the ``'`` that keeps spreadsheets from reading a formula."""
    return cell[1:] if cell[:2] in ("'=", "'+", "'-", "'@") else cell


def test_me_csv_carries_each_receipts_proof(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("custom", categories={"social": True})
    visitor.choose("withdraw")
    Visitor(client, site).choose("reject_all")  # another visitor's receipt grows the tree
    query = {"token": visitor.token}
    mine = client.get(f"/api/v1/sites/{site}/me", query_string=query).json["items"]
    exported = client.get(f"/api/v1/sites/{site}/me", query_string={**query, "format": "csv"})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(exported.get_data(as_text=True)))
    assert reader.fieldnames is not None and reader.fieldnames[-4:] == PROOF_COLUMNS
    rows = list(reader)
    assert [row["seq"] for row in rows] == ["1", "2", "3"]
    keys = [parse_verifier_key(k) for k in client.get("/log/key").get_data(as_text=True).split()]
    for row, item in zip(rows, mine, strict=True):
        inclusion = [unneutralised(node) for node in row["proof.inclusion"].split(" ")]
        assert inclusion == item["proof"]["inclusion"]
        assert (row["proof.leaf_index"], row["proof.tree_size"]) == (str(item["seq"] - 1), "4")
        checkpoint = open_checkpoint(row["proof.checkpoint"], keys, f"consent.test/log/{site}")
        assert checkpoint.size == 4
        path = [base64.b64decode(node) for node in inclusion]
        leaf = leaf_hash(bytes.fromhex(row["hash"]))
        verify_inclusion(item["seq"] - 1, 4, leaf, path, checkpoint.root)
