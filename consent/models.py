"""Typed database mappings. Receipts are append-only: nothing here updates them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent.extensions import Base, db

if TYPE_CHECKING:  # mypy takes no base class from an instance's attribute (mypy#8603)
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class User(Model):
    """A person who signs in to /admin/ or /audit/."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The role the user was created with; per-site roles live in ``memberships``.
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The password was chosen for the user (an owner added them): the UIs ask for a new
    #: one before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Site(Model):
    """A tenant: one website with its banner, vendors and ledger."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    origins: Mapped[list[str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(8))
    choice_lifetime_days: Mapped[int] = mapped_column(Integer, default=182)
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    #: Whether the embed holds back known trackers the page adds: on for new sites, off
    #: (the column's server default) for those that existed before auto-blocking.
    auto_block: Mapped[bool] = mapped_column(Boolean, default=True, server_default="0")
    #: The draft the next policy version is published from.
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Bumped on every change a worker's cached state must notice.
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    policies: Mapped[list[PolicyVersion]] = relationship(
        back_populates="site", order_by="PolicyVersion.version"
    )


class Membership(Model):
    """A user's role on one site."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class PolicyVersion(Model):
    """A published banner and vendor set; immutable once written."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[str] = mapped_column(String(24))
    privacy_policy_url: Mapped[str] = mapped_column(String(2048))
    cookie_statement_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    vendors: Mapped[dict[str, Any]] = mapped_column(JSON)
    requires_reconsent: Mapped[bool] = mapped_column(Boolean)
    policy_hash: Mapped[str] = mapped_column(String(64))
    #: The banner's look; None for a version published before themes (today's look).
    theme: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    site: Mapped[Site] = relationship(back_populates="policies")


class Receipt(Model):
    """One ledger entry: the hashed fields of a consent receipt. On PostgreSQL partitioned by
    hash of ``site_id`` (migration 0016; docs/capacity.md): primary key ``(id, site_id)``,
    ``receipt_id`` unique per site; SQLite keeps them unique alone (``ddl_if``)."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("site_id", "seq"),
        UniqueConstraint("site_id", "prev_hash"),
        UniqueConstraint("receipt_id").ddl_if(dialect="sqlite"),
        UniqueConstraint("site_id", "receipt_id").ddl_if(dialect="postgresql"),
        Index("ix_receipts_site_subject_seq", "site_id", "subject_id", "seq"),
        Index("ix_receipts_site_action_seq", "site_id", "action", "seq"),
        Index("ix_receipts_site_version_seq", "site_id", "policy_version", "seq"),
        Index("ix_receipts_site_created", "site_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    receipt_id: Mapped[str] = mapped_column(String(40))
    site_key: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    #: ISO 8601 UTC with milliseconds and ``Z``: stored as hashed, sortable as text.
    created_at: Mapped[str] = mapped_column(String(24))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    categories: Mapped[dict[str, bool]] = mapped_column(JSON)
    vendors: Mapped[dict[str, bool]] = mapped_column(JSON)
    signals: Mapped[dict[str, bool]] = mapped_column(JSON)
    context_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: The build of the banner code that collected the choice (hashed; older receipts: null).
    banner_build: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReceiptContext(Model):
    """A receipt's personal context, kept apart to be erased. On PostgreSQL partitioned by month
    of ``created_at`` (0015), key ``(receipt_pk, created_at)``; one context per receipt by the
    append's construction. The foreign key to ``receipts.id`` is SQLite's only: on PostgreSQL
    no unique key holds ``id`` alone (0016); a context takes its receipt's id (ledger.rows)."""

    __tablename__ = "receipt_contexts"
    __table_args__ = (
        ForeignKeyConstraint(["receipt_pk"], ["receipts.id"]).ddl_if(dialect="sqlite"),
    )

    receipt_pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    page_url: Mapped[str] = mapped_column(Text)
    ip_prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class ApiToken(Model):
    """A bearer token for the auditor and owner APIs; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Erasure(Model):
    """A record that a subject's personal context was erased on request."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    subject_id: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(254))
    receipts: Mapped[int] = mapped_column(Integer)


class Scan(Model):
    """A site scan: what was asked, where it is, and its signed report once done."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_site_created", "site_id", "created_at"),
        # One queued or running scan per site: a second one is refused (409) by the database.
        Index(
            "ux_scans_site_active",
            "site_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    #: The scan id: random and URL-safe.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(16))
    #: Why a scan failed; null otherwise.
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The start URLs asked for (empty: each origin's ``/``) and the page limit.
    urls: Mapped[list[str]] = mapped_column(JSON)
    max_pages: Mapped[int] = mapped_column(Integer)
    #: The report as signed (done scans only).
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AccessLogEntry(Model):
    """One read (or change) by an auditor or owner; append-only, like receipts."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_site_id_id", "site_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    #: ISO 8601 UTC with milliseconds and ``Z``.
    created_at: Mapped[str] = mapped_column(String(24))
    #: Who: ``user:<email>`` or ``token:<id>``.
    actor: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(1000))
    #: The query as asked (filters), never a token.
    query: Mapped[str] = mapped_column(Text, default="")


class LogTile(Model):
    """A slice of a C2SP tlog tile of one site's Merkle tree (up to 256 hashes, 32 bytes each).

    A full tile is one row from ``start`` 0; a partial one is the slices its appends added,
    ``start`` being the index of a slice's first hash in the tile. Partitioned by site on
    PostgreSQL like ``receipts`` (0016).
    """

    __tablename__ = "log_tiles"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    start: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class BannerBuild(Model):
    """A build of the banner code the service has served: kept for good, public, immutable."""

    __tablename__ = "banner_builds"

    #: SHA-256 hex of ``code``, the code part of the embed exactly as served.
    build: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    #: What the code loads when first needed (later.js: the preferences layer, the
    #: placeholders, the managed vendors' set-up), its sha256 named in ``code``; null for
    #: builds from before the split.
    later: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EmbedOrigin(Model):
    """A page origin a site's embed was requested from (the ``Referer``'s origin), counted."""

    __tablename__ = "embed_origins"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
