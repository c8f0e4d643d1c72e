"""Limit coordinators to agencies: coordinator_agencies, and users.sees_all_agencies

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00

A coordinator sees personal data only of people in their agencies (rows of
coordinator_agencies) unless sees_all_agencies is set; admins see everyone. Everyone who is a
coordinator or an admin today keeps today's reach: the flag is set for them here. A coordinator
made after this migration starts limited (sees nobody but themselves) until an admin says so.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite can, with a constant default): a batch copy of users would
    # have to reflect the expression index on lower(name), which SQLite cannot.
    op.add_column('users', sa.Column('sees_all_agencies', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('coordinator_agencies',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_coordinator_agencies_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coordinator_agencies_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'organisation_id', name=op.f('pk_coordinator_agencies'))
    )
    op.create_index(op.f('ix_coordinator_agencies_organisation_id'), 'coordinator_agencies', ['organisation_id'], unique=False)
    # Today's coordinators and admins keep today's reach.
    op.execute("UPDATE users SET sees_all_agencies = TRUE WHERE id IN "
               "(SELECT user_id FROM user_roles WHERE role IN ('coordinator', 'admin'))")


def downgrade():
    op.drop_index(op.f('ix_coordinator_agencies_organisation_id'), table_name='coordinator_agencies')
    op.drop_table('coordinator_agencies')
    op.drop_column('users', 'sees_all_agencies')
