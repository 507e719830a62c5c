"""Schema: peer-signal counters (per platform key, day, signal and client) and each case's mark.

Existing cases get their marks and counts with `stuckfunds peers rebuild`.

Revision ID: i15_0001
Revises: i14b_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i15_0001"
down_revision = "i14b_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_mark",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_peer_mark_case_id_case",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", name="pk_peer_mark"),
    )
    op.create_table(
        "peer_count",
        sa.Column("platform_key", sa.String(120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("signal", sa.String(60), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"],
                                name="fk_peer_count_client_id_api_client", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform_key", "day", "signal", "client_id", name="pk_peer_count"),
    )


def downgrade() -> None:
    op.drop_table("peer_count")
    op.drop_table("peer_mark")
