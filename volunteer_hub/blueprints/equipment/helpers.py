"""What the equipment pages share: the choice lists, and saying what a recorded movement did."""
from flask import flash
from flask_login import current_user

from volunteer_hub.forms import choices
from volunteer_hub.models import ItemKind, db
from volunteer_hub.services import equipment as svc
from volunteer_hub.services import people as people_service


def done(outcome, message: str) -> None:
    """Say what happened; a repeated submit says so (it recorded nothing new)."""
    if outcome.duplicate:
        message = "That form had already been sent, so it was recorded once. " + message
    flash(message, "success")


def volunteer_choices():
    people = db.session.scalars(people_service.directory_query(people_service.DirectoryFilter(active=True), current_user))
    return [(u.id, f"{u.name} ({u.organisation.name})" if u.organisation else u.name) for u in people]


def item_choices(kind=ItemKind.CONSUMABLE):
    return choices((i.id, i.name) for i in svc.list_items(kind=kind))


def store_choices():
    return choices((s.id, s.name) for s in svc.list_stores())
