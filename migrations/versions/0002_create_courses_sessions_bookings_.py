"""Create courses, sessions, bookings, attendance and calendar feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 08:40:38.068466

"""
from alembic import op
import sqlalchemy as sa
import volunteer_hub.models.base

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    sa.Column('gives_certificate', sa.Boolean(), nullable=False),
    sa.Column('late_counts_as_attended', sa.Boolean(), nullable=False),
    sa.Column('prerequisite_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_courses_duration_positive')),
    sa.CheckConstraint('prerequisite_id IS NULL OR prerequisite_id <> id', name=op.f('ck_courses_not_own_prerequisite')),
    sa.CheckConstraint('validity_months IS NULL OR validity_months > 0', name=op.f('ck_courses_validity_positive')),
    sa.ForeignKeyConstraint(['prerequisite_id'], ['courses.id'], name=op.f('fk_courses_prerequisite_id_courses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    sa.UniqueConstraint('title', name=op.f('uq_courses_title'))
    )
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feeds_token'))
    )
    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booking_opens_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('booking_closes_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('cancellation_cutoff_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', 'completed', name='session_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('reminder_hours', sa.String(length=40), nullable=True),
    sa.Column('cancelled_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('finalised_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('finalised_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('booking_closes_at > booking_opens_at', name=op.f('ck_training_sessions_booking_window')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_training_sessions_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_training_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_sessions_course_id_courses')),
    sa.ForeignKeyConstraint(['finalised_by_id'], ['users.id'], name=op.f('fk_training_sessions_finalised_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_status'), ['status'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'waitlisted', 'offered', 'cancelled', 'declined', 'lapsed', name='booking_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('queue_number', sa.Integer(), nullable=False),
    sa.Column('offered_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('offer_expires_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('confirmed_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('is_late_cancellation', sa.Boolean(), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name=op.f('ck_bookings_offer_has_deadline')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_bookings_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_bookings_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_bookings_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('session_id', 'queue_number', name='uq_bookings_session_id_queue_number')
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_bookings_active_session_user', ['session_id', 'user_id'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"))

    op.create_table('session_trainers',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_trainers_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_trainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_session_trainers'))
    )
    with op.batch_alter_table('session_trainers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_trainers_user_id'), ['user_id'], unique=False)

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('present', 'absent', 'late', 'left_early', name='attendance_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('is_walk_in', sa.Boolean(), nullable=False),
    sa.Column('marked_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_attendances_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_attendances_marked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_attendances_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_attendances_session_id_user_id')
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendances_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendances_user_id'), ['user_id'], unique=False)

    op.create_table('attendance_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attendance_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.Enum('present', 'absent', 'late', 'left_early', name='old_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('new_status', sa.Enum('present', 'absent', 'late', 'left_early', name='new_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('corrected_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendances.id'], name=op.f('fk_attendance_corrections_attendance_id_attendances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['users.id'], name=op.f('fk_attendance_corrections_corrected_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_corrections'))
    )
    with op.batch_alter_table('attendance_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_corrections_attendance_id'), ['attendance_id'], unique=False)



def downgrade():
    with op.batch_alter_table('attendance_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_corrections_attendance_id'))

    op.drop_table('attendance_corrections')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendances_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendances_session_id'))

    op.drop_table('attendances')
    with op.batch_alter_table('session_trainers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_trainers_user_id'))

    op.drop_table('session_trainers')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_session_user', sqlite_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"))
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_session_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_status'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_course_id'))

    op.drop_table('training_sessions')
    op.drop_table('calendar_feeds')
    op.drop_table('courses')
