"""Test data: `make_user`, `make_org`, and signing in without the form (fast), or through it
(`sign_in_with_code`, the two steps a coordinator takes).

Coordinators and admins must use two-step sign-in, so `make_user` enrols them by default with
TEST_TOTP_SECRET (`two_factor=False` makes one who has not set it up; `two_factor=True` enrols
anyone). `totp_code(user)` is a code the site accepts now."""
from __future__ import annotations

import itertools

import pyotp
import pytest
from sqlalchemy import select

from volunteer_hub.clock import now
from volunteer_hub.config import BaseConfig
from volunteer_hub.login import SIGNED_IN_AT
from volunteer_hub.models import CoordinatorAgency, Organisation, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.services.passwords import hash_password

PASSWORD = "correct horse battery"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_ROLES = {Role.COORDINATOR, Role.ADMIN}
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def make_org(name: str | None = None, kind: OrganisationKind = OrganisationKind.AMBASSADORS) -> Organisation:
    org = Organisation(name=name or f"Organisation {next(_counter)}", kind=kind)
    db.session.add(org)
    db.session.commit()
    return org


def make_user(*roles: Role, name: str | None = None, email: str | None = None, confirmed: bool = True,
              password: str | None = PASSWORD, organisation: Organisation | None = None, active: bool = True,
              agencies: list[Organisation] | None = None, two_factor: bool | None = None) -> User:
    """A person. A coordinator sees all agencies (today's reach), unless `agencies` limits them."""
    n = next(_counter)
    roles = roles or (Role.VOLUNTEER,)
    enrolled = bool(STAFF_ROLES.intersection(roles)) if two_factor is None else two_factor
    user = User(
        name=name or f"Person {n}",
        email=(email or f"person{n}@example.org").lower(),
        password_hash=_hash(password) if password else None,
        confirmed_at=utcnow() if confirmed else None,
        organisation=organisation,
        is_active=active,
        sees_all_agencies=agencies is None and Role.COORDINATOR in roles,
        totp_secret=TEST_TOTP_SECRET if enrolled else None,
        totp_enabled_at=utcnow() if enrolled else None,
        privacy_notice_version=BaseConfig.VH_PRIVACY_NOTICE_VERSION,  # accepted at sign-up
        privacy_accepted_at=utcnow(),
    )
    user.role_rows = [UserRole(role=r) for r in roles]
    db.session.add(user)
    db.session.flush()
    db.session.add_all(CoordinatorAgency(user_id=user.id, organisation_id=org.id) for org in agencies or ())
    db.session.commit()
    return user


def sign_in_as(client, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SIGNED_IN_AT] = int(now().timestamp())


def totp_code(user: User) -> str:
    """A code the site accepts now for `user` (a step is good once): the current step if it is not
    used yet, else the next one. Never the previous step, which a 30-second boundary passing
    between here and the request would push out of the window. If a test has used both, the last
    one used is forgotten (tests only)."""
    totp = pyotp.TOTP(user.totp_secret or TEST_TOTP_SECRET)
    current = totp.timecode(now())
    last = db.session.scalar(select(User.totp_last_step).where(User.id == user.id))
    if last is not None and last > current:
        db.session.execute(User.__table__.update().where(User.__table__.c.id == user.id).values(totp_last_step=None))
        db.session.commit()
        last = None
    step = current if last is None or last < current else current + 1
    return totp.generate_otp(step)


def sign_in_with_code(client, user: User, password: str = PASSWORD, next_url: str | None = None, **kwargs):
    """Sign in through the forms: the password, then (for someone with two-step sign-in) the code.
    Returns the last response (a redirect to where the person lands)."""
    response = client.post("/auth/sign-in", query_string={"next": next_url} if next_url else None,
                           data={"email": user.email, "password": password}, **kwargs)
    if response.headers.get("Location", "").endswith("/auth/sign-in/code"):
        response = client.post("/auth/sign-in/code", data={"code": totp_code(user)}, **kwargs)
    return response


@pytest.fixture()
def volunteer(app):
    return make_user(Role.VOLUNTEER, name="Vera Volunteer")


@pytest.fixture()
def coordinator(app):
    return make_user(Role.COORDINATOR, name="Cora Coordinator")


@pytest.fixture()
def admin(app):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture()
def trainer(app):
    return make_user(Role.TRAINER, name="Trent Trainer")
