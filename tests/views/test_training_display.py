"""The session list's places badge."""
from volunteer_hub.blueprints.training.sessions import places_badge


def test_places_badge():
    from volunteer_hub.models import SessionStatus

    assert places_badge(SessionStatus.CANCELLED, 10, 3, 0) == ("text-bg-danger", "Cancelled")
    assert places_badge(SessionStatus.SCHEDULED, 10, 10, 2) == ("vh-badge-full", "Full · 2 waiting")
    assert places_badge(SessionStatus.SCHEDULED, 10, 9, 0) == ("vh-badge-places", "1 place left")
    assert places_badge(SessionStatus.SCHEDULED, 10, 3, 0) == ("vh-badge-places", "7 places left")
