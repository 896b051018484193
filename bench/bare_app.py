"""The appends baseline: the same app and request, but a bare INSERT of the same row size.

No validation beyond JSON, no lock, no chain, no hash, no tiles, no signature: what one
INSERT per request costs through the same gunicorn, Flask and database.
"""

from __future__ import annotations

import json

from flask import Response, jsonify, request
from sqlalchemy import text

from consent import create_app
from consent.extensions import csrf, db

app = create_app()

_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY {auto}, site_key TEXT,"
    " body TEXT, context TEXT)"
)


@app.post("/bench/bare/<site_key>")
@csrf.exempt  # an API like the consents POST, which no session or form guards
def bare_insert(site_key: str) -> tuple[Response, int]:
    """Insert the posted body as one row, like a receipt without its ledger."""
    body = request.get_json()
    row = json.dumps(body) + "x" * 420  # about a receipt's size with its hashes
    context = json.dumps({"page_url": body.get("page_url"), "ip_prefix": "127.0.0.0/24"})
    db.session.execute(
        text("INSERT INTO bench_bare (site_key, body, context) VALUES (:k, :b, :c)"),
        {"k": site_key, "b": row, "c": context},
    )
    db.session.commit()
    return jsonify({"ok": True}), 201


with app.app_context():
    auto = "GENERATED ALWAYS AS IDENTITY" if db.engine.dialect.name == "postgresql" else ""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":  # workers boot at once: one creates it
            conn.execute(text("SELECT pg_advisory_xact_lock(16945)"))
        conn.execute(
            text(
                _DDL.format(auto=auto).replace(
                    "INTEGER PRIMARY KEY GENERATED", "BIGINT PRIMARY KEY GENERATED"
                )
            )
        )
