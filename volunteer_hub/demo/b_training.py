"""Demo training: four courses, sessions over the next 8 weeks (one full with a waitlist), and
past finalised sessions with attendance for the demo volunteers. Idempotent."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Course,
    SessionStatus,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.services.training import local_to_utc, utc_to_local

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
