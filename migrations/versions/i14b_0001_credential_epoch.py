"""Schema: the credential epoch, one counter bumped by every revocation of a key or case token.

API servers cache a resolved credential for a short while; the request's own case statement reads
this counter, so a revocation made by any process is seen by every server on the very next request.

Revision ID: i14b_0001
Revises: i14_0001
"""

from alembic import op
import sqlalchemy as sa

revision = "i14b_0001"
down_revision = "i14_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "credential_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_epoch")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 1}])


def downgrade() -> None:
    op.drop_table("credential_epoch")
