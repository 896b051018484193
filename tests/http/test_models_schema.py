"""The models describe the schema the migrations build, on SQLite and on PostgreSQL (where
receipts, log_tiles and receipt_contexts are partitioned: migrations 0015 and 0016)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consent.extensions import db


def _applies(item: Any, dialect: str) -> bool:
    """Whether a model's constraint or index is built on ``dialect`` (its ``ddl_if``)."""
    rule = getattr(item, "_ddl_if", None)
    if rule is None or rule.dialect is None:
        return True
    return dialect in ((rule.dialect,) if isinstance(rule.dialect, str) else rule.dialect)


def test_the_models_match_the_migrated_schema(db_url: str) -> None:
    """Alembic's autogenerate finds nothing to change: columns, types, indexes, unique and
    foreign keys. Partitions are no model's table; a constraint declared for one dialect only
    (``ddl_if``) is compared on that dialect only. Primary keys are not compared by Alembic:
    on PostgreSQL receipts' is ``(id, site_id)`` and contexts' ``(receipt_pk, created_at)``,
    as the models' docstrings say, ``id`` and ``receipt_pk`` being the ORM's identities."""
    engine = sa.create_engine(db_url)
    dialect = engine.dialect.name

    def include(item: Any, name: str | None, kind: str, reflected: bool, _: Any) -> bool:
        if kind == "table":
            return name in db.metadata.tables
        return reflected or _applies(item, dialect)

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, db.metadata) == []
    finally:
        engine.dispose()
