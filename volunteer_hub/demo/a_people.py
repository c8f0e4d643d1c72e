"""Demo people and organisations."""
from __future__ import annotations

from sqlalchemy import select

from volunteer_hub.models import Organisation, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.services.passwords import hash_password

DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNTS = [
    ("volunteer@example.org", "Vicky Volunteer", (Role.VOLUNTEER,), "Town Centre Ambassadors"),
    ("trainer@example.org", "Tom Trainer", (Role.TRAINER, Role.VOLUNTEER), "Borough Council"),
    ("coordinator@example.org", "Cara Coordinator", (Role.COORDINATOR,), "Borough Council"),
    ("admin@example.org", "Adam Admin", (Role.ADMIN,), None),
]
DEMO_ORGANISATIONS = [
    ("Borough Council", OrganisationKind.COUNCIL),
    ("Town Police", OrganisationKind.POLICE),
    ("Street Pastors", OrganisationKind.STREET_PASTORS),
    ("Town Centre Ambassadors", OrganisationKind.AMBASSADORS),
    ("Welfare Bus", OrganisationKind.WELFARE_BUS),
    ("Youth Service", OrganisationKind.YOUTH_SERVICE),
    ("Rovers Football Club", OrganisationKind.SPORTS_CLUB),
    ("The Red Lion", OrganisationKind.LICENSED_VENUE),
    ("Club Neon", OrganisationKind.LICENSED_VENUE),
]
DEMO_VOLUNTEERS = [
    ("Amara Okafor", "Street Pastors"), ("Łukasz Nowak", "Town Centre Ambassadors"), ("Zoë Martin", "The Red Lion"),
    ("محمد علي", "Youth Service"), ("Siobhan Kelly", "Street Pastors"), ("Priya Shah", "Club Neon"),
    ("Gareth Jones", "Rovers Football Club"), ("Hannah Brooks", "Welfare Bus"), ("Tomasz Wiśniewski", "Club Neon"),
    ("Grace Adeyemi", "Town Centre Ambassadors"), ("Owen Davies", "The Red Lion"), ("Chloe Evans", "Youth Service"),
]

def _org(name: str | None) -> Organisation | None:
    if name is None:
        return None
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def _user(email: str, name: str, roles, org_name: str | None, password_hash: str | None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, organisation=_org(org_name), password_hash=password_hash,
                    confirmed_at=utcnow(), privacy_notice_version="2026-11", privacy_accepted_at=utcnow())
        user.role_rows = [UserRole(role=r) for r in roles]
        db.session.add(user)
        db.session.flush()
    return user


def seed() -> None:
    for name, kind in DEMO_ORGANISATIONS:
        if _org(name) is None:
            db.session.add(Organisation(name=name, kind=kind))
    db.session.flush()
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, roles, org in DEMO_ACCOUNTS:
        _user(email, name, roles, org, password_hash)
    for i, (name, org) in enumerate(DEMO_VOLUNTEERS, start=1):
        _user(f"demo.volunteer{i}@example.org", name, (Role.VOLUNTEER,), org, password_hash)
