"""The impact report: published summaries for /our-year, and the index the report reads hand-outs by

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:10:00

- published_summaries: a period's headline figures as published, with the text and who published;
- stock_movements (kind, occurred_on) becomes (kind, occurred_on, from_holder_id): the report counts
  the kit bags that handed out in a period from the index alone (11 s to 0.04 s at scale 100 on
  SQLite); (to_holder_id) becomes (to_holder_id, kind, occurred_on): issues to the few hundred
  venues in a period are read by recipient, not among every issue to every kit bag (0.2 s to 0.05 s).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'published_summaries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_published_summaries_published_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_published_summaries')),
    )
    op.create_index(op.f('ix_published_summaries_published_at'), 'published_summaries', ['published_at'], unique=False)
    op.create_index('ix_stock_movements_kind_occurred_on_from', 'stock_movements',
                    ['kind', 'occurred_on', 'from_holder_id'], unique=False)
    op.drop_index('ix_stock_movements_kind_occurred_on', table_name='stock_movements')
    op.create_index('ix_stock_movements_to_holder_id_kind_occurred_on', 'stock_movements',
                    ['to_holder_id', 'kind', 'occurred_on'], unique=False)
    op.drop_index('ix_stock_movements_to_holder_id', table_name='stock_movements')


def downgrade():
    op.create_index('ix_stock_movements_to_holder_id', 'stock_movements', ['to_holder_id'], unique=False)
    op.drop_index('ix_stock_movements_to_holder_id_kind_occurred_on', table_name='stock_movements')
    op.create_index('ix_stock_movements_kind_occurred_on', 'stock_movements', ['kind', 'occurred_on'], unique=False)
    op.drop_index('ix_stock_movements_kind_occurred_on_from', table_name='stock_movements')
    op.drop_index(op.f('ix_published_summaries_published_at'), table_name='published_summaries')
    op.drop_table('published_summaries')
