"""Every blueprint, registered from this one list: (blueprint, url prefix)."""
from volunteer_hub.blueprints.auth import bp as auth_bp
from volunteer_hub.blueprints.main import bp as main_bp
from volunteer_hub.blueprints.people import bp as people_bp
from volunteer_hub.blueprints.training import bp as training_bp

BLUEPRINTS = [
    (main_bp, None),
    (auth_bp, "/auth"),
    (people_bp, None),
    (training_bp, "/training"),
]
