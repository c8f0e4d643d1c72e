"""Access rules and URL parameter values for the equipment routes."""
from tests.factories_equipment import make_asset, make_item, make_place, make_store
from volunteer_hub.services import equipment as svc

ACCESS = {
    "equipment.kit_bag": "user",
    "equipment.hand_out": "user",
    "equipment.holder_hand_out": "staff",
    "equipment.stock": "staff",
    "equipment.store_create": "staff",
    "equipment.holder": "staff",
    "equipment.person_kit_bag": "staff",
    "equipment.low_stock": "staff",
    "equipment.receive": "staff",
    "equipment.issue": "staff",
    "equipment.venue_suggest": "staff",
    "equipment.write_off": "staff",
    "equipment.stocktake": "staff",
    "equipment.movements": "staff",
    "equipment.movements_csv": "staff",
    "equipment.movement": "staff",
    "equipment.items": "staff",
    "equipment.item_edit": "staff",
    "equipment.places": "staff",
    "equipment.place_toggle": "staff",
    "equipment.assets": "staff",
    "equipment.asset_check_out": "staff",
    "equipment.asset_check_in": "staff",
    "equipment.report": "staff",
    "equipment.report_csv": "staff",
}


def _movement(ctx):
    if "movement" not in ctx:
        ctx["movement"] = svc.receive_stock(ctx.setdefault("store", make_store()), make_item(), 5, by=None).movements[0]
        from volunteer_hub.models import db

        db.session.commit()
    return ctx["movement"].id


PARAMS = {
    "holder_id": lambda ctx: ctx.setdefault("store", make_store()).id,
    "item_id": lambda ctx: ctx.setdefault("item", make_item()).id,
    "movement_id": _movement,
    "place_id": lambda ctx: ctx.setdefault("place", make_place()).id,
    "asset_id": lambda ctx: ctx.setdefault("asset", make_asset()).id,
    "action": lambda ctx: "retire",
}


def _kit_bag(ctx):
    if "kit_bag" not in ctx:
        from volunteer_hub.models import db

        ctx["kit_bag"] = svc.kit_bag_for(ctx["person"])
        db.session.commit()
    return ctx["kit_bag"].id


OWNED_PARAMS = {"holder_id": _kit_bag}
