from flask import Blueprint

bp = Blueprint("auth", __name__)

from volunteer_hub.blueprints.auth import views  # noqa: E402,F401
