from flask import Blueprint

bp = Blueprint("people", __name__)

from volunteer_hub.blueprints.people import views  # noqa: E402,F401
