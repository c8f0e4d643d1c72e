from flask import Blueprint

from volunteer_hub.models import Role
from volunteer_hub.templating import add_nav_item

bp = Blueprint("equipment", __name__)

add_nav_item(40, "equipment.kit_bag", "My kit bag")
add_nav_item(45, "equipment.stock", "Stock", (Role.COORDINATOR, Role.ADMIN))

from volunteer_hub.blueprints.equipment import catalogue, history, reports, stock  # noqa: E402,F401
