"""Equipment: items, holders (stores, kit bags, venues), the immutable stock ledger and its
balances, returnable assets lent by serial number, the places stock is handed out at, and
the low-stock alert state.

The ledger rule: every change of a balance is made together with one StockMovement row, in
the same transaction, with the balance rows locked. A movement takes `quantity` away from
`from_holder` (if any) and adds it to `to_holder` (if any): the balance of an item at a
holder is always (sum in) - (sum out), and the database refuses a negative balance.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.models.base import db, utcnow
from volunteer_hub.models.people import Organisation, User, enum_column


class ItemKind(enum.Enum):
    CONSUMABLE = "consumable"  # given away: counted in the ledger
    RETURNABLE = "returnable"  # lent by serial number and brought back (radios)

    @property
    def label(self) -> str:
        return self.value.capitalize()


def item_noun(name: str, plural: str, n: int) -> str:
    """Item.noun from an item's name and plural (for pages that select columns, not items)."""
    return name.lower() if n == 1 else plural


def item_count(name: str, plural: str, n: int) -> str:
    """Item.count from an item's name and plural."""
    return f"{n} {item_noun(name, plural, n)}"


class Item(db.Model):
    __tablename__ = "equipment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # singular: "Personal alarm"
    plural: Mapped[str] = mapped_column(String(120))  # "personal alarms", used in messages
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, "item_kind"), default=ItemKind.CONSUMABLE)
    unit: Mapped[str] = mapped_column(String(40), default="each")  # how it is counted
    # Coordinators get an email when a store's balance falls to or below this.
    low_stock_level: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("low_stock_level >= 0", name="low_stock_level_not_negative"),)

    @property
    def is_returnable(self) -> bool:
        return self.kind is ItemKind.RETURNABLE

    def noun(self, n: int) -> str:
        """"personal alarm" for 1, "personal alarms" for any other number."""
        return item_noun(self.name, self.plural, n)

    def count(self, n: int) -> str:
        """"1 personal alarm", "3 personal alarms"."""
        return item_count(self.name, self.plural, n)

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.name!r}>"


class HolderKind(enum.Enum):
    STORE = "store"
    KIT_BAG = "kit_bag"
    ORGANISATION = "organisation"  # a partner venue holding stock to give out

    @property
    def label(self) -> str:
        return {"store": "Store", "kit_bag": "Kit bag", "organisation": "Venue / organisation"}[self.value]


class Holder(db.Model):
    """Somewhere stock can be: a store, one volunteer's kit bag, or a partner organisation."""

    __tablename__ = "equipment_holders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HolderKind] = mapped_column(enum_column(HolderKind, "holder_kind"), index=True)
    name: Mapped[str | None] = mapped_column(String(120), unique=True)  # stores only
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # How many items it holds some of (balances above zero), kept by record_movements with the
    # balances: the stock page lists and counts holders that hold something without a probe per holder.
    items_held: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(kind = 'store' AND name IS NOT NULL AND user_id IS NULL AND organisation_id IS NULL)"
            " OR (kind = 'kit_bag' AND user_id IS NOT NULL AND name IS NULL AND organisation_id IS NULL)"
            " OR (kind = 'organisation' AND organisation_id IS NOT NULL AND name IS NULL AND user_id IS NULL)",
            name="one_owner_per_kind",
        ),
        Index("ix_equipment_holders_kind_items_held", "kind", "items_held"),
    )

    @property
    def is_store(self) -> bool:
        return self.kind is HolderKind.STORE

    @property
    def display_name(self) -> str:
        if self.kind is HolderKind.STORE:
            return self.name or "Store"
        if self.kind is HolderKind.KIT_BAG:
            return f"{self.user.name}'s kit bag" if self.user else "Kit bag"
        return self.organisation.name if self.organisation else "Organisation"

    def __repr__(self) -> str:
        return f"<Holder {self.id} {self.kind.value}>"


class MovementKind(enum.Enum):
    RECEIVE = "receive"  # into a store, from a supplier
    ISSUE = "issue"  # between holders: store -> bag/venue/store, bag -> store (a return)
    HAND_OUT = "hand_out"  # from a bag or venue to the public (anonymous)
    WRITE_OFF = "write_off"  # lost, damaged, expired
    ADJUSTMENT = "adjustment"  # a stocktake's difference
    REVERSAL = "reversal"  # undoes one earlier movement

    @property
    def label(self) -> str:
        return MOVEMENT_KIND_LABELS[self]


MOVEMENT_KIND_LABELS = {
    MovementKind.RECEIVE: "Received",
    MovementKind.ISSUE: "Issued",
    MovementKind.HAND_OUT: "Handed out",
    MovementKind.WRITE_OFF: "Written off",
    MovementKind.ADJUSTMENT: "Stocktake adjustment",
    MovementKind.REVERSAL: "Reversal",
}


class TimeBand(enum.Enum):
    DAY = "day"
    EVENING = "evening"
    LATE_EVENING = "late_evening"
    NIGHT = "night"
    EARLY_MORNING = "early_morning"

    @property
    def label(self) -> str:
        return TIME_BAND_LABELS[self]


TIME_BAND_LABELS = {
    TimeBand.DAY: "Daytime (before 6pm)",
    TimeBand.EVENING: "6pm to 9pm",
    TimeBand.LATE_EVENING: "9pm to midnight",
    TimeBand.NIGHT: "Midnight to 3am",
    TimeBand.EARLY_MORNING: "After 3am",
}


class PlaceKind(enum.Enum):
    STREET = "street"
    ZONE = "zone"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Place(db.Model):
    """A street or zone stock is handed out at (a list the coordinators keep)."""

    __tablename__ = "equipment_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind, "place_kind"), default=PlaceKind.STREET)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StockMovement(db.Model):
    """One change of stock. Never updated or deleted: a mistake is undone by a reversal."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MovementKind] = mapped_column(enum_column(MovementKind, "movement_kind"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="RESTRICT"), index=True)
    from_holder_id: Mapped[int | None] = mapped_column(  # indexed with kind and day (below)
        ForeignKey("equipment_holders.id", ondelete="RESTRICT")
    )
    to_holder_id: Mapped[int | None] = mapped_column(  # indexed with kind and day (below)
        ForeignKey("equipment_holders.id", ondelete="RESTRICT")
    )
    quantity: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # The day it happened (hand-outs: the night it was handed out); reports group by it.
    occurred_on: Mapped[dt.date] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    supplier: Mapped[str | None] = mapped_column(String(120))
    batch: Mapped[str | None] = mapped_column(String(60))
    use_by: Mapped[dt.date | None]
    # Hand-outs: where and when, never who received it.
    place_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_places.id", ondelete="RESTRICT"), index=True)
    place_text: Mapped[str | None] = mapped_column(String(120))
    time_band: Mapped[TimeBand | None] = mapped_column(enum_column(TimeBand, "time_band"))
    event_name: Mapped[str | None] = mapped_column(String(120))
    # A hand-out (or kit-bag count) on a night patrol: the shift's figures read these.
    patrol_shift_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_shifts.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"), unique=True)
    # From a hidden form field: a double-submitted form records one movement.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)

    item: Mapped[Item] = relationship()
    from_holder: Mapped[Holder | None] = relationship(foreign_keys=[from_holder_id])
    to_holder: Mapped[Holder | None] = relationship(foreign_keys=[to_holder_id])
    recorded_by: Mapped[User | None] = relationship()
    place: Mapped[Place | None] = relationship()
    reverses: Mapped[StockMovement | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_holder_id IS NOT NULL OR to_holder_id IS NOT NULL", name="has_a_holder"),
        CheckConstraint(
            "from_holder_id IS NULL OR to_holder_id IS NULL OR from_holder_id <> to_holder_id",
            name="moves_somewhere",
        ),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_has_original"),
        # The reports: a kind of movement in a date range. With what follows, the impact report
        # sums the write-offs (and counts the kit bags that handed out) from the index alone, not
        # one table row per movement scattered across the ledger (migration 0020).
        Index("ix_stock_movements_kind_occurred_on_from", "kind", "occurred_on", "from_holder_id", "item_id",
              "quantity", "id"),
        # A holder's history (to_holder_id alone), and the report's issues to venues in a date
        # range, summed from the index alone.
        Index("ix_stock_movements_to_holder_id_kind_occurred_on", "to_holder_id", "kind", "occurred_on", "item_id",
              "quantity", "id"),
        # A holder's history (from_holder_id alone), and whether a kit bag handed out in a period:
        # one look-up per holder, not every hand-out of the period (migration 0016).
        Index("ix_stock_movements_from_holder_id_kind_occurred_on", "from_holder_id", "kind", "occurred_on"),
    )

    @property
    def kind_label(self) -> str:
        """"Returned" for stock coming back into a store from a bag or venue; otherwise the kind."""
        if self.kind is MovementKind.ISSUE and self.to_holder and self.to_holder.is_store and not (
                self.from_holder and self.from_holder.is_store):
            return "Returned"
        return self.kind.label

    @property
    def place_label(self) -> str:
        return self.place.name if self.place else (self.place_text or "")


class StockBalance(db.Model):
    """What one holder holds of one item. Changed only with a movement, under a row lock."""

    __tablename__ = "stock_balances"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="RESTRICT"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("equipment_holders.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship()
    holder: Mapped[Holder] = relationship()

    __table_args__ = (
        UniqueConstraint("item_id", "holder_id", name="uq_stock_balances_item_id_holder_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )


class TotalGrain(enum.Enum):
    DAY = "day"
    MONTH = "month"


def place_key(place_id: int | None, place_text: str | None) -> str:
    """What a hand-out total is kept per: a listed place, a typed place, or neither."""
    if place_id is not None:
        return f"p:{place_id}"
    return f"t:{place_text}" if place_text else ""


class HandOutTotal(db.Model):
    """Net hand-outs (those not reversed) of one item at one place, per day and per month.

    A roll-up of the ledger for the impact report, so it reads a few hundred rows whatever the
    ledger's size: written in the same transaction as the hand-out or its reversal (by
    `record_movements`), and checked against the ledger by `hand_out_total_mismatches`. Each
    hand-out counts once at each grain, on the day (and month) it was handed out.
    """

    __tablename__ = "hand_out_totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[TotalGrain] = mapped_column(enum_column(TotalGrain, "total_grain"))
    period_start: Mapped[dt.date]  # the day, or the first day of the month
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="RESTRICT"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_places.id", ondelete="RESTRICT"))
    place_text: Mapped[str | None] = mapped_column(String(120))
    place_key: Mapped[str] = mapped_column(String(130))  # place_key(place_id, place_text): NULLs never match
    quantity: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("grain", "period_start", "item_id", "place_key"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )


class LowStockAlert(db.Model):
    """One episode of a store being low on an item: raised (one email to coordinators) when the
    balance falls to or below the item's level, cleared when refilled above it."""

    __tablename__ = "low_stock_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("equipment_holders.id", ondelete="CASCADE"))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index(
            "uq_low_stock_alerts_open_item_holder",
            "item_id",
            "holder_id",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )


class Asset(db.Model):
    """One returnable unit, known by its serial number (a radio)."""

    __tablename__ = "equipment_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="RESTRICT"), index=True)
    serial: Mapped[str] = mapped_column(String(80), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship()


class AssetLoan(db.Model):
    """A returnable unit checked out to a person until it is checked back in."""

    __tablename__ = "equipment_asset_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_assets.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    due_on: Mapped[dt.date] = mapped_column(index=True)
    checked_out_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[dt.datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    asset: Mapped[Asset] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        # An asset cannot be out twice.
        Index(
            "uq_equipment_asset_loans_open_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("returned_at IS NULL"),
            postgresql_where=text("returned_at IS NULL"),
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.returned_at is None
