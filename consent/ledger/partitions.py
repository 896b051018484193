"""Month partitions of ``receipt_contexts`` on PostgreSQL (migration 0015): ``purge`` creates
the coming months and drops the months that every site's retention has passed.

Partitions are created and dropped here, by ``purge`` run as the owner role, never by an
append: the app role gets no DDL (creating needs CREATE on the schema, dropping needs
ownership), and no append waits on a lock taken to create a month. An append never needs a
month of its own either: a row whose month has no partition lands in the DEFAULT one, and
the month's partition, when ``purge`` creates it, takes those rows out of DEFAULT. SQLite
keeps a plain table (see the migration), where nothing here applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

#: Months created ahead of the current one, so that a month's rows rarely start in DEFAULT.
MONTHS_AHEAD = 3
TABLE = "receipt_contexts"
DEFAULT = f"{TABLE}_default"
_MONTH_NAME = re.compile(rf"{TABLE}_([0-9]{{4}})_([0-9]{{2}})")


@dataclass
class Upkeep:
    """What one ``purge`` did to the partitions: months created, months dropped (with rows)."""

    created: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    #: Why nothing was done, when nothing could be (not partitioned, not the owner).
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``purge --json`` prints."""
        if self.skipped is not None:
            return {"skipped": self.skipped}
        return {"created": self.created, "dropped": self.dropped}


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of the month of ``moment``."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    """The first instant of the month after ``month`` (itself a month's first instant)."""
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def month_name(month: datetime) -> str:
    """The partition's name for the month starting at ``month``: ``receipt_contexts_2026_12``."""
    return f"{TABLE}_{month.year:04d}_{month.month:02d}"


def is_partitioned(conn: Connection) -> bool:
    """Is ``receipt_contexts`` a partitioned table here (PostgreSQL after migration 0015)?"""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": TABLE}
    ).scalar()
    return kind == "p"


def _may_maintain(conn: Connection) -> bool:
    """Can this role create and drop partitions (owner of the table, CREATE on its schema)?"""
    return bool(
        conn.execute(
            text(
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') "
                "AND has_schema_privilege(c.relnamespace, 'CREATE') "
                "FROM pg_class c WHERE c.oid = to_regclass(:t)"
            ),
            {"t": TABLE},
        ).scalar()
    )


def months(conn: Connection) -> dict[str, datetime]:
    """The month partitions that exist, by name, with their first instant."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": TABLE},
    ).scalars()
    found = {}
    for name in names:
        match = _MONTH_NAME.fullmatch(name)
        if match:
            found[name] = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
    return found


def add_month(conn: Connection, month: datetime) -> str:
    """Create the partition of the month starting at ``month``, moving its rows out of DEFAULT.

    Built beside the table and then attached: ATTACH takes only a SHARE UPDATE EXCLUSIVE
    lock on the parent, so appends to the month partitions go on (CREATE … PARTITION OF
    would block them all). DEFAULT is locked first, as ATTACH would lock it anyway: no
    append can add a row of the month there between the move and the attach.
    """
    name = month_name(month)  # identifiers from digits and constants, never from input
    bounds = {"lo": month, "hi": next_month(month)}
    conn.execute(text(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE"))
    conn.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE created_at >= :lo AND created_at < :hi "  # noqa: S608
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    lo, hi = (bound.isoformat() for bound in bounds.values())
    conn.execute(
        text(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )
    return name


def upkeep(conn: Connection, now: datetime, drop_before: datetime | None) -> Upkeep:
    """Create this month's partition and the next :data:`MONTHS_AHEAD`; drop every month
    partition that ends at or before ``drop_before`` (``None``: drop none). One transaction."""
    if not is_partitioned(conn):
        return Upkeep(skipped="receipt_contexts is not partitioned")
    if not _may_maintain(conn):
        return Upkeep(skipped="only the owner role creates and drops partitions")
    done = Upkeep()
    existing = months(conn)
    month = month_start(now)
    for _ in range(MONTHS_AHEAD + 1):
        if month_name(month) not in existing:
            done.created.append(add_month(conn, month))
        month = next_month(month)
    if drop_before is not None:
        for name, start in sorted(existing.items()):
            if next_month(start) <= drop_before:
                rows = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()  # noqa: S608
                done.dropped[name] = rows
                conn.execute(text(f"DROP TABLE {name}"))
    return done
