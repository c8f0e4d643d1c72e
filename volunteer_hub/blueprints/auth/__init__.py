from flask import Blueprint

bp = Blueprint("auth", __name__)

from volunteer_hub.blueprints.auth import two_factor, views  # noqa: E402,F401
