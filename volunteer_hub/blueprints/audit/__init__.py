from flask import Blueprint

bp = Blueprint("audit", __name__)

from volunteer_hub.blueprints.audit import views  # noqa: E402,F401
