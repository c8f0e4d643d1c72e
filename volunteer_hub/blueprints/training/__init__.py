from flask import Blueprint

from volunteer_hub.blueprints.main.views import add_dashboard_panel
from volunteer_hub.models import Role
from volunteer_hub.templating import add_nav_item

bp = Blueprint("training", __name__)

add_nav_item(10, "training.session_list", "Training")
add_nav_item(20, "training.my_training", "My training")
add_nav_item(30, "training.my_sessions", "My sessions", (Role.TRAINER,))
add_nav_item(40, "training.course_list", "Courses", (Role.COORDINATOR, Role.ADMIN))
add_dashboard_panel(10, "training/_panel.html")

from volunteer_hub.blueprints.training import bookings, courses, register, sessions  # noqa: E402,F401
