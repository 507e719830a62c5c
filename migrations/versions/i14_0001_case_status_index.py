"""Schema: an index on case.status, so /metrics' count by status reads the index, not the table.

Revision ID: i14_0001
Revises: i10a_0001
"""

from alembic import op

revision = "i14_0001"
down_revision = "i10a_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_status", "case", ["status"])


def downgrade() -> None:
    op.drop_index("ix_case_status", table_name="case")
