"""Roll up each person's compliance: the days they held every required course, and those they did not

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 13:30:00

The impact report's "share of each organisation's people holding every required course" built
every required (person, course) pair, 98,000 at scale 100, and joined them with the coverage held
on the period's last day: about 230 ms of the report. compliance_spans holds, for each open
account that must hold a course, runs of days held or not held, so the figure is a count of the
rows covering one day. Kept by volunteer_hub/services/report_rollups.py with each change; filled
here from the data already there.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'compliance_spans',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_compliance_spans_organisation_id_organisations'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_compliance_spans_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'valid_from', name=op.f('pk_compliance_spans')),
    )
    op.create_index('ix_compliance_spans_valid_until', 'compliance_spans',
                    ['valid_until', 'valid_from', 'organisation_id', 'held'], unique=False)
    # Filled by the code that keeps it (it reads only columns every version since 0019 has).
    from volunteer_hub.services.report_rollups import rebuild_compliance

    session = Session(bind=op.get_bind())
    rebuild_compliance(session)
    session.flush()


def downgrade():
    op.drop_index('ix_compliance_spans_valid_until', table_name='compliance_spans')
    op.drop_table('compliance_spans')
