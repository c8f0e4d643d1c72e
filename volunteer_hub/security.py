"""Who may do what: every access decision lives here.

- `role_required(*roles)`: a view decorator. Signed-out people are sent to sign in;
  signed-in people without one of the roles get 403. Admins pass every role check.
- `confirmed_required`: the person must have confirmed their email.
- `can_*` predicates and `get_*_or_404` loaders return objects only to those allowed.
- Agencies: an admin, or a coordinator who `sees_all_agencies`, sees everyone's personal data; a
  limited coordinator sees the people whose organisation is one of their agencies
  (coordinator_agencies), and themselves; anyone else sees only themselves. A person outside a
  viewer's reach is a 404 (their existence is not confirmed), never a 403 or a partial page.
- `visible_people(viewer, person_id)` / `scope_to_viewer(stmt, viewer, person_id)`: the SQL
  condition every list and export of people (or of things that belong to a person) adds, so no
  reader decides for itself who is visible. Statements built once (cached) use
  `visible_people_bound(person_id)` with `scope_params(viewer)` instead.
The viewer's agencies are read at most once per request (kept on `flask.g`).
"""
from __future__ import annotations

from functools import wraps
from typing import NamedTuple

from flask import abort, flash, g, has_app_context, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from volunteer_hub.models import (
    Asset,
    AuditEntry,
    CoordinatorAgency,
    Holder,
    HolderKind,
    Item,
    Organisation,
    Place,
    Role,
    StockMovement,
    User,
    db,
)

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


# --- agencies: whose personal data a viewer may see ---------------------------------------------
class Scope(NamedTuple):
    """Whom a viewer sees: `everyone`, or themselves (`viewer_id`) and the members of `agency_ids`."""
    everyone: bool
    viewer_id: int | None = None
    agency_ids: tuple[int, ...] = ()

    def covers(self, person: User) -> bool:
        return self.everyone or person.id == self.viewer_id or person.organisation_id in self.agency_ids


_NOBODY = Scope(False)
_AGENCY_IDS = (select(CoordinatorAgency.organisation_id)
               .where(CoordinatorAgency.user_id == bindparam("user_id")).order_by(CoordinatorAgency.organisation_id))


def _is_authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def scope_of(viewer: User | None) -> Scope:
    """The viewer's reach. A limited coordinator's agencies are one query, at most once per request."""
    if not _is_authenticated(viewer):
        return _NOBODY
    if viewer.has_role(Role.ADMIN) or (viewer.has_role(Role.COORDINATOR) and viewer.sees_all_agencies):
        return Scope(True, viewer.id)
    if not viewer.has_role(Role.COORDINATOR):
        return Scope(False, viewer.id)
    cache = g.setdefault("_vh_agency_ids", {}) if has_app_context() else {}
    ids = cache.get(viewer.id)
    if ids is None:
        ids = cache[viewer.id] = tuple(db.session.scalars(_AGENCY_IDS, {"user_id": viewer.id}))
    return Scope(False, viewer.id, ids)


def forget_scope(user: User) -> None:
    """After `user`'s agencies change: the next question reads them again."""
    if has_app_context():
        g.get("_vh_agency_ids", {}).pop(user.id, None)


def _members_of(agency_ids) -> ColumnElement:
    member = aliased(User)  # not correlated with the outer statement's users
    return select(member.id).where(member.organisation_id.in_(agency_ids)).scalar_subquery()


def must_set_up_second_factor(user) -> bool:
    """Coordinators and admins use two-step sign-in: until they have set it up, the set-up page is
    the only page they get (volunteer_hub.hooks sends them there)."""
    return is_staff(user) and not user.has_two_factor


def visible_people(viewer: User, person_id: ColumnElement = User.id) -> ColumnElement[bool]:
    """SQL: the person whose id is in `person_id` (User.id, Booking.user_id, ...) is one `viewer`
    may see the personal data of (see the module's docstring)."""
    scope = scope_of(viewer)
    if scope.everyone:
        return true()
    if scope.viewer_id is None:
        return false()
    if not scope.agency_ids:
        return person_id == scope.viewer_id
    if person_id is User.id:  # the users table itself: its own column, no subquery
        return or_(User.id == scope.viewer_id, User.organisation_id.in_(scope.agency_ids))
    return or_(person_id == scope.viewer_id, person_id.in_(_members_of(scope.agency_ids)))


def visible_people_bound(person_id: ColumnElement = User.id) -> ColumnElement[bool]:
    """`visible_people` for a statement built once and run many times: its values come from
    `scope_params(viewer)`. Add it only when `scope_of(viewer).everyone` is false."""
    ids = bindparam("scope_agency_ids", expanding=True)
    if person_id is User.id:
        return or_(User.id == bindparam("scope_viewer_id"), User.organisation_id.in_(ids))
    return or_(person_id == bindparam("scope_viewer_id"), person_id.in_(_members_of(ids)))


def scope_params(viewer: User) -> dict:
    scope = scope_of(viewer)
    return {"scope_viewer_id": scope.viewer_id, "scope_agency_ids": list(scope.agency_ids)}


def sees_everyone(viewer: User) -> bool:
    return scope_of(viewer).everyone


def scope_to_viewer(stmt, viewer: User, person_id: ColumnElement = User.id):
    """`stmt` (a list or export of people, or of rows about them) limited to the people `viewer`
    may see: the one place list readers ask. Unchanged for a viewer who sees everyone, so a
    statement built once stays as it was."""
    return stmt if sees_everyone(viewer) else stmt.where(visible_people(viewer, person_id))


def visible_audit(stmt, viewer: User):
    """`stmt` (of audit entries) limited to those `viewer` may read: entries about people they
    may see, and their own actions."""
    if sees_everyone(viewer):
        return stmt
    return stmt.where(or_(visible_people(viewer, AuditEntry.subject_id), AuditEntry.actor_id == viewer.id))


def can_view_person(viewer: User, person: User) -> bool:
    """Whether `viewer` may see `person`'s personal data (staff pages still need a staff role)."""
    return scope_of(viewer).covers(person)


def can_see_agency(viewer: User, organisation_id: int | None) -> bool:
    """Whether `viewer` may see the people of an organisation as a whole (a venue's summary)."""
    scope = scope_of(viewer)
    return scope.everyone or (organisation_id is not None and organisation_id in scope.agency_ids)


def get_agency_or_404(org_id: int, viewer: User) -> Organisation:
    """An organisation whose people `viewer` may see (404 otherwise)."""
    org = db.get_or_404(Organisation, org_id)
    if not can_see_agency(viewer, org.id):
        abort(404)
    return org


def find_person_by_email(email: str, viewer: User) -> User | None:
    """The person with this email, if `viewer` may see them: one outside reach is not found."""
    person = db.session.scalar(select(User).where(User.email == email.strip().lower(), User.erased_at.is_(None)))
    return person if person is not None and can_view_person(viewer, person) else None


def can_manage_agencies(viewer: User) -> bool:
    return viewer.has_role(Role.ADMIN)


def can_manage_roles(viewer: User) -> bool:
    return viewer.has_role(Role.ADMIN)


# A person with their roles and organisation, in one query (the person page shows both).
_PERSON = (select(User).options(joinedload(User.role_rows), joinedload(User.organisation))
           .where(User.id == bindparam("user_id")))


def get_person_or_404(user_id: int, viewer: User) -> User:
    person = db.session.scalars(_PERSON, {"user_id": user_id}).unique().one_or_none()
    if person is None or not can_view_person(viewer, person):
        abort(404)
    return person


def get_person_owned_or_404(owner_id: int | None, viewer: User) -> None:
    """Abort with 404 unless `viewer` may see the person who owns an object (its `user_id`)."""
    if owner_id is None:
        return
    scope = scope_of(viewer)
    if scope.everyone or owner_id == scope.viewer_id:
        return
    if not scope.agency_ids or db.session.get(User, owner_id).organisation_id not in scope.agency_ids:
        abort(404)


def get_organisation_or_404(org_id: int) -> Organisation:
    return db.get_or_404(Organisation, org_id)


# --- certificates ------------------------------------------------------------------------------
def can_see_certificate(viewer: User, certificate) -> bool:
    """The holder and staff who may see the holder may see (and download) a certificate."""
    return _is_authenticated(viewer) and can_view_person(viewer, certificate.user)


def get_certificate_or_404(certificate_id: int, viewer: User):
    from volunteer_hub.models import Certificate

    certificate = db.get_or_404(Certificate, certificate_id)
    if not can_see_certificate(viewer, certificate):
        abort(404)
    return certificate


# --- equipment -------------------------------------------------------------------------------
# Stock, holders, places and assets are managed by staff; a volunteer sees only their own kit
# bag, reached through their session (never by id). A kit bag belongs to a person: staff
# outside that person's reach get 404 for it. Stores and venues' stock stay visible to staff.
def get_holder_or_404(holder_id: int, viewer: User) -> Holder:
    holder = db.get_or_404(Holder, holder_id)
    if holder.kind is HolderKind.KIT_BAG:
        get_person_owned_or_404(holder.user_id, viewer)
    return holder


def can_see_holder(viewer: User, holder: Holder) -> bool:
    """Stores and venues, and kit bags of people `viewer` may see (holder.user loaded)."""
    return holder.kind is not HolderKind.KIT_BAG or holder.user is None or can_view_person(viewer, holder.user)


def visible_holders(viewer: User) -> ColumnElement[bool]:
    """SQL on Holder: stores and venues, and the kit bags of people `viewer` may see."""
    if sees_everyone(viewer):
        return true()
    return or_(Holder.kind != HolderKind.KIT_BAG, visible_people(viewer, Holder.user_id))


def get_item_or_404(item_id: int) -> Item:
    return db.get_or_404(Item, item_id)


def visible_movements(viewer: User) -> ColumnElement[bool]:
    """SQL on StockMovement: neither end is the kit bag of someone `viewer` may not see."""
    if sees_everyone(viewer):
        return true()
    hidden = select(Holder.id).where(Holder.kind == HolderKind.KIT_BAG, ~visible_people(viewer, Holder.user_id))
    return and_(or_(StockMovement.from_holder_id.is_(None), StockMovement.from_holder_id.not_in(hidden)),
                or_(StockMovement.to_holder_id.is_(None), StockMovement.to_holder_id.not_in(hidden)))


def get_movement_or_404(movement_id: int, viewer: User) -> StockMovement:
    movement = db.get_or_404(StockMovement, movement_id)
    for holder in (movement.from_holder, movement.to_holder):
        if holder is not None and holder.kind is HolderKind.KIT_BAG:
            get_person_owned_or_404(holder.user_id, viewer)
    return movement


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
    get_person_owned_or_404(booking.user_id, user)
    return booking


def get_course_or_404(course_id: int):
    from volunteer_hub.models import Course

    return db.get_or_404(Course, course_id)


# --- patrols --------------------------------------------------------------------------------
def can_lead_patrol(user: User, shift) -> bool:
    """The shift's lead and staff run a patrol (register, check-outs)."""
    return is_staff(user) or (shift.lead_id is not None and shift.lead_id == user.id)


def sees_whole_patrol(user: User, shift) -> bool:
    """The lead sees everyone on their shift (it is their night); staff see the people of their agencies."""
    return shift.lead_id is not None and shift.lead_id == user.id


def get_patrol_member_or_404(member_id: int, shift_id: int, viewer: User):
    """A place on a shift that `viewer` may act on: their own, one on the shift they lead, or (staff)
    one of a person they may see."""
    from volunteer_hub.models import PatrolMember

    member = db.get_or_404(PatrolMember, member_id)
    if member.shift_id != shift_id:
        abort(404)
    if member.user_id == viewer.id or sees_whole_patrol(viewer, member.shift):
        return member
    if not is_staff(viewer):
        abort(403)
    get_person_owned_or_404(member.user_id, viewer)
    return member
