"""Schema: clients, keys, cases and the case event log.

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa
import app.db.base


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_key_client_id_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_client_id'), ['client_id'], unique=False)

    op.create_table('case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('platform_name', sa.String(length=200), nullable=False),
    sa.Column('platform_kind', sa.String(length=20), nullable=False),
    sa.Column('platform_licensed', sa.Boolean(), nullable=True),
    sa.Column('app_source', sa.String(length=20), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('withdrawal_requested_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('province', sa.String(length=50), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('intake', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('risk_level', sa.String(length=10), nullable=False),
    sa.Column('track', sa.String(length=10), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=True),
    sa.Column('ruleset_version', sa.String(length=40), nullable=False),
    sa.Column('evaluated_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_transition_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evaluation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_case_client_id_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('client_id', 'external_ref', name=op.f('uq_case_client_id_external_ref'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_client_created', ['client_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_case_client_status', ['client_id', 'status'], unique=False)
        batch_op.create_index('ix_case_next_transition_at', ['next_transition_at'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_event_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_case_event_case_id_seq'))
    )


def downgrade() -> None:
    op.drop_table('case_event')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_next_transition_at')
        batch_op.drop_index('ix_case_client_status')
        batch_op.drop_index('ix_case_client_created')

    op.drop_table('case')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_client_id'))

    op.drop_table('api_key')
    op.drop_table('api_client')
