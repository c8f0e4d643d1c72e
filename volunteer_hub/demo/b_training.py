"""Demo training: four courses, sessions over the next 8 weeks (one full with a waitlist), and
past finalised sessions with attendance for the demo volunteers. Idempotent."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from volunteer_hub.clock import local_to_utc
from volunteer_hub.clock import to_local as utc_to_local
from volunteer_hub.demo._scale import insert_batches, spread, target
from volunteer_hub.demo.a_people import GENERATED_EMAIL_DOMAIN
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Course,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    db,
    session_trainers,
    utcnow,
)

COURSES = [
    ("Bystander intervention", 24, 150,
     "How to act safely when you see harassment: the 5 Ds (distract, delegate, document, delay, direct).",
     "Everyone: volunteers, venue staff, members of the public"),
    ("Trauma-informed practice", None, 180,
     "Supporting victims of violence and harassment without causing further harm.",
     "Practitioners and volunteers who support victims"),
    ("Ask for Angela / WAVE for venue staff", 12, 120,
     "Welfare and Vulnerability Engagement: spotting vulnerability and responding when someone asks for Angela.",
     "Bar staff, door staff and managers of licensed premises"),
    ("Challenging inappropriate behaviour for youth workers and sports coaches", None, 120,
     "Recognising and challenging sexist and inappropriate behaviour among young people.",
     "Youth workers and sports coaches"),
]
PLACES = ["Town Hall, Committee Room 2, High Street", "Community Safety Hub, 14 Market Place",
          "The Red Lion (function room), 3 Bridge Street"]
NOTES = "Bring photo ID. Tea and coffee provided. Step-free access by the side door."


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _session(course: Course, day: dt.date, hour: int, place: str, capacity: int, trainer: User) -> TrainingSession:
    starts_at = local_to_utc(day, dt.time(hour, 0))
    existing = db.session.scalar(select(TrainingSession).where(
        TrainingSession.course_id == course.id, TrainingSession.starts_at == starts_at))
    if existing is not None:
        return existing
    now = utcnow()
    session = TrainingSession(
        course=course, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=course.duration_minutes),
        place=place, capacity=capacity, booking_opens_at=min(now, starts_at) - dt.timedelta(days=30),
        booking_closes_at=starts_at, cancellation_cutoff_at=starts_at - dt.timedelta(hours=24), notes=NOTES,
        status=SessionStatus.SCHEDULED)
    session.trainers = [trainer]
    db.session.add(session)
    db.session.flush()
    return session


def _book(session: TrainingSession, user: User, status=BookingStatus.CONFIRMED) -> Booking:
    existing = db.session.scalar(select(Booking).where(Booking.session_id == session.id, Booking.user_id == user.id))
    if existing is not None:
        return existing
    number = (db.session.scalar(select(func.max(Booking.queue_number)).where(Booking.session_id == session.id)) or 0) + 1
    booking = Booking(session_id=session.id, user_id=user.id, status=status, queue_number=number,
                      confirmed_at=utcnow() if status is BookingStatus.CONFIRMED else None, booked_by_id=user.id)
    db.session.add(booking)
    db.session.flush()
    return booking


def seed() -> None:
    courses = {}
    for title, months, minutes, summary, audience in COURSES:
        course = db.session.scalar(select(Course).where(Course.title == title))
        if course is None:
            course = Course(title=title, validity_months=months, duration_minutes=minutes, summary=summary,
                            audience=audience, description=summary)
            db.session.add(course)
            db.session.flush()
        courses[title] = course
    trauma = courses["Trauma-informed practice"]
    if trauma.prerequisite_id is None:
        trauma.prerequisite = courses["Bystander intervention"]
    trainer = _user("trainer@example.org")
    volunteer = _user("volunteer@example.org")
    demo = [u for u in (_user(f"demo.volunteer{i}@example.org") for i in range(1, 13)) if u]
    if trainer is None or volunteer is None:
        return
    today = utc_to_local(utcnow()).date()
    titles = [c[0] for c in COURSES]
    upcoming = []
    for week in range(8):
        course = courses[titles[week % 4]]
        day = today + dt.timedelta(days=3 + 7 * week)
        upcoming.append(_session(course, day, 18 if week % 2 else 10, PLACES[week % 3], 12, trainer))
    # One small, full session with a waitlist.
    full = _session(courses["Ask for Angela / WAVE for venue staff"], today + dt.timedelta(days=10), 14,
                    PLACES[2], 4, trainer)
    for person in demo[:4]:
        _book(full, person)
    for person in [*demo[4:7], volunteer]:
        _book(full, person, BookingStatus.WAITLISTED)
    _book(upcoming[0], volunteer)
    for person in demo[:6]:
        _book(upcoming[0], person)
    _book(upcoming[2], volunteer)
    # Past sessions, finalised, with attendance.
    marks = [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT,
             AttendanceStatus.PRESENT, AttendanceStatus.LEFT_EARLY]
    for weeks_ago, title in ((3, "Bystander intervention"), (6, "Ask for Angela / WAVE for venue staff")):
        past = _session(courses[title], today - dt.timedelta(days=7 * weeks_ago), 10, PLACES[0], 12, trainer)
        if past.finalised_at is not None:
            continue
        people = [volunteer, *demo[6:11]]
        for person, mark in zip(people, marks, strict=False):
            booking = _book(past, person)
            db.session.add(Attendance(session_id=past.id, user_id=person.id, booking_id=booking.id, status=mark,
                                      marked_by_id=trainer.id))
        past.finalised_at = past.ends_at + dt.timedelta(minutes=10)
        past.finalised_by_id = trainer.id
        past.status = SessionStatus.COMPLETED
    db.session.flush()


# --- generated data for the benchmark (`flask demo seed --scale N`) -----------------------
# Generated sessions carry these notes (so a later run counts them and only tops up).
GENERATED_NOTES = "Bring photo ID. Refreshments provided; tell us about any access needs when you book."
GENERATED_PLACES = [*PLACES, "Library, Meeting Room 1, Church Street", "Fire Station Community Room, Mill Lane",
                    "Youth Centre, 7 Park Road", "Online (link sent before the session)"]
_CAPACITIES = (16, 20, 24, 30, 40)
_MARKS = ((AttendanceStatus.PRESENT, 0.76), (AttendanceStatus.LATE, 0.08), (AttendanceStatus.ABSENT, 0.11),
          (AttendanceStatus.LEFT_EARLY, 0.05))


def _generated_sessions(rng, count: int, course_ids: list[int], durations: dict[int, int], now: dt.datetime):
    for _ in range(count):
        day = utc_to_local(spread(rng, future_days=120)).date()
        hour = rng.choice((10, 14, 18))
        starts_at = local_to_utc(day, dt.time(hour, 0))
        course_id = rng.choice(course_ids)
        ends_at = starts_at + dt.timedelta(minutes=durations[course_id])
        row = {
            "course_id": course_id, "starts_at": starts_at, "ends_at": ends_at,
            "place": rng.choice(GENERATED_PLACES), "capacity": rng.choice(_CAPACITIES),
            "booking_opens_at": starts_at - dt.timedelta(days=60), "booking_closes_at": starts_at,
            "cancellation_cutoff_at": starts_at - dt.timedelta(hours=24), "notes": GENERATED_NOTES,
            "status": SessionStatus.SCHEDULED, "finalised_at": None, "finalised_by_id": None,
            "created_at": starts_at - dt.timedelta(days=rng.randint(61, 120)),
        }
        if ends_at < now:  # past: the register was finalised soon after
            row.update(status=SessionStatus.COMPLETED, finalised_at=ends_at + dt.timedelta(minutes=rng.randint(5, 90)))
        yield row


def _session_bookings(rng, session: dict, people: list[int], count: int, now: dt.datetime):
    """One session's bookings in queue order, following the booking rules: places go first come,
    first served; once full, the rest wait; some cancel; in a full future session a cancelled
    place has been offered to the first in the queue. Returns (bookings, attendance marks)."""
    sid, capacity, starts_at = session["id"], session["capacity"], session["starts_at"]
    past = session["finalised_at"] is not None
    opens = session["booking_opens_at"]
    window = max(60.0, (min(starts_at, now) - opens).total_seconds())
    times = sorted(opens + dt.timedelta(seconds=rng.random() * window) for _ in range(count))
    rows, held = [], 0
    for number, (user_id, booked_at) in enumerate(zip(rng.sample(people, count), times, strict=True), start=1):
        row = {"session_id": sid, "user_id": user_id, "queue_number": number, "created_at": booked_at,
               "booked_by_id": user_id, "offered_at": None, "offer_expires_at": None, "confirmed_at": None,
               "cancelled_at": None, "is_late_cancellation": False, "cancelled_by_id": None}
        if held < capacity:
            row.update(status=BookingStatus.CONFIRMED, confirmed_at=booked_at)
            held += 1
            if rng.random() < 0.08:  # cancelled later; the place went to the next person
                cancelled = booked_at + (min(starts_at, now) - booked_at) * rng.random()
                row.update(status=BookingStatus.CANCELLED, cancelled_at=cancelled, cancelled_by_id=user_id,
                           is_late_cancellation=cancelled > session["cancellation_cutoff_at"])
                held -= 1
        else:
            row["status"] = BookingStatus.WAITLISTED
        rows.append(row)
    waiting = [r for r in rows if r["status"] is BookingStatus.WAITLISTED]
    if waiting and not past and held == capacity and rng.random() < 0.5:
        # Someone holding a place cancelled just now: the first in the queue has an offer open.
        leaver = next(r for r in reversed(rows) if r["status"] is BookingStatus.CONFIRMED)
        leaver.update(status=BookingStatus.CANCELLED, cancelled_at=now - dt.timedelta(hours=2),
                      cancelled_by_id=leaver["user_id"])
        waiting[0].update(status=BookingStatus.OFFERED, offered_at=now - dt.timedelta(hours=2),
                          offer_expires_at=now + dt.timedelta(hours=46))
    return rows


def seed_scale(scale: float, progress) -> None:
    """Sessions and bookings: SCALE_1 × scale of each, topped up (bookings go on the new
    sessions). Past sessions are finalised with attendance; full ones have waitlists and offers."""
    made = db.session.scalar(select(func.count()).select_from(TrainingSession)
                             .where(TrainingSession.notes == GENERATED_NOTES))
    wanted = max(0, target("sessions", scale) - made)
    if not wanted:
        return
    made_bookings = db.session.scalar(select(func.count()).select_from(Booking).join(TrainingSession)
                                      .where(TrainingSession.notes == GENERATED_NOTES))
    wanted_bookings = max(0, target("bookings", scale) - made_bookings)
    rng = random.Random(2000 + made)
    now = utcnow()
    courses = list(db.session.scalars(select(Course).order_by(Course.id)))
    durations = {c.id: c.duration_minutes for c in courses}
    demo_trainer = _user("trainer@example.org")
    trainers = list(db.session.scalars(select(UserRole.user_id).where(UserRole.role == Role.TRAINER)))
    people = list(db.session.scalars(select(User.id).where(User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}"))))
    sessions = list(_generated_sessions(rng, wanted, [c.id for c in courses], durations, now))
    # The demo trainer teaches one session in ten (so the register page has real ones).
    trainer_ids = [demo_trainer.id if demo_trainer and rng.random() < 0.1 else rng.choice(trainers)
                   for _ in sessions]
    for row, trainer_id in zip(sessions, trainer_ids, strict=True):
        if row["finalised_at"] is not None:
            row["finalised_by_id"] = trainer_id
    with progress.bar("Training sessions", wanted) as bar:
        ids = insert_batches(TrainingSession, sessions, bar, returning=TrainingSession.id)
    teaching = [{"session_id": i, "user_id": t} for i, t in zip(ids, trainer_ids, strict=True)]
    with progress.bar("Session trainers", len(teaching)) as bar:
        insert_batches(session_trainers, teaching, bar)
    for session_id, row in zip(ids, sessions, strict=True):
        row["id"] = session_id

    # Popular sessions get more bookings than places: those have waitlists.
    weights = [rng.uniform(0.3, 1.8) for _ in sessions]
    counts = [0] * len(sessions)
    for index in rng.choices(range(len(sessions)), weights=weights, k=wanted_bookings):
        counts[index] += 1
    bookings, marks = [], []
    for row, count in zip(sessions, counts, strict=True):
        count = min(count, len(people))
        session_rows = _session_bookings(rng, row, people, count, now) if count else []
        bookings.extend(session_rows)
    with progress.bar("Bookings", len(bookings)) as bar:
        booking_ids = insert_batches(Booking, bookings, bar, returning=Booking.id)
    by_id = {r["id"]: r for r in sessions}
    statuses, weights = zip(*_MARKS, strict=True)
    for booking_id, booking in zip(booking_ids, bookings, strict=True):
        session = by_id[booking["session_id"]]
        if session["finalised_at"] is None or booking["status"] is not BookingStatus.CONFIRMED:
            continue
        marks.append({"session_id": session["id"], "user_id": booking["user_id"], "booking_id": booking_id,
                      "status": rng.choices(statuses, weights)[0], "is_walk_in": False,
                      "marked_at": session["ends_at"] - dt.timedelta(minutes=rng.randint(5, 60)),
                      "marked_by_id": session["finalised_by_id"]})
    with progress.bar("Attendance", len(marks)) as bar:
        insert_batches(Attendance, marks, bar)
