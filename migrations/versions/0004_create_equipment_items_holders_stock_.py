"""create equipment items, holders, stock ledger and assets

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-28 08:40:52.791700

"""
from alembic import op
import sqlalchemy as sa
import volunteer_hub.models.base

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('equipment_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('plural', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('consumable', 'returnable', name='item_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('low_stock_level', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('low_stock_level >= 0', name=op.f('ck_equipment_items_low_stock_level_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_items')),
    sa.UniqueConstraint('name', name=op.f('uq_equipment_items_name'))
    )
    op.create_table('equipment_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('street', 'zone', name='place_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_places')),
    sa.UniqueConstraint('name', name=op.f('uq_equipment_places_name'))
    )
    op.create_table('equipment_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=80), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_equipment_assets_item_id_equipment_items'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_assets')),
    sa.UniqueConstraint('serial', name=op.f('uq_equipment_assets_serial'))
    )
    with op.batch_alter_table('equipment_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_assets_item_id'), ['item_id'], unique=False)

    op.create_table('equipment_asset_loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('checked_out_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('checked_out_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['equipment_assets.id'], name=op.f('fk_equipment_asset_loans_asset_id_equipment_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['checked_out_by_id'], ['users.id'], name=op.f('fk_equipment_asset_loans_checked_out_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_equipment_asset_loans_returned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_equipment_asset_loans_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_asset_loans'))
    )
    with op.batch_alter_table('equipment_asset_loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_asset_loans_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equipment_asset_loans_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_equipment_asset_loans_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_equipment_asset_loans_open_asset', ['asset_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))

    op.create_table('equipment_holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('store', 'kit_bag', 'organisation', name='holder_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'store' AND name IS NOT NULL AND user_id IS NULL AND organisation_id IS NULL) OR (kind = 'kit_bag' AND user_id IS NOT NULL AND name IS NULL AND organisation_id IS NULL) OR (kind = 'organisation' AND organisation_id IS NOT NULL AND name IS NULL AND user_id IS NULL)", name=op.f('ck_equipment_holders_one_owner_per_kind')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_equipment_holders_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_equipment_holders_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_holders')),
    sa.UniqueConstraint('name', name=op.f('uq_equipment_holders_name')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_equipment_holders_organisation_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_equipment_holders_user_id'))
    )
    with op.batch_alter_table('equipment_holders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_holders_kind'), ['kind'], unique=False)

    op.create_table('low_stock_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('cleared_at', volunteer_hub.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['equipment_holders.id'], name=op.f('fk_low_stock_alerts_holder_id_equipment_holders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_low_stock_alerts_item_id_equipment_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_low_stock_alerts'))
    )
    with op.batch_alter_table('low_stock_alerts', schema=None) as batch_op:
        batch_op.create_index('uq_low_stock_alerts_open_item_holder', ['item_id', 'holder_id'], unique=True, sqlite_where=sa.text('cleared_at IS NULL'), postgresql_where=sa.text('cleared_at IS NULL'))

    op.create_table('stock_balances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('updated_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stock_balances_quantity_not_negative')),
    sa.ForeignKeyConstraint(['holder_id'], ['equipment_holders.id'], name=op.f('fk_stock_balances_holder_id_equipment_holders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_stock_balances_item_id_equipment_items'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_balances')),
    sa.UniqueConstraint('item_id', 'holder_id', name='uq_stock_balances_item_id_holder_id')
    )
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_balances_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_balances_item_id'), ['item_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receive', 'issue', 'hand_out', 'write_off', 'adjustment', 'reversal', name='movement_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('from_holder_id', sa.Integer(), nullable=True),
    sa.Column('to_holder_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', volunteer_hub.models.base.UTCDateTime(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('supplier', sa.String(length=120), nullable=True),
    sa.Column('batch', sa.String(length=60), nullable=True),
    sa.Column('use_by', sa.Date(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('place_text', sa.String(length=120), nullable=True),
    sa.Column('time_band', sa.Enum('day', 'evening', 'late_evening', 'night', 'early_morning', name='time_band', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('event_name', sa.String(length=120), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name=op.f('ck_stock_movements_reversal_has_original')),
    sa.CheckConstraint('from_holder_id IS NOT NULL OR to_holder_id IS NOT NULL', name=op.f('ck_stock_movements_has_a_holder')),
    sa.CheckConstraint('from_holder_id IS NULL OR to_holder_id IS NULL OR from_holder_id <> to_holder_id', name=op.f('ck_stock_movements_moves_somewhere')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_movements_quantity_positive')),
    sa.ForeignKeyConstraint(['from_holder_id'], ['equipment_holders.id'], name=op.f('fk_stock_movements_from_holder_id_equipment_holders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['equipment_items.id'], name=op.f('fk_stock_movements_item_id_equipment_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['place_id'], ['equipment_places.id'], name=op.f('fk_stock_movements_place_id_equipment_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_stock_movements_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reverses_id'], ['stock_movements.id'], name=op.f('fk_stock_movements_reverses_id_stock_movements')),
    sa.ForeignKeyConstraint(['to_holder_id'], ['equipment_holders.id'], name=op.f('fk_stock_movements_to_holder_id_equipment_holders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_stock_movements_idempotency_key')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_stock_movements_reverses_id'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_from_holder_id'), ['from_holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_stock_movements_kind_occurred_on', ['kind', 'occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_recorded_at'), ['recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_to_holder_id'), ['to_holder_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_to_holder_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_place_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_occurred_on'))
        batch_op.drop_index('ix_stock_movements_kind_occurred_on')
        batch_op.drop_index(batch_op.f('ix_stock_movements_kind'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_item_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_from_holder_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_balances_item_id'))
        batch_op.drop_index(batch_op.f('ix_stock_balances_holder_id'))

    op.drop_table('stock_balances')
    with op.batch_alter_table('low_stock_alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_low_stock_alerts_open_item_holder', sqlite_where=sa.text('cleared_at IS NULL'), postgresql_where=sa.text('cleared_at IS NULL'))

    op.drop_table('low_stock_alerts')
    with op.batch_alter_table('equipment_holders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_holders_kind'))

    op.drop_table('equipment_holders')
    with op.batch_alter_table('equipment_asset_loans', schema=None) as batch_op:
        batch_op.drop_index('uq_equipment_asset_loans_open_asset', sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_equipment_asset_loans_user_id'))
        batch_op.drop_index(batch_op.f('ix_equipment_asset_loans_due_on'))
        batch_op.drop_index(batch_op.f('ix_equipment_asset_loans_asset_id'))

    op.drop_table('equipment_asset_loans')
    with op.batch_alter_table('equipment_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_assets_item_id'))

    op.drop_table('equipment_assets')
    op.drop_table('equipment_places')
    op.drop_table('equipment_items')
