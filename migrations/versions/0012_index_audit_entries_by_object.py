"""Index the audit trail by object, for the audit page's "object" filter

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:40:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_entries_object', 'audit_entries', ['object_type', 'object_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_entries_object', table_name='audit_entries')
