"""Indexes for the auditor's filters: subject, action and policy version, each by seq.

Revision ID: 0006
Revises: 0005_owner
"""

from alembic import op

revision = "0006"
down_revision = "0005_owner"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_receipts_site_subject_seq": ["site_id", "subject_id", "seq"],
    "ix_receipts_site_action_seq": ["site_id", "action", "seq"],
    "ix_receipts_site_version_seq": ["site_id", "policy_version", "seq"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "receipts", columns)
    op.drop_index("ix_receipts_site_subject", table_name="receipts")


def downgrade():
    op.create_index("ix_receipts_site_subject", "receipts", ["site_id", "subject_id"])
    for name in INDEXES:
        op.drop_index(name, table_name="receipts")
