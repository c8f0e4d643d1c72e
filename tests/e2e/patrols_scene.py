"""Setting the scene for the patrol journey through the services, on the live server's database
(as tests/e2e/scene.py does): people cleared to patrol, a session of an existing course, the day
of that session (its start moved back, the register marked and finalised), a stocked kit bag, a
shift tonight with people on it, and running a scheduled job at a given time.

Everything returned is plain data; the database session is closed when each step ends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from tests.e2e.scene import Person, Scene, Session
from tests.factories_training import make_session
from volunteer_hub import clock
from volunteer_hub.models import (
    AttendanceStatus,
    Course,
    Holder,
    ItemKind,
    Role,
    TrainingSession,
    User,
    db,
    utcnow,
)


@dataclass(frozen=True)
class Shift:
    id: int
    title: str
    starts_at: dt.datetime  # aware UTC
    ends_at: dt.datetime


def patroller(scene: Scene, name: str, *roles: Role, emergency_contact: tuple[str, str] = ("Sam Next-of-kin",
                                                                                            "07700 900999"),
              phone: str = "07700 900123") -> Person:
    """A person with a DBS check done last year and good for two more, a phone and an emergency contact."""
    person = scene.person(name, *roles)
    with scene.db():
        user = db.session.get(User, person.id)
        today = clock.today()
        user.dbs_checked_on, user.dbs_renew_by = today - dt.timedelta(days=365), today + dt.timedelta(days=730)
        user.phone = phone
        user.emergency_contact_name, user.emergency_contact_phone = emergency_contact
    return person


def certified(scene: Scene, person: Person, course_title: str) -> None:
    """`person` holds a certificate of the course issued today (e.g. a shift lead, trained before)."""
    from tests.factories_certificates import issue

    with scene.db():
        course = db.session.scalar(select(Course).where(Course.title == course_title))
        issue(db.session.get(User, person.id), course, clock.today())


def session_of(scene: Scene, course_title: str, place: str, *, trainer: Person,
               starts_in: dt.timedelta = dt.timedelta(days=4)) -> Session:
    """A new session (booking open now) of an existing course, at `place`, taught by `trainer`."""
    with scene.db():
        course = db.session.scalar(select(Course).where(Course.title == course_title))
        session = make_session(course, starts_in=starts_in, trainers=[db.session.get(User, trainer.id)], place=place,
                               hours=course.duration_minutes / 60, opens_ago=dt.timedelta(days=3))
        return Session(session.id, course.title, session.starts_at)


def session_held(scene: Scene, session: Session, *, present: Person, trainer: Person) -> None:
    """The day of the session comes (its times move back to 20 minutes ago): the trainer marks
    `present` present and finalises the register, which issues the certificate."""
    from volunteer_hub.services import training

    with scene.db():
        row = db.session.get(TrainingSession, session.id)
        length = row.ends_at - row.starts_at
        row.starts_at = utcnow().replace(microsecond=0) - dt.timedelta(minutes=20)
        row.ends_at = row.starts_at + length
        row.booking_closes_at = row.cancellation_cutoff_at = row.starts_at
        db.session.flush()
        by = db.session.get(User, trainer.id)
        training.mark_attendance(row, db.session.get(User, present.id), AttendanceStatus.PRESENT, by)
        training.finalise_register(row, by)


def kit_bag(scene: Scene, person: Person, items: dict[tuple[str, str], int], *, by_email: str) -> None:
    """New consumable items (name, plural) received into the Central store, then `quantity` of each
    issued to `person`'s kit bag."""
    from volunteer_hub.services import equipment

    with scene.db():
        by = db.session.scalar(select(User).where(User.email == by_email))
        store = db.session.scalar(select(Holder).where(Holder.name == "Central store"))
        bag = equipment.kit_bag_for(db.session.get(User, person.id))
        for (name, plural), quantity in items.items():
            item = equipment.create_item(name, ItemKind.CONSUMABLE, plural=plural)
            equipment.receive_stock(store, item, quantity * 5, by=by, supplier="SafeNight Supplies Ltd")
            equipment.issue_stock(store, item, [bag], quantity, by=by)


def shift_tonight(scene: Scene, title: str, *, lead: Person, people: list[Person], on_call_email: str,
                  starts_in: dt.timedelta = dt.timedelta(minutes=5), hours: int = 3) -> Shift:
    """A shift starting `starts_in` from now (to the minute, London time) for `hours`, added by the
    on-call coordinator, with `lead` as its lead (which puts them on it); `people` join it (the real rules)."""
    from volunteer_hub.services import patrols

    start = clock.to_local(utcnow() + starts_in)
    end = start + dt.timedelta(hours=hours)
    with scene.db():
        on_call = db.session.scalar(select(User).where(User.email == on_call_email))
        shift = patrols.create_shift(title=title, day=start.date(), start_time=dt.time(start.hour, start.minute),
                                     end_time=dt.time(end.hour, end.minute), by=on_call,
                                     lead=db.session.get(User, lead.id), meeting_point="Market Cross",
                                     area="Town centre", min_people=2, max_people=6, needs_dbs=True)
        for person in people:
            patrols.join_shift(shift, db.session.get(User, person.id))
        return Shift(shift.id, shift.title, shift.starts_at, shift.ends_at)


def run_job_at(live_server, name: str, at: dt.datetime) -> str:
    """Run the scheduled job called `name` (volunteer_hub.jobs.JOBS, as `flask jobs run` does), then
    the outbox sender, with this process's clock stopped at `at`: the journey's night has ended
    long enough ago. Returns the job's summary."""
    from volunteer_hub.jobs import JOBS
    from volunteer_hub.models import immediate_transactions

    job = dict(JOBS)[name]
    with live_server.app.app_context(), immediate_transactions(), clock.freeze(at):
        try:
            summary = job()
            dict(JOBS)["send outbox"]()
            return summary
        finally:
            db.session.remove()
