from flask import Blueprint

from volunteer_hub.models import Role
from volunteer_hub.templating import add_nav_item

bp = Blueprint("reports", __name__)

add_nav_item(70, "reports.impact", "Impact report", (Role.COORDINATOR, Role.ADMIN))

from volunteer_hub.blueprints.reports import views  # noqa: E402,F401
