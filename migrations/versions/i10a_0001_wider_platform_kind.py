"""Schema: room for the longer platform kinds of rules 0.3.0 (`insurance_intermediary`).

Revision ID: i10a_0001
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = "i10a_0001"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.alter_column("platform_kind", existing_type=sa.String(length=20),
                              type_=sa.String(length=40), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.alter_column("platform_kind", existing_type=sa.String(length=40),
                              type_=sa.String(length=20), existing_nullable=False)
