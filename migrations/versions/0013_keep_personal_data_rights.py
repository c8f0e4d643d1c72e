"""Personal data rights: notice acceptances, erasure requests, retention dates, outbox recipients

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:30:00

- notice_acceptances: every version of the privacy notice a person accepted (filled from the
  one acceptance users held until now);
- erasure_requests: a person's request to be erased, with its one-month deadline;
- users.last_seen_at, retention_warned_at, erased_at: retention and erasure;
- outbox_messages.recipient_id: whose email it is (filled by matching today's addresses), so an
  erasure or a subject-access download finds them and retention can strip old bodies;
- the audit trail stays append-only, except that the retention job may delete entries past
  VH_AUDIT_YEARS: it says so with `SET LOCAL vh.audit_purge = 'on'` in its own transaction.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ALLOW_RETENTION = """
CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('vh.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

REFUSE_ALWAYS = """
CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def upgrade():
    # Plain ADD COLUMNs on users: a batch copy would have to reflect the lower(name) index.
    op.add_column('users', sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('retention_warned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_users_erased_at'), 'users', ['erased_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_recipient_id_users'), 'users',
                                    ['recipient_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_outbox_messages_recipient_id', ['recipient_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_created_at', ['created_at'], unique=False)
    op.execute("UPDATE outbox_messages SET recipient_id = "
               "(SELECT users.id FROM users WHERE users.email = outbox_messages.recipient)")

    op.create_table('notice_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_acceptances'))
    )
    op.create_index(op.f('ix_notice_acceptances_user_id'), 'notice_acceptances', ['user_id'], unique=False)
    op.execute("INSERT INTO notice_acceptances (user_id, version, accepted_at) "
               "SELECT id, privacy_notice_version, privacy_accepted_at FROM users "
               "WHERE privacy_notice_version IS NOT NULL AND privacy_accepted_at IS NOT NULL")

    op.create_table('erasure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_erasure_requests_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests'))
    )
    op.create_index(op.f('ix_erasure_requests_user_id'), 'erasure_requests', ['user_id'], unique=False)
    op.create_index('uq_erasure_requests_open', 'erasure_requests', ['user_id'], unique=True,
                    sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(ALLOW_RETENTION)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE_ALWAYS)
    op.drop_index('uq_erasure_requests_open', table_name='erasure_requests')
    op.drop_index(op.f('ix_erasure_requests_user_id'), table_name='erasure_requests')
    op.drop_table('erasure_requests')
    op.drop_index(op.f('ix_notice_acceptances_user_id'), table_name='notice_acceptances')
    op.drop_table('notice_acceptances')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_created_at')
        batch_op.drop_index('ix_outbox_messages_recipient_id')
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_recipient_id_users'), type_='foreignkey')
        batch_op.drop_column('recipient_id')
    op.drop_index(op.f('ix_users_erased_at'), table_name='users')
    op.drop_column('users', 'erased_at')
    op.drop_column('users', 'retention_warned_at')
    op.drop_column('users', 'last_seen_at')
