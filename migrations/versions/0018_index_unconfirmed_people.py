"""Index the people who have not confirmed their email; DBS renewals with what is counted

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 11:40:00

The coordinator's home page counts the sign-ups not confirmed: without an index SQLite read every
person (19 ms of the page at scale 100, 100,000 people, against 0.2 ms at 1,000). A partial index
holds only the unconfirmed (a few per cent) with what the count tests, so the count reads it alone.
The index of DBS renewal dates gains the two columns its counts test (open account, not erased),
so the home page's and the report's "DBS checks to renew" read no person's row.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_users_dbs_renew_by', table_name='users')
    op.create_index('ix_users_dbs_renew_by', 'users', ['dbs_renew_by', 'is_active', 'erased_at'], unique=False)
    op.create_index('ix_users_unconfirmed', 'users', ['is_active', 'erased_at'], unique=False,
                    sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))


def downgrade():
    op.drop_index('ix_users_unconfirmed', table_name='users')
    op.drop_index('ix_users_dbs_renew_by', table_name='users')
    op.create_index('ix_users_dbs_renew_by', 'users', ['dbs_renew_by'], unique=False)
