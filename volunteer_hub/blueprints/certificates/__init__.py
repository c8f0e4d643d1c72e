from flask import Blueprint

from volunteer_hub.blueprints.main.views import add_dashboard_panel
from volunteer_hub.models import Role
from volunteer_hub.templating import add_nav_item

bp = Blueprint("certificates", __name__)

add_nav_item(30, "certificates.mine", "My certificates")
add_nav_item(60, "certificates.compliance", "Compliance", (Role.COORDINATOR, Role.ADMIN))
add_dashboard_panel(30, "certificates/_panel.html")

from volunteer_hub.blueprints.certificates import views  # noqa: E402,F401
