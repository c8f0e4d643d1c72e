"""Demo people and organisations."""
from __future__ import annotations

import datetime as dt
import random

from flask import current_app
from sqlalchemy import func, insert, select

from volunteer_hub.demo._scale import ascii_slug, fake, insert_batches, spread, target
from volunteer_hub.models import CoordinatorAgency, Organisation, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.services.passwords import hash_password

DEMO_PASSWORD = "demo-password-2026"
# The demo's coordinator and admin have two-step sign-in on with this published key: add it to an
# authenticator app (or `python -c "import pyotp; print(pyotp.TOTP('<key>').now())"`). Demo only.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"
DEMO_ACCOUNTS = [
    ("volunteer@example.org", "Vicky Volunteer", (Role.VOLUNTEER,), "Town Centre Ambassadors"),
    ("trainer@example.org", "Tom Trainer", (Role.TRAINER, Role.VOLUNTEER), "Borough Council"),
    ("coordinator@example.org", "Cara Coordinator", (Role.COORDINATOR,), "Borough Council"),
    ("council.coordinator@example.org", "Colin Council", (Role.COORDINATOR,), "Borough Council"),
    ("admin@example.org", "Adam Admin", (Role.ADMIN,), None),
]
# Whose people each demo coordinator sees: None is all agencies; a list limits them to those.
DEMO_AGENCIES: dict[str, list[str] | None] = {
    "coordinator@example.org": None,
    "council.coordinator@example.org": ["Borough Council", "Street Pastors"],
}
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
        staff = bool({Role.COORDINATOR, Role.ADMIN}.intersection(roles))
        user = User(email=email, name=name, organisation=_org(org_name), password_hash=password_hash,
                    confirmed_at=utcnow(), privacy_notice_version=current_app.config["VH_PRIVACY_NOTICE_VERSION"], privacy_accepted_at=utcnow(),
                    totp_secret=DEMO_TOTP_SECRET if staff else None, totp_enabled_at=utcnow() if staff else None)
        user.role_rows = [UserRole(role=r) for r in roles]
        db.session.add(user)
        db.session.flush()
        _agencies(user, DEMO_AGENCIES.get(email, []))
    return user


def _agencies(user: User, org_names: list[str] | None) -> None:
    """A new demo coordinator's reach (seeded once, with the account)."""
    if org_names is None:
        user.sees_all_agencies = True
    for name in org_names or ():
        db.session.add(CoordinatorAgency(user_id=user.id, organisation_id=_org(name).id))
    db.session.flush()


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


# --- generated data for the benchmark (`flask demo seed --scale N`) -----------------------
GENERATED_EMAIL_DOMAIN = "people.example.net"
# People grow with the scale; partner organisations stop at what a town could have.
MAX_ORGANISATIONS = 300
_VENUE_PATTERNS = ("The {last} Arms", "The {colour} Lion", "{last}'s Bar", "Club {word}", "The {word} Rooms",
                   "{last} Tap House", "The {colour} Horse", "{word} Lounge")
_OTHER_KINDS = [(OrganisationKind.SPORTS_CLUB, "{town} {team}"), (OrganisationKind.YOUTH_SERVICE, "{town} Youth Club"),
                (OrganisationKind.STREET_PASTORS, "{town} Street Pastors"),
                (OrganisationKind.AMBASSADORS, "{town} Ambassadors")]
_TEAMS = ("Rovers", "United", "Athletic", "Harriers", "Rugby Club", "Netball Club", "Boxing Club", "Cricket Club")
_COLOURS = ("Red", "White", "Black", "Golden", "Blue", "Green")
_WORDS = ("Neon", "Velvet", "Echo", "Union", "Vault", "Loft", "Arches", "Basement", "Electric", "Corner", "Cellar",
          "Wharf", "Mill", "Exchange", "Assembly", "Granary")


def _organisation_names(faker, rng, count: int, taken: set[str]):
    """Realistic partner names: mostly licensed venues, then clubs and local groups."""
    made = 0
    while made < count:
        if rng.random() < 0.7:
            kind = OrganisationKind.LICENSED_VENUE
            name = rng.choice(_VENUE_PATTERNS).format(last=faker.last_name(), colour=rng.choice(_COLOURS),
                                                      word=rng.choice(_WORDS))
        else:
            kind, pattern = rng.choice(_OTHER_KINDS)
            name = pattern.format(town=faker.city(), team=rng.choice(_TEAMS))
        if name.lower() in taken or len(name) > 120:
            continue
        taken.add(name.lower())
        made += 1
        yield {"name": name, "kind": kind, "created_at": spread(rng)}


def _person(faker, rng, n: int, org_ids: list[int], password_hash: str) -> dict:
    first, last = faker.first_name(), faker.last_name()
    joined = spread(rng)
    confirmed = rng.random() < 0.95
    dbs_on = (joined + dt.timedelta(days=rng.randint(0, 300))).date() if rng.random() < 0.3 else None
    return {
        "name": f"{first} {last}",
        "preferred_name": first[:3] if rng.random() < 0.05 and len(first) > 4 else None,
        "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{n}@{GENERATED_EMAIL_DOMAIN}",
        "phone": faker.phone_number() if rng.random() < 0.7 else None,
        "emergency_contact_name": faker.name() if rng.random() < 0.5 else None,
        "emergency_contact_phone": faker.phone_number() if rng.random() < 0.5 else None,
        "organisation_id": rng.choice(org_ids) if org_ids and rng.random() < 0.9 else None,
        "password_hash": password_hash,
        "is_active": rng.random() < 0.97,
        "confirmed_at": joined + dt.timedelta(minutes=rng.randint(2, 600)) if confirmed else None,
        "privacy_notice_version": current_app.config["VH_PRIVACY_NOTICE_VERSION"],
        "privacy_accepted_at": joined,
        "dbs_checked_on": dbs_on,
        "dbs_renew_by": dbs_on.replace(year=dbs_on.year + 3) if dbs_on and not (dbs_on.month == 2 and dbs_on.day == 29) else None,
        "created_at": joined,
    }


def _roles_for(rng) -> list[Role]:
    roll = rng.random()
    if roll < 0.01:
        return [Role.COORDINATOR]
    if roll < 0.04:
        return [Role.TRAINER, Role.VOLUNTEER]
    return [Role.VOLUNTEER]


def seed_scale(scale: float, progress) -> None:
    """Organisations and people: SCALE_1 × scale of each (topped up, never duplicated). Every
    generated person can sign in with the demo password."""
    demo_orgs = {name for name, _kind in DEMO_ORGANISATIONS}
    org_count = db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name.not_in(demo_orgs)))
    wanted_orgs = max(0, min(target("organisations", scale), MAX_ORGANISATIONS) - org_count)
    rng = random.Random(1000 + org_count)
    faker = fake(1000 + org_count)
    taken = {n.lower() for n in db.session.scalars(select(Organisation.name))}
    with progress.bar("Organisations", wanted_orgs) as bar:
        insert_batches(Organisation, _organisation_names(faker, rng, wanted_orgs, taken), bar)

    made = db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}")))
    wanted = max(0, target("people", scale) - made)
    if not wanted:
        return
    rng = random.Random(made)
    faker = fake(made)
    org_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.retired_at.is_(None))))
    password_hash = hash_password(DEMO_PASSWORD)
    rows = (_person(faker, rng, made + i + 1, org_ids, password_hash) for i in range(wanted))
    with progress.bar("People", wanted) as bar:
        user_ids = insert_batches(User, rows, bar, returning=User.id)
    role_rows = [{"user_id": uid, "role": role} for uid in user_ids for role in _roles_for(rng)]
    with progress.bar("Roles", len(role_rows)) as bar:
        insert_batches(UserRole, role_rows, bar)
    # Each generated coordinator sees the people of their own organisation.
    db.session.execute(insert(CoordinatorAgency).from_select(
        ["user_id", "organisation_id"],
        select(User.id, User.organisation_id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.organisation_id.is_not(None),
               User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}"),
               ~select(CoordinatorAgency.user_id).where(CoordinatorAgency.user_id == User.id).exists())))
