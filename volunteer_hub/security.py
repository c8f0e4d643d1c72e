"""Who may do what: every access decision lives here.

- `role_required(*roles)`: a view decorator. Signed-out people are sent to sign in;
  signed-in people without one of the roles get 403. Admins pass every role check.
- `confirmed_required`: the person must have confirmed their email.
- `can_*` predicates and `get_*_or_404` loaders return objects only to those allowed.
- `visible_people(viewer, person_id)`: the SQL condition every list and export of people (or
  of things that belong to a person) adds, so no reader decides for itself who is visible.
When coordinators are limited to some organisations, this is the one place to change.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, bindparam, select, true
from sqlalchemy.orm import joinedload

from volunteer_hub.models import Asset, Holder, Item, Organisation, Place, Role, StockMovement, User, db

STAFF = (Role.COORDINATOR, Role.ADMIN)


def role_required(*roles: Role):
    allowed = set(roles) | {Role.ADMIN}

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def confirmed_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_confirmed:
            flash("Confirm your email address first: we sent you a link. You can ask for another below.", "warning")
            return redirect(url_for("auth.email_unconfirmed"))
        return view(*args, **kwargs)

    return wrapped


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*STAFF))


def must_set_up_second_factor(user) -> bool:
    """Coordinators and admins use two-step sign-in: until they have set it up, the set-up page is
    the only page they get (volunteer_hub.hooks sends them there)."""
    return is_staff(user) and not user.has_two_factor


def visible_people(viewer: User, person_id: ColumnElement = User.id) -> ColumnElement[bool]:
    """SQL: the person whose id is in `person_id` (User.id, Booking.user_id, ...) is one `viewer`
    may see the personal data of. Staff see everyone; anyone else only themselves."""
    if is_staff(viewer):
        return true()
    return person_id == (viewer.id if viewer is not None and viewer.is_authenticated else None)


def scope_to_viewer(stmt, viewer: User, person_id: ColumnElement = User.id):
    """`stmt` (a list or export of people, or of rows about them) limited to the people `viewer`
    may see: the one place list readers ask. Unchanged for a viewer who sees everyone, so a
    statement built once stays as it was."""
    return stmt if is_staff(viewer) else stmt.where(visible_people(viewer, person_id))


def can_view_person(viewer: User, person: User) -> bool:
    return viewer.id == person.id or is_staff(viewer)


def can_manage_roles(viewer: User) -> bool:
    return viewer.has_role(Role.ADMIN)


# A person with their roles and organisation, in one query (the person page shows both).
_PERSON = (select(User).options(joinedload(User.role_rows), joinedload(User.organisation))
           .where(User.id == bindparam("user_id")))


def get_person_or_404(user_id: int, viewer: User) -> User:
    person = db.session.scalars(_PERSON, {"user_id": user_id}).unique().one_or_none()
    if person is None:
        abort(404)
    if not can_view_person(viewer, person):
        abort(403)
    return person


def get_organisation_or_404(org_id: int) -> Organisation:
    return db.get_or_404(Organisation, org_id)


# --- certificates ------------------------------------------------------------------------------
def can_see_certificate(viewer: User, certificate) -> bool:
    """The holder and staff may see (and download) a certificate."""
    return viewer.is_authenticated and (viewer.id == certificate.user_id or is_staff(viewer))


def get_certificate_or_404(certificate_id: int, viewer: User):
    from volunteer_hub.models import Certificate

    certificate = db.get_or_404(Certificate, certificate_id)
    if not can_see_certificate(viewer, certificate):
        abort(403)
    return certificate


# --- equipment -------------------------------------------------------------------------------
# Stock, holders, places and assets are managed by staff; a volunteer sees only their own kit
# bag, reached through their session (never by id), so there is no per-object owner check yet.
def get_holder_or_404(holder_id: int) -> Holder:
    return db.get_or_404(Holder, holder_id)


def get_item_or_404(item_id: int) -> Item:
    return db.get_or_404(Item, item_id)


def get_movement_or_404(movement_id: int) -> StockMovement:
    return db.get_or_404(StockMovement, movement_id)


def get_place_or_404(place_id: int) -> Place:
    return db.get_or_404(Place, place_id)


def get_asset_or_404(asset_id: int) -> Asset:
    return db.get_or_404(Asset, asset_id)
# --- training ------------------------------------------------------------------------------
def can_take_register(user: User, training_session) -> bool:
    """The session's trainers and staff may take its register."""
    return is_staff(user) or any(t.id == user.id for t in training_session.trainers)


def get_session_or_404(session_id: int):
    from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload

    from volunteer_hub.models import TrainingSession, User

    # With what every session page shows: its course and its trainers' names (not their other
    # columns, nor their roles).
    return db.get_or_404(TrainingSession, session_id, options=[
        joinedload(TrainingSession.course),
        selectinload(TrainingSession.trainers).options(load_only(User.name), lazyload(User.role_rows))])


def get_register_session_or_404(session_id: int, user: User):
    training_session = get_session_or_404(session_id)
    if not can_take_register(user, training_session):
        abort(403)
    return training_session


def get_own_booking_or_404(booking_id: int, user: User):
    """A booking its owner or staff may act on."""
    from volunteer_hub.models import Booking

    booking = db.get_or_404(Booking, booking_id)
    if booking.user_id != user.id and not is_staff(user):
        abort(403)
    return booking


def get_course_or_404(course_id: int):
    from volunteer_hub.models import Course

    return db.get_or_404(Course, course_id)
