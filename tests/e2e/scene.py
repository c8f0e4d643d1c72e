"""Setting the scene for a journey through the services, on the live server's database: what a
journey needs but does not prove through the browser (a course and its session, people with a
known password, a session that has already started, a new item and a place to hand it out).

Each journey makes its own scene with names of its own, so the journeys do not depend on each
other's order. Everything returned is plain data (names, emails, ids, times): the database
session is closed when each step ends, so nothing holds a lock the server would wait for.
"""
from __future__ import annotations

import datetime as dt
import itertools
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub.models import ItemKind, Organisation, PlaceKind, Role, User, db, immediate_transactions

_counter = itertools.count(1)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Session:
    id: int
    course: str
    starts_at: dt.datetime  # aware UTC


class Scene:
    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def db(self):
        """An app context on the live database; commits, then lets go of the connection."""
        with self.app.app_context(), immediate_transactions():
            try:
                yield
                db.session.commit()
            finally:
                db.session.remove()

    def person(self, name: str, *roles: Role, two_factor: bool | None = None, organisation: str | None = None) -> Person:
        """A person who can sign in (staff with two-step sign-in on, unless `two_factor=False`), of
        the demo organisation named `organisation` if given."""
        n = next(_counter)
        email = f"{name.lower().replace(' ', '.')}.{n}@example.org"
        with self.db():
            org = db.session.scalar(select(Organisation).where(Organisation.name == organisation)) if organisation else None
            user = make_user(*(roles or (Role.VOLUNTEER,)), name=name, email=email, two_factor=two_factor,
                             organisation=org)
            return Person(user.id, user.name, user.email)

    def session(self, course_title: str, *, starts_in: dt.timedelta = dt.timedelta(days=5), capacity: int = 10,
                trainers: list[Person] = (), booked: list[Person] = (), validity_months: int | None = None) -> Session:
        """A new course with one session (booking open now), its trainers, and people booked on it."""
        with self.db():
            course = make_course(course_title, validity_months=validity_months, duration_minutes=120)
            people = [db.session.get(User, p.id) for p in trainers] or [make_user(Role.TRAINER, name="Jo Marsh")]
            # Booking closes when the session starts; a session already under way closed then.
            session = make_session(course, starts_in=starts_in, capacity=capacity, trainers=people,
                                   opens_ago=dt.timedelta(days=3) - min(starts_in, dt.timedelta(0)))
            for person in booked:
                make_booking(session, db.session.get(User, person.id))
            return Session(session.id, course.title, session.starts_at)

    def item_and_place(self, item_name: str, place_name: str) -> None:
        """A new consumable item (so the report's figures are this journey's alone) and a new place."""
        from volunteer_hub.services import equipment

        with self.db():
            equipment.create_item(item_name, ItemKind.CONSUMABLE, plural=item_name.lower() + "s")
            equipment.create_place(place_name, PlaceKind.STREET)
