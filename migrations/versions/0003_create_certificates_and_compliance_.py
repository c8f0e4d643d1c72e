"""Create certificates and compliance requirements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:42:10.951274

"""
from alembic import op
import sqlalchemy as sa
import volunteer_hub.models.base

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('compliance_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('volunteer', 'trainer', 'coordinator', 'admin', name='requirement_role', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('organisation_kind', sa.Enum('police', 'council', 'street_pastors', 'ambassadors', 'welfare_bus', 'youth_service', 'sports_club', 'licensed_venue', name='requirement_organisation_kind', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(role IS NULL) <> (organisation_kind IS NULL)', name=op.f('ck_compliance_requirements_role_or_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_compliance_requirements_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_requirements')),
    sa.UniqueConstraint('course_id', 'organisation_kind', name='uq_compliance_requirements_course_id_organisation_kind'),
    sa.UniqueConstraint('course_id', 'role', name='uq_compliance_requirements_course_id_role')
    )
    with op.batch_alter_table('compliance_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_requirements_course_id'), ['course_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=160), nullable=True),
    sa.Column('issuer', sa.String(length=160), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('verification_code', sa.String(length=43), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('attendance_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('is_external', sa.Boolean(), nullable=False),
    sa.Column('evidence_note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revocation_reason', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('course_id IS NOT NULL OR title IS NOT NULL', name=op.f('ck_certificates_course_or_title')),
    sa.CheckConstraint('expires_on IS NULL OR expires_on >= issued_on', name=op.f('ck_certificates_expires_after_issue')),
    sa.CheckConstraint('revoked_at IS NULL OR revocation_reason IS NOT NULL', name=op.f('ck_certificates_revocation_has_reason')),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendances.id'], name=op.f('fk_certificates_attendance_id_attendances'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_certificates_course_id_courses')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_certificates_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_certificates_session_id_training_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_certificates_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('attendance_id', name=op.f('uq_certificates_attendance_id')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_certificates_verification_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_issued_on'), ['issued_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_certificates_user_id_course_id', ['user_id', 'course_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_user_id_course_id')
        batch_op.drop_index(batch_op.f('ix_certificates_session_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_issued_on'))
        batch_op.drop_index(batch_op.f('ix_certificates_expires_on'))
        batch_op.drop_index(batch_op.f('ix_certificates_course_id'))

    op.drop_table('certificates')
    with op.batch_alter_table('compliance_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_requirements_course_id'))

    op.drop_table('compliance_requirements')
