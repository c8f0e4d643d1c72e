"""Every blueprint, registered from this one list: (blueprint, url prefix)."""
from volunteer_hub.blueprints.audit import bp as audit_bp
from volunteer_hub.blueprints.auth import bp as auth_bp
from volunteer_hub.blueprints.certificates import bp as certificates_bp
from volunteer_hub.blueprints.equipment import bp as equipment_bp
from volunteer_hub.blueprints.main import bp as main_bp
from volunteer_hub.blueprints.patrols import bp as patrols_bp
from volunteer_hub.blueprints.people import bp as people_bp
from volunteer_hub.blueprints.privacy import bp as privacy_bp
from volunteer_hub.blueprints.reports import bp as reports_bp
from volunteer_hub.blueprints.training import bp as training_bp

BLUEPRINTS = [
    (main_bp, None),
    (auth_bp, "/auth"),
    (people_bp, None),
    (training_bp, "/training"),
    (certificates_bp, None),
    (equipment_bp, None),
    (audit_bp, None),
    (privacy_bp, None),
    (reports_bp, None),
    (patrols_bp, None),
]
