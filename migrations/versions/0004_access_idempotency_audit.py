"""Schema: end-user case tokens, idempotency records, the audit trail, client event ids.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import app.db.base


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_token_case_id_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"],
                                name=op.f("fk_case_token_client_id_api_client"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_case_token_token_hash")),
    )
    with op.batch_alter_table("case_token") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_token_case_id"), ["case_id"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("locked_until", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_idempotency_record_scope_key")),
    )
    with op.batch_alter_table("idempotency_record") as batch_op:
        batch_op.create_index("ix_idempotency_record_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_audit_entry_case_id_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"],
                                name=op.f("fk_audit_entry_client_id_api_client"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry") as batch_op:
        batch_op.create_index("ix_audit_entry_case", ["case_id", "created_at"], unique=False)

    with op.batch_alter_table("case_event") as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_case_event_case_id_event_id"), ["case_id", "event_id"])


def downgrade() -> None:
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.drop_constraint(op.f("uq_case_event_case_id_event_id"), type_="unique")
        batch_op.drop_column("event_id")
    op.drop_table("audit_entry")
    op.drop_table("idempotency_record")
    op.drop_table("case_token")
