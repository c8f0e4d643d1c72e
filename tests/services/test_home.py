"""The home page's panels read rows: the same choice as each area's own functions."""
import datetime as dt

from tests.factories import make_user
from tests.factories_equipment import make_asset, make_item, stock
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub.models import BookingStatus, Role, utcnow
from volunteer_hub.queries import home
from volunteer_hub.queries import training as training_queries
from volunteer_hub.services import equipment


def test_the_next_booking_is_the_soonest_active_one_still_to_come(app):
    person = make_user()
    course = make_course("Bystander intervention")
    assert home.next_booking(person) is None
    make_booking(make_session(course, starts_in=dt.timedelta(days=-2), opens_ago=dt.timedelta(days=10)), person)  # over
    make_booking(make_session(course, starts_in=dt.timedelta(days=1)), person, BookingStatus.CANCELLED)
    later = make_session(course, starts_in=dt.timedelta(days=9))
    make_booking(later, person)
    waiting = make_session(make_course("Ask for Angela"), starts_in=dt.timedelta(days=4))
    make_booking(waiting, person, BookingStatus.WAITLISTED)
    found = home.next_booking(person)
    assert (found.id, found.course_title, found.booking_status) == (waiting.id, "Ask for Angela", BookingStatus.WAITLISTED)
    assert found.starts_at == waiting.starts_at
    # The same one the area's own list would give.
    active = [b for b in training_queries.my_bookings(person) if b.is_active and b.session.starts_at > utcnow()]
    assert min(active, key=lambda b: b.session.starts_at).session_id == found.id


def test_the_sessions_taught_are_those_not_ended_soonest_first(app):
    trainer = make_user(Role.TRAINER)
    course = make_course("Trauma-informed practice")
    make_session(course, starts_in=dt.timedelta(days=-3), opens_ago=dt.timedelta(days=10), trainers=[trainer])  # over
    running = make_session(course, starts_in=dt.timedelta(hours=-1), hours=3, opens_ago=dt.timedelta(days=10),
                           trainers=[trainer])
    soon = [make_session(course, starts_in=dt.timedelta(days=d), trainers=[trainer]) for d in (5, 2, 8)]
    make_session(course, starts_in=dt.timedelta(days=1))  # someone else's
    taught = home.sessions_taught(trainer, 3)
    assert [s.id for s in taught] == [running.id, soon[1].id, soon[0].id]
    assert taught[0].course_title == "Trauma-informed practice" and taught[0].booking_status is None
    expected = [s.id for s in training_queries.trainer_sessions(trainer) if s.ends_at > utcnow()][:3]
    assert [s.id for s in taught] == expected


def test_the_kit_bag_summary_has_what_the_bag_holds_and_the_loans(app):
    person, coordinator = make_user(), make_user(Role.COORDINATOR)
    assert home.kit_bag_summary(person) == ([], 0)  # no bag yet
    bag = equipment.kit_bag_for(person)
    assert home.kit_bag_summary(person) == ([], 0)  # an empty bag
    stock(bag, make_item("Personal alarm", plural="personal alarms"), 10)
    stock(bag, make_item("Anti-spike scrunchie", plural="anti-spike scrunchies"), 1)
    for _ in range(2):
        equipment.check_out_asset(make_asset(), person, utcnow().date() + dt.timedelta(days=7), by=coordinator)
    summary = home.kit_bag_summary(person)
    assert summary.lines == [(1, "anti-spike scrunchie"), (10, "personal alarms")]
    assert summary.loans == 2 == len(equipment.loans_for(person))
    assert home.kit_bag_summary(coordinator) == ([], 0)
