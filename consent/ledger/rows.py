"""A receipt and its personal context as stored rows: their one definition, and the inserts.

The append (a receipt at a time, in group commits) and its bulk variant for seeding
(:mod:`consent.ledger.seeding`) both turn a receipt into parameters with :func:`row` and insert
them here, so a stored column is defined in one place for both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from consent.core.chain import JSON_FIELDS
from consent.models import Receipt, ReceiptContext

_R = Receipt.__table__
_C = ReceiptContext.__table__

#: A receipt's stored columns (all but its row id): the site, the hashed fields, the hash.
RECEIPT_COLUMNS = tuple(column.name for column in _R.c if column.name != "id")
#: The context's columns but its key (the receipt's row id); each a ``context_`` parameter.
CONTEXT_COLUMNS = ("salt", "created_at", "page_url", "ip_prefix", "user_agent")


def row(
    site_id: int,
    body: dict[str, Any],
    salt: bytes,
    context: dict[str, Any],
    recorded_at: Any,
) -> dict[str, Any]:
    """The parameters that store receipt ``body`` and its personal context (salted, for erasure).

    ``recorded_at`` is when the context was recorded (a datetime: retention counts from it).
    """
    params = {"site_id": site_id, "banner_build": None, **body}
    for name in JSON_FIELDS:
        params[name] = _json_text(body[name])
    params["context_salt"] = salt
    params["context_created_at"] = recorded_at
    params["context_page_url"] = context["page_url"]
    params["context_ip_prefix"] = context["ip_prefix"]
    params["context_user_agent"] = context["user_agent"]
    return params


#: The JSON texts of the maps that receipts repeat (a site's few dozen category, vendor and
#: signal maps), keyed by their items and the items' types: ``1 == True``, yet they encode
#: apart. A lookup costs about a third of ``json.dumps``, three times a receipt.
_TEXTS: dict[Any, str] = {}
_TEXTS_KEPT = 4096


def _json_text(value: dict[str, Any]) -> str:
    """``json.dumps(value)``, from :data:`_TEXTS` when a map of the same items was seen."""
    try:
        key = (tuple(value.items()), tuple(map(type, value.values())))
        text = _TEXTS.get(key)
    except TypeError:  # an unhashable value: not one of those maps
        return json.dumps(value)
    if text is None:
        if len(_TEXTS) >= _TEXTS_KEPT:
            _TEXTS.clear()
        text = _TEXTS[key] = json.dumps(value)
    return text


# The append's statements go straight to the driver, as the lock and head read do:
# SQLAlchemy's work per execute cost about as much as running these small statements.
#: PostgreSQL: the receipt and its context in one statement (a data-modifying CTE): one
#: statement to send, plan and run, and no lookup of the new receipt's id.
_NEW_RECEIPT = (
    insert(_R)
    .values({name: bindparam(name, type_=_R.c[name].type) for name in RECEIPT_COLUMNS})
    .returning(_R.c.id)
    .cte("new_receipt")
)
_PG_INSERT = str(
    insert(_C)
    .from_select(
        ["receipt_pk", *CONTEXT_COLUMNS],
        select(
            _NEW_RECEIPT.c.id,
            *(bindparam(f"context_{name}", type_=_C.c[name].type) for name in CONTEXT_COLUMNS),
        ),
    )
    .compile(dialect=postgresql.dialect())
)
#: SQLite: the receipt, then its context keyed by the row id just inserted.
_SQLITE_NAMED = sqlite.dialect(paramstyle="named")
_SQLITE_INSERTS = tuple(
    str(statement.compile(dialect=_SQLITE_NAMED))
    for statement in (
        insert(_R).inline().values({name: bindparam(name) for name in RECEIPT_COLUMNS}),
        insert(_C)
        .inline()
        .values(
            {
                "receipt_pk": func.last_insert_rowid(),
                **{name: bindparam(f"context_{name}") for name in CONTEXT_COLUMNS},
            }
        ),
    )
)
#: How SQLAlchemy stores a time on SQLite (text), so raw rows read back like ORM ones.
_SQLITE_TIME = _C.c.created_at.type.dialect_impl(_SQLITE_NAMED).bind_processor(_SQLITE_NAMED)


def insert_one(conn: Connection, params: dict[str, Any]) -> None:
    """Insert a receipt and its context from :func:`row` (an append's; pipelined by the caller)."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        raw.execute(_PG_INSERT, params)  # type: ignore[union-attr]
        return
    params["context_created_at"] = _SQLITE_TIME(params["context_created_at"])  # type: ignore[misc]
    for statement in _SQLITE_INSERTS:
        raw.execute(statement, params)  # type: ignore[union-attr]


def insert_many(conn: Connection, site_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert one site's newest receipts from :func:`row`, in ``seq`` order, with their contexts.

    The bulk form of :func:`insert_one`, with the same columns and values: COPY on
    PostgreSQL, one statement executed many times on SQLite; then the contexts, keyed by
    the row ids the receipts got. Call it holding the site's append lock.
    """
    if not rows:
        return
    _insert_rows(conn, _R.name, _RECEIPT_PARAMS, rows)
    ids = conn.scalars(
        select(_R.c.id)
        .where(_R.c.site_id == site_id, _R.c.seq >= rows[0]["seq"])
        .order_by(_R.c.seq)
    )
    for params, receipt_pk in zip(rows, ids, strict=True):
        params["receipt_pk"] = receipt_pk
    if conn.dialect.name == "sqlite":
        stored: dict[Any, Any] = {}  # a batch's contexts share a time or a few: convert once
        for params in rows:
            moment = params["context_created_at"]
            if moment not in stored:
                stored[moment] = _SQLITE_TIME(moment)  # type: ignore[misc]
            params["context_created_at"] = stored[moment]
    _insert_rows(conn, _C.name, _CONTEXT_PARAMS, rows)


#: Each stored column's parameter in :func:`row`'s dict (a context's once its key is known).
_RECEIPT_PARAMS = {name: name for name in RECEIPT_COLUMNS}
_CONTEXT_PARAMS = {"receipt_pk": "receipt_pk", **{n: f"context_{n}" for n in CONTEXT_COLUMNS}}


def _insert_rows(
    conn: Connection, table: str, params: dict[str, str], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows into ``table``, whose ``params`` map each column to its parameter.

    As positional values (binding by name costs SQLite a lookup per value): COPY on
    PostgreSQL, executemany on SQLite. Table and column names are this module's constants.
    """
    values = map(itemgetter(*params.values()), rows)
    raw: Any = conn.connection.dbapi_connection
    names = ", ".join(params)
    if conn.dialect.name == "postgresql":
        with raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for one in values:
                copy.write_row(one)
        return
    marks = ", ".join("?" * len(params))
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # noqa: S608
