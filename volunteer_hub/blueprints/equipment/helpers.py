"""What the equipment pages share: the choice lists, and saying what a recorded movement did."""
from flask import flash

from volunteer_hub.forms import choices
from volunteer_hub.models import ItemKind
from volunteer_hub.services import equipment as svc


def done(outcome, message: str) -> None:
    """Say what happened; a repeated submit says so (it recorded nothing new)."""
    if outcome.duplicate:
        message = "That form had already been sent, so it was recorded once. " + message
    flash(message, "success")


def item_choices(kind=ItemKind.CONSUMABLE):
    return choices((i.id, i.name) for i in svc.list_items(kind=kind))


def store_choices():
    return choices((s.id, s.name) for s in svc.list_stores())
