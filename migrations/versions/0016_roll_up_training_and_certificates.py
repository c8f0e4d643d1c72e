"""Roll-ups for the impact report: trained people, session totals, certificate coverage and lapses

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:10:00

At scale 100 the report spent over a second counting different people over two years of marks
and certificates. These tables are kept by volunteer_hub/services/report_rollups.py in the same
transaction as each change; this migration fills them from the data already there.
"""
import sqlalchemy as sa

import volunteer_hub.models.base
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'trained_people',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
        sa.Column('previous_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
        sa.Column('previous_course_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('previous_month', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_trained_people_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_trained_people_session_id_training_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trained_people_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_trained_people')),
    )
    op.create_index('ix_trained_people_month', 'trained_people',
                    ['month', 'course_id', 'starts_at', 'previous_at', 'previous_course_at', 'previous_month', 'user_id'],
                    unique=False)
    op.create_index('ix_trained_people_user_id', 'trained_people', ['user_id'], unique=False)
    op.create_table(
        'session_totals',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('marks', sa.Integer(), nullable=False),
        sa.Column('attended', sa.Integer(), nullable=False),
        sa.Column('absent', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_session_totals_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_totals_session_id_training_sessions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_totals')),
    )
    op.create_index(op.f('ix_session_totals_starts_at'), 'session_totals', ['starts_at'], unique=False)
    op.create_table(
        'certificate_coverage',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_certificate_coverage_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificate_coverage_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'course_id', 'valid_from', name=op.f('pk_certificate_coverage')),
    )
    op.create_index('ix_certificate_coverage_valid_until', 'certificate_coverage',
                    ['valid_until', 'valid_from', 'user_id', 'course_id'], unique=False)
    op.create_table(
        'certificate_lapses',
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('expired_on', sa.Date(), nullable=False),
        sa.Column('renewed_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_lapses_certificate_id_certificates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_certificate_lapses_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificate_lapses_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_lapses')),
    )
    op.create_index('ix_certificate_lapses_expired_on', 'certificate_lapses',
                    ['expired_on', 'course_id', 'renewed_on', 'user_id'], unique=False)
    op.create_index('ix_certificate_lapses_user_id_course_id', 'certificate_lapses', ['user_id', 'course_id'], unique=False)
    # Certificates issued in a period, by course, from the index alone.
    op.drop_index('ix_certificates_issued_on', table_name='certificates')
    op.create_index('ix_certificates_issued_on', 'certificates', ['issued_on', 'course_id', 'user_id'], unique=False)
    op.drop_index('ix_users_organisation_id', table_name='users')
    op.create_index('ix_users_organisation_id', 'users', ['organisation_id', 'is_active', 'created_at', 'erased_at'],
                    unique=False)
    op.create_index('ix_users_created_at', 'users', ['created_at'], unique=False)
    op.create_index('ix_users_dbs_renew_by', 'users', ['dbs_renew_by'], unique=False)
    op.drop_index('ix_stock_movements_from_holder_id', table_name='stock_movements')
    op.create_index('ix_stock_movements_from_holder_id_kind_occurred_on', 'stock_movements',
                    ['from_holder_id', 'kind', 'occurred_on'], unique=False)
    op.create_index('ix_bookings_late_cancellations', 'bookings', ['is_late_cancellation', 'cancelled_at', 'user_id'],
                    unique=False)
    # Filled by the code that keeps them (it reads only columns every version since 0016 has).
    from volunteer_hub.services.report_rollups import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session, compliance=False)  # compliance_spans come in 0019
    session.flush()


def downgrade():
    op.drop_index('ix_stock_movements_from_holder_id_kind_occurred_on', table_name='stock_movements')
    op.create_index('ix_stock_movements_from_holder_id', 'stock_movements', ['from_holder_id'], unique=False)
    op.drop_index('ix_users_dbs_renew_by', table_name='users')
    op.drop_index('ix_users_created_at', table_name='users')
    op.drop_index('ix_users_organisation_id', table_name='users')
    op.create_index('ix_users_organisation_id', 'users', ['organisation_id'], unique=False)
    op.drop_index('ix_certificates_issued_on', table_name='certificates')
    op.create_index('ix_certificates_issued_on', 'certificates', ['issued_on'], unique=False)
    op.drop_table('certificate_lapses')
    op.drop_index('ix_bookings_late_cancellations', table_name='bookings')
    op.drop_table('certificate_coverage')
    op.drop_table('session_totals')
    op.drop_table('trained_people')
