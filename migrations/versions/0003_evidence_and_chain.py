"""Schema: evidence files and the tamper-evident hash chain on case events.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import app.db.base
from app.cases.chain import event_hash


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


class _Row:
    """The attributes chain.event_hash reads, from a plain SELECT row."""

    def __init__(self, row) -> None:
        self.case_id, self.seq, self.type = row.case_id, row.seq, row.type
        self.occurred_at, self.data, self.note = row.occurred_at, row.data, row.note


def _seal_existing_events() -> None:
    # Events stored before the chain existed are sealed as they are now: the chain can only
    # vouch for what happens to them from this migration on.
    events = sa.table(
        "case_event",
        sa.column("id", sa.Uuid()), sa.column("case_id", sa.Uuid()), sa.column("seq", sa.Integer()),
        sa.column("type", sa.String()), sa.column("occurred_at", app.db.base.UTCDateTime()),
        sa.column("data", sa.JSON()), sa.column("note", sa.Text()),
        sa.column("content_hash", sa.String()), sa.column("prev_hash", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.id, events.c.case_id, events.c.seq, events.c.type,
                  events.c.occurred_at, events.c.data, events.c.note)
        .order_by(events.c.case_id, events.c.seq)
    ).all()
    case_id, prev_hash = None, None
    for row in rows:
        if row.case_id != case_id:
            case_id, prev_hash = row.case_id, None
        content_hash = event_hash(_Row(row), prev_hash)
        connection.execute(events.update().where(events.c.id == row.id)
                           .values(content_hash=content_hash, prev_hash=prev_hash))
        prev_hash = content_hash


def upgrade() -> None:
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("captured_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_evidence_file_case_id_case"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_file")),
        sa.UniqueConstraint("case_id", "sha256", name=op.f("uq_evidence_file_case_id_sha256")),
    )
    with op.batch_alter_table("evidence_file") as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_file_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("case_event") as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
    _seal_existing_events()
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.alter_column("content_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("evidence_file") as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_file_case_id"))
    op.drop_table("evidence_file")
