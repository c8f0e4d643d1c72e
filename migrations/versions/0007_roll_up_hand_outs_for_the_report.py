"""Roll up hand-outs for the report; count the items each holder holds

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:25:56

The impact report summed every hand-out of its period from the ledger, with an anti-join to
reversals: about 110,000 rows at scale 100. hand_out_totals keeps the net hand-outs per item and
place per day and per month (kept up to date by record_movements); this fills it from the ledger.

The stock page counted and sorted every holder that holds something (a probe into the balances per
holder); equipment_holders.items_held says how many items each holds some of, filled here from
the balances.
"""
import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 1000


def _place_key(place_id, place_text):  # as volunteer_hub.models.equipment.place_key
    if place_id is not None:
        return f"p:{place_id}"
    return f"t:{place_text}" if place_text else ""


def upgrade():
    totals = op.create_table('hand_out_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grain', sa.Enum('day', 'month', name='total_grain', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('place_text', sa.String(length=120), nullable=True),
    sa.Column('place_key', sa.String(length=130), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_hand_out_totals_quantity_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_hand_out_totals_item_id_equipment_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['place_id'], ['equipment_places.id'], name=op.f('fk_hand_out_totals_place_id_equipment_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hand_out_totals')),
    sa.UniqueConstraint('grain', 'period_start', 'item_id', 'place_key', name=op.f('uq_hand_out_totals_grain_period_start_item_id_place_key'))
    )
    # Backfill: net hand-outs (not reversed) per day, item and place, then per month.
    movements = sa.table('stock_movements', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('item_id', sa.Integer), sa.column('quantity', sa.Integer),
                         sa.column('occurred_on', sa.Date), sa.column('place_id', sa.Integer),
                         sa.column('place_text', sa.String), sa.column('reverses_id', sa.Integer))
    reversal = movements.alias('reversal')
    net = (sa.select(movements.c.occurred_on, movements.c.item_id, movements.c.place_id, movements.c.place_text,
                     sa.func.sum(movements.c.quantity))
           .where(movements.c.kind == 'hand_out',
                  ~sa.exists().where(reversal.c.reverses_id == movements.c.id))
           .group_by(movements.c.occurred_on, movements.c.item_id, movements.c.place_id, movements.c.place_text))
    rows: dict[tuple, int] = defaultdict(int)
    for day, item_id, place_id, place_text, quantity in op.get_bind().execute(net):
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        place_text = None if place_id is not None else place_text
        for grain, start in (('day', day), ('month', day.replace(day=1))):
            rows[(grain, start, item_id, _place_key(place_id, place_text), place_id, place_text)] += quantity
    values = [{'grain': g, 'period_start': s, 'item_id': i, 'place_key': k, 'place_id': p, 'place_text': t,
               'quantity': q} for (g, s, i, k, p, t), q in sorted(rows.items(), key=lambda kq: kq[0][:4]) if q]
    for n in range(0, len(values), BATCH):
        op.bulk_insert(totals, values[n:n + BATCH])


    op.add_column('equipment_holders', sa.Column('items_held', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.create_index('ix_equipment_holders_kind_items_held', 'equipment_holders', ['kind', 'items_held'], unique=False)
    op.execute("UPDATE equipment_holders SET items_held = (SELECT count(*) FROM stock_balances"
               " WHERE stock_balances.holder_id = equipment_holders.id AND stock_balances.quantity > 0)")


def downgrade():
    op.drop_index('ix_equipment_holders_kind_items_held', table_name='equipment_holders')
    with op.batch_alter_table('equipment_holders', schema=None) as batch_op:
        batch_op.drop_column('items_held')
    op.drop_table('hand_out_totals')
