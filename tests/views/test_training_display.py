"""The session list's places badge."""
from volunteer_hub.blueprints.training import display


def test_places_badge():
    from volunteer_hub.models import SessionStatus

    assert display.places_badge(SessionStatus.CANCELLED, 10, 3, 0) == ("text-bg-danger", "Cancelled")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 10, 2) == ("vh-badge-full", "Full · 2 waiting")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 9, 0) == ("vh-badge-places", "1 place left")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 3, 0) == ("vh-badge-places", "7 places left")
