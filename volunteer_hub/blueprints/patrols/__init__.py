from flask import Blueprint

from volunteer_hub.templating import add_nav_item

bp = Blueprint("patrols", __name__)

add_nav_item(25, "patrols.shift_list", "Patrols")

from volunteer_hub.blueprints.patrols import views  # noqa: E402,F401
