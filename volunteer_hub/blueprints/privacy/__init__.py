from flask import Blueprint

from volunteer_hub.blueprints.main.views import add_dashboard_panel
from volunteer_hub.security import STAFF

bp = Blueprint("privacy", __name__)

add_dashboard_panel(40, "privacy/_panel.html", STAFF)

from volunteer_hub.blueprints.privacy import views  # noqa: E402,F401
