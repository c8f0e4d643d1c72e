"""Create the audit trail (append-only: PostgreSQL refuses UPDATE and DELETE on it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:10:00

One row per sensitive action, written in the same transaction as the change. People by id only.
On PostgreSQL a trigger raises on any UPDATE or DELETE, so not even a bug or a hand-typed SQL
statement can rewrite history (TRUNCATE, for the test suite and a full restore, is separate).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

REFUSE = """
CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change();
"""


def upgrade():
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_audit_entries_subject_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    op.create_index('ix_audit_entries_action_id', 'audit_entries', ['action', 'id'], unique=False)
    op.create_index('ix_audit_entries_actor_id_id', 'audit_entries', ['actor_id', 'id'], unique=False)
    op.create_index('ix_audit_entries_at', 'audit_entries', ['at'], unique=False)
    op.create_index('ix_audit_entries_subject_id_id', 'audit_entries', ['subject_id', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_refuse_change()")
    op.drop_table('audit_entries')
