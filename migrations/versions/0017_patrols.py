"""Night patrols: shifts, who is on them, kit-bag counts, tallies; hand-outs tagged with their shift

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:21:01

stock_movements gains a nullable column (no rewrite of the table on either database: on SQLite a
plain ADD COLUMN with its REFERENCES, not a batch copy of a million movements and their trigger).
"""
import sqlalchemy as sa

import volunteer_hub.models.base
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patrol_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('area', sa.String(length=300), nullable=False),
    sa.Column('meeting_point', sa.String(length=300), nullable=False),
    sa.Column('starts_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('on_call_id', sa.Integer(), nullable=True),
    sa.Column('min_people', sa.Integer(), nullable=False),
    sa.Column('max_people', sa.Integer(), nullable=False),
    sa.Column('needs_dbs', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', name='shift_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('confirmed_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('cancelled_for_too_few', sa.Boolean(), nullable=False),
    sa.Column('started_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('series', sa.String(length=40), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_patrol_shifts_ends_after_start')),
    sa.CheckConstraint('min_people >= 1 AND max_people >= min_people', name=op.f('ck_patrol_shifts_places')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_patrol_shifts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_patrol_shifts_lead_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['on_call_id'], ['users.id'], name=op.f('fk_patrol_shifts_on_call_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_patrol_shifts_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_shifts'))
    )
    with op.batch_alter_table('patrol_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_shifts_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_shifts_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_shifts_series'), ['series'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_shifts_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index('ix_patrol_shifts_starts_at_status', ['starts_at', 'status'], unique=False)

    op.create_table('patrol_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('joined', 'left', name='member_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('joined_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('left_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('came', sa.Boolean(), nullable=True),
    sa.Column('home_safe_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('checked_out_by_id', sa.Integer(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.CheckConstraint('escalation_level BETWEEN 0 AND 2', name=op.f('ck_patrol_members_escalation_level')),
    sa.ForeignKeyConstraint(['checked_out_by_id'], ['users.id'], name=op.f('fk_patrol_members_checked_out_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['patrol_shifts.id'], name=op.f('fk_patrol_members_shift_id_patrol_shifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_members'))
    )
    with op.batch_alter_table('patrol_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_members_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_patrol_members_joined', ['shift_id', 'user_id'], unique=True, sqlite_where=sa.text("status = 'joined'"), postgresql_where=sa.text("status = 'joined'"))

    op.create_table('patrol_shift_courses',
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_patrol_shift_courses_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shift_id'], ['patrol_shifts.id'], name=op.f('fk_patrol_shift_courses_shift_id_patrol_shifts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shift_id', 'course_id', name=op.f('pk_patrol_shift_courses'))
    )
    with op.batch_alter_table('patrol_shift_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_shift_courses_course_id'), ['course_id'], unique=False)

    op.create_table('patrol_tallies',
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('welfare_assist', 'ask_for_angela', 'first_aid', 'helped_home', 'police_report', name='tally_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_patrol_tallies_count_not_negative')),
    sa.ForeignKeyConstraint(['shift_id'], ['patrol_shifts.id'], name=op.f('fk_patrol_tallies_shift_id_patrol_shifts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shift_id', 'kind', name=op.f('pk_patrol_tallies'))
    )
    op.create_table('patrol_kit_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Enum('out', 'in', name='kit_count_phase', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ledger', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('counted_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('counted = ledger OR reason IS NOT NULL', name=op.f('ck_patrol_kit_counts_variance_has_reason')),
    sa.CheckConstraint('ledger >= 0 AND counted >= 0', name=op.f('ck_patrol_kit_counts_counts_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_patrol_kit_counts_item_id_equipment_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['patrol_members.id'], name=op.f('fk_patrol_kit_counts_member_id_patrol_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_kit_counts')),
    sa.UniqueConstraint('member_id', 'item_id', 'phase', name='uq_patrol_kit_counts_member_item_phase')
    )
    with op.batch_alter_table('patrol_kit_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_kit_counts_member_id'), ['member_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE stock_movements ADD COLUMN patrol_shift_id INTEGER CONSTRAINT fk_stock_movements_patrol_shift_id_patrol_shifts '
                   'REFERENCES patrol_shifts (id)')
    else:
        op.add_column('stock_movements', sa.Column('patrol_shift_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_stock_movements_patrol_shift_id_patrol_shifts', 'stock_movements', 'patrol_shifts',
                              ['patrol_shift_id'], ['id'])
    op.create_index('ix_stock_movements_patrol_shift_id', 'stock_movements', ['patrol_shift_id'], unique=False)



def downgrade():
    op.drop_index('ix_stock_movements_patrol_shift_id', table_name='stock_movements')
    if op.get_bind().dialect.name == 'sqlite':  # a column with REFERENCES: only a copy of the table drops it
        with op.batch_alter_table('stock_movements') as batch_op:
            batch_op.drop_column('patrol_shift_id')
    else:
        op.drop_constraint('fk_stock_movements_patrol_shift_id_patrol_shifts', 'stock_movements', type_='foreignkey')
        op.drop_column('stock_movements', 'patrol_shift_id')

    with op.batch_alter_table('patrol_kit_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_kit_counts_member_id'))

    op.drop_table('patrol_kit_counts')
    op.drop_table('patrol_tallies')
    with op.batch_alter_table('patrol_shift_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_shift_courses_course_id'))

    op.drop_table('patrol_shift_courses')
    with op.batch_alter_table('patrol_members', schema=None) as batch_op:
        batch_op.drop_index('uq_patrol_members_joined', sqlite_where=sa.text("status = 'joined'"), postgresql_where=sa.text("status = 'joined'"))
        batch_op.drop_index(batch_op.f('ix_patrol_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_members_shift_id'))

    op.drop_table('patrol_members')
    with op.batch_alter_table('patrol_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_shifts_starts_at_status')
        batch_op.drop_index(batch_op.f('ix_patrol_shifts_starts_at'))
        batch_op.drop_index(batch_op.f('ix_patrol_shifts_series'))
        batch_op.drop_index(batch_op.f('ix_patrol_shifts_lead_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_shifts_ends_at'))

    op.drop_table('patrol_shifts')
