"""Test data: `make_user`, `make_org`, and signing in without the form (fast)."""
from __future__ import annotations

import itertools

import pytest

from volunteer_hub.models import CoordinatorAgency, Organisation, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.services.passwords import hash_password

PASSWORD = "correct horse battery"
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
              agencies: list[Organisation] | None = None) -> User:
    """A person. A coordinator sees all agencies (today's reach), unless `agencies` limits them."""
    n = next(_counter)
    user = User(
        name=name or f"Person {n}",
        email=(email or f"person{n}@example.org").lower(),
        password_hash=_hash(password) if password else None,
        confirmed_at=utcnow() if confirmed else None,
        organisation=organisation,
        is_active=active,
        sees_all_agencies=agencies is None and Role.COORDINATOR in roles,
    )
    user.role_rows = [UserRole(role=r) for r in (roles or (Role.VOLUNTEER,))]
    db.session.add(user)
    db.session.flush()
    db.session.add_all(CoordinatorAgency(user_id=user.id, organisation_id=org.id) for org in agencies or ())
    db.session.commit()
    return user


def sign_in_as(client, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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
