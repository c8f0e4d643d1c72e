"""Volunteers, roles and partner organisations."""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import Select, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import selectinload

from volunteer_hub import audit
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import CoordinatorAgency, Organisation, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.pagination import CappedPage, rows_page
from volunteer_hub.security import forget_scope, scope_params, scope_to_viewer, sees_everyone, visible_people_bound
from volunteer_hub.services.auth import normalise_email, reset_token
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url

PROFILE_FIELDS = (
    "name",
    "preferred_name",
    "phone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "organisation_id",
)


def _not_erased(user: User) -> None:
    """An erased person's record holds nothing to change: it only keeps the figures' place."""
    if user.erased_at is not None:
        raise Conflict("This person has been erased: their record cannot be changed.")


# --- profile -----------------------------------------------------------------------------
def update_profile(user: User, **values) -> None:
    """Change a person's own details. Unknown keys are a programming error."""
    _not_erased(user)
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    if "organisation_id" in values and values["organisation_id"] is not None:
        org = db.session.get(Organisation, values["organisation_id"])
        if org is None or (org.is_retired and org.id != user.organisation_id):
            raise ValidationFailed("Choose an organisation from the list.", "organisation_id")
    before = audit.snapshot(user, ("organisation_id",))
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        setattr(user, key, value)
    if not user.name:
        raise ValidationFailed("Enter your name.", "name")
    db.session.flush()
    if user.organisation_id != before["organisation_id"]:
        audit.record("person.organisation", user, subject=user, before=before)


_DBS_FIELDS = ("dbs_checked_on", "dbs_renew_by")


def set_dbs(user: User, checked_on: dt.date | None, renew_by: dt.date | None) -> None:
    _not_erased(user)
    if checked_on and renew_by and renew_by <= checked_on:
        raise ValidationFailed("The renewal date must be after the date of the check.", "dbs_renew_by")
    before = audit.snapshot(user, _DBS_FIELDS)
    user.dbs_checked_on = checked_on
    user.dbs_renew_by = renew_by
    db.session.flush()
    if audit.snapshot(user, _DBS_FIELDS) != before:
        audit.record("person.vetting", user, subject=user, before=before)


# --- roles and status --------------------------------------------------------------------
def grant_role(user: User, role: Role) -> bool:
    _not_erased(user)
    if role in user.roles:
        return False
    user.role_rows.append(UserRole(role=role))
    db.session.flush()
    audit.record("person.role_granted", user, subject=user, facts={"role": role})
    return True


def _active_admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserRole).join(User).where(UserRole.role == Role.ADMIN, User.is_active)
    )


def remove_role(user: User, role: Role, by: User) -> bool:
    if role not in user.roles:
        return False
    if role is Role.ADMIN and user.is_active and _active_admin_count() <= 1:
        raise Conflict("This is the last admin. Make someone else an admin first.")
    user.role_rows = [row for row in user.role_rows if row.role is not role]
    db.session.flush()
    audit.record("person.role_removed", user, subject=user, facts={"role": role})
    return True


def set_agencies(person: User, organisation_ids, all_agencies: bool) -> None:
    """Limit a coordinator to the people of some organisations, or let them see all agencies.
    The organisation ids are stored as given; with `all_agencies` they do not limit anyone."""
    _not_erased(person)
    if not person.has_role(Role.COORDINATOR):
        raise NotAllowed("Only a coordinator can be limited to agencies: give them the role first.")
    wanted = sorted(set(organisation_ids or ()))
    if not all_agencies and not wanted:
        raise ValidationFailed("Choose the agencies whose people they see, or All agencies.", "organisation_ids")
    found = set(db.session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted)))) if wanted else set()
    if found != set(wanted):
        raise ValidationFailed("Choose agencies from the list.", "organisation_ids")
    fields = ("sees_all_agencies", "organisation_ids")
    current = sorted(db.session.scalars(select(CoordinatorAgency.organisation_id)
                                        .where(CoordinatorAgency.user_id == person.id)))
    before = dict(zip(fields, (person.sees_all_agencies, current), strict=True))
    for org_id in set(current) - set(wanted):
        db.session.delete(db.session.get(CoordinatorAgency, (person.id, org_id)))
    db.session.add_all(CoordinatorAgency(user_id=person.id, organisation_id=org_id) for org_id in set(wanted) - set(current))
    person.sees_all_agencies = bool(all_agencies)
    db.session.flush()
    db.session.expire(person, ["agencies"])
    forget_scope(person)
    audit.record("person.scopes", person, subject=person, before=before,
                 after=dict(zip(fields, (person.sees_all_agencies, wanted), strict=True)))


def deactivate_person(user: User, by: User) -> None:
    if user.id == by.id:
        raise NotAllowed("You cannot deactivate your own account.")
    if user.is_admin and _active_admin_count() <= 1:
        raise Conflict("This is the last admin. Make someone else an admin first.")
    user.is_active = False
    user.session_version += 1  # signs them out everywhere
    db.session.flush()
    audit.record("person.deactivated", user, subject=user, before={"is_active": True})


def reactivate_person(user: User) -> None:
    _not_erased(user)
    if user.is_active:
        return
    user.is_active = True
    db.session.flush()
    audit.record("person.reactivated", user, subject=user, before={"is_active": False})


# --- organisations -----------------------------------------------------------------------
def _check_org_name(name: str, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("Enter the organisation's name.", "name")
    clash = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower(), Organisation.id != (exclude_id or 0))
    )
    if clash is not None:
        raise Conflict(f"There is already an organisation called {clash.name}.", "name")
    return name


def create_organisation(name: str, kind: OrganisationKind) -> Organisation:
    org = Organisation(name=_check_org_name(name), kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def update_organisation(org: Organisation, name: str, kind: OrganisationKind) -> None:
    org.name = _check_org_name(name, exclude_id=org.id)
    org.kind = kind
    db.session.flush()


def retire_organisation(org: Organisation) -> None:
    org.retired_at = org.retired_at or utcnow()
    db.session.flush()


def restore_organisation(org: Organisation) -> None:
    org.retired_at = None
    db.session.flush()


def list_organisations(include_retired: bool = False) -> list[Organisation]:
    stmt = select(Organisation).order_by(func.lower(Organisation.name))
    if not include_retired:
        stmt = stmt.where(Organisation.retired_at.is_(None))
    return list(db.session.scalars(stmt))


_ORGANISATIONS = Organisation.__table__
# Built once, from the table's columns: a plain Core query skips the ORM's per-query work, and
# every filter form of the directory and the compliance matrix runs it.
_ORGANISATION_NAMES = (select(_ORGANISATIONS.c.id, _ORGANISATIONS.c.name)
                       .where(_ORGANISATIONS.c.retired_at.is_(None))
                       .order_by(func.lower(_ORGANISATIONS.c.name)))


def organisation_names() -> list[tuple[int, str]]:
    """(id, name) of the organisations in use, for a choice list: rows, not full objects."""
    return [(row.id, row.name) for row in db.session.execute(_ORGANISATION_NAMES)]


# --- directory ---------------------------------------------------------------------------
@dataclass
class DirectoryFilter:
    q: str = ""
    organisation_id: int | None = None
    role: Role | None = None
    active: bool | None = None
    confirmed: bool | None = None


def directory_query(f: DirectoryFilter, viewer: User, *, options=(selectinload(User.organisation),)) -> Select:
    """The people matching the filters whom `viewer` may see, by name; `options` are the loader options."""
    stmt = scope_to_viewer(select(User).options(*options), viewer)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.name).like(like), func.lower(User.preferred_name).like(like), User.email.like(like))
        )
    if f.organisation_id:
        stmt = stmt.where(User.organisation_id == f.organisation_id)
    if f.role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == f.role)))
    if f.active is not None:
        stmt = stmt.where(User.is_active.is_(f.active))
    if f.confirmed is not None:
        stmt = stmt.where(User.confirmed_at.is_not(None) if f.confirmed else User.confirmed_at.is_(None))
    return stmt.order_by(func.lower(User.name), User.id)


class DirectoryRow(NamedTuple):
    """A person as a directory page lists them (the page unpacks it in its loop)."""
    id: int
    name: str
    preferred_name: str | None
    email: str
    organisation: str | None  # its name
    roles: str  # "Coordinator, Volunteer"
    is_active: bool
    is_confirmed: bool


_ROLE_LABELS = {role.value: role.label for role in Role}


def _directory_row(row) -> DirectoryRow:
    roles = ", ".join(sorted(_ROLE_LABELS[r] for r in row.roles.split(","))) if row.roles else ""
    return DirectoryRow(row.id, row.name, row.preferred_name, row.email, row.organisation, roles,
                        row.is_active, row.is_confirmed)


@functools.cache
def _directory_stmts(search: bool, by_organisation: bool, by_role: bool, active: bool | None,
                     confirmed: bool | None, scoped: bool = False):
    """(one page of the directory, counting it) for one shape of filter, built once: building
    them cost more than running them. The page is plain rows, its roles in the same query as
    "volunteer,trainer". Parameters: like, organisation_id, role, limit and offset; count_limit;
    when `scoped`, those of security.scope_params."""
    where = [visible_people_bound(User.id)] if scoped else []
    if search:
        like = bindparam("like")
        where.append(or_(func.lower(User.name).like(like), func.lower(User.preferred_name).like(like),
                         User.email.like(like)))
    if by_organisation:
        where.append(User.organisation_id == bindparam("organisation_id"))
    if by_role:
        where.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == bindparam("role"))))
    if active is not None:
        where.append(User.is_active.is_(active))
    if confirmed is not None:
        where.append(User.confirmed_at.is_not(None) if confirmed else User.confirmed_at.is_(None))
    roles = (select(func.aggregate_strings(UserRole.role, ","))
             .where(UserRole.user_id == User.id).correlate(User).scalar_subquery())
    page = (
        select(User.id, User.name, User.preferred_name, User.email, Organisation.name.label("organisation"),
               roles.label("roles"), User.is_active, User.confirmed_at.is_not(None).label("is_confirmed"))
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(*where)
        .order_by(func.lower(User.name), User.id)
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    # Only whether a row exists matters: no columns (an index can answer), no order.
    counted = select(literal_column("1")).select_from(User).where(*where).limit(bindparam("count_limit"))
    return page, select(func.count()).select_from(counted.subquery())


def directory_page(f: DirectoryFilter, page_number: int, viewer: User) -> CappedPage:
    """Page `page_number` of the directory (the same people and order as `directory_query`: those
    `viewer` may see), as `DirectoryRow`s, counted up to VH_LIST_COUNT_CAP past the page. Three queries."""
    q = f.q.strip().lower()
    scoped = not sees_everyone(viewer)
    page_stmt, count_stmt = _directory_stmts(bool(q), bool(f.organisation_id), bool(f.role), f.active, f.confirmed,
                                             scoped)
    params = {"like": f"%{q}%", "organisation_id": f.organisation_id, "role": f.role}
    if scoped:
        params.update(scope_params(viewer))
    config = current_app.config
    return rows_page(page_stmt, count_stmt, params, page_number, config["VH_PAGE_SIZE"], config["VH_LIST_COUNT_CAP"],
                     _directory_row)


DIRECTORY_CSV_HEADER = ["name", "preferred_name", "email", "phone", "organisation", "roles", "active", "confirmed"]


def directory_csv_rows(users) -> list[list[str]]:
    rows = [DIRECTORY_CSV_HEADER]
    for u in users:
        rows.append(
            [
                csv_safe(u.name),
                csv_safe(u.preferred_name),
                csv_safe(u.email),
                csv_safe(u.phone),
                csv_safe(u.organisation.name if u.organisation else ""),
                ";".join(sorted(r.value for r in u.roles)),
                "yes" if u.is_active else "no",
                "yes" if u.is_confirmed else "no",
            ]
        )
    return rows


# --- import ------------------------------------------------------------------------------
IMPORT_COLUMNS = ("name", "email", "phone", "organisation", "roles")
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    phone: str | None
    organisation: Organisation | None
    roles: set[Role]


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    created: int = 0
    skipped_existing: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def check_import(data: bytes) -> ImportReport:
    """Check every row of an uploaded CSV. Nothing is written."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((1, "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'."))
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "email") if c not in header]
    if missing:
        report.errors.append((1, f"The first line must name the columns; missing: {', '.join(missing)}."))
        return report
    reader.fieldnames = header
    orgs = {o.name.lower(): o for o in list_organisations(include_retired=False)}
    role_names = {r.value: r for r in Role if r is not Role.ADMIN}
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if line > MAX_IMPORT_ROWS + 1:
            report.errors.append((line, f"A file may have at most {MAX_IMPORT_ROWS} people."))
            break
        values = {k: (v or "").strip() for k, v in record.items() if k}
        if not any(values.values()):
            continue
        problems = []
        name = values.get("name", "")
        if not name:
            problems.append("name is empty")
        elif len(name) > 120:
            problems.append("name is longer than 120 characters")
        email = values.get("email", "")
        try:
            email = normalise_email(validate_email(email, check_deliverability=False).normalized)
        except EmailNotValidError:
            problems.append(f"'{email}' is not an email address" if email else "email is empty")
        else:
            if email in seen:
                problems.append(f"email {email} is also on line {seen[email]}")
            seen.setdefault(email, line)
        phone = values.get("phone") or None
        if phone and len(phone) > 40:
            problems.append("phone is longer than 40 characters")
        org = None
        org_name = values.get("organisation", "")
        if org_name:
            org = orgs.get(org_name.lower())
            if org is None:
                problems.append(f"no organisation called '{org_name}' (add it first, or correct the spelling)")
        roles = {Role.VOLUNTEER}
        for part in filter(None, (p.strip().lower() for p in values.get("roles", "").replace(",", ";").split(";"))):
            if part not in role_names:
                problems.append(f"'{part}' is not a role (use {', '.join(sorted(role_names))})")
            else:
                roles.add(role_names[part])
        if problems:
            report.errors.append((line, "; ".join(problems)))
        else:
            report.rows.append(ImportRow(line, name, email, phone, org, roles))
    if not report.rows and not report.errors:
        report.errors.append((1, "The file has no people in it."))
    return report


def import_people(report: ImportReport, by: User) -> ImportReport:
    """Create everyone in a checked report who has no account yet, and invite them."""
    if not report.ok:
        raise ValidationFailed("Correct the file first: nothing was imported.")
    emails = [r.email for r in report.rows]
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    for row in report.rows:
        if row.email in existing:
            report.skipped_existing += 1
            continue
        user = User(name=row.name, email=row.email, phone=row.phone, organisation=row.organisation)
        user.role_rows = [UserRole(role=r) for r in sorted(row.roles, key=lambda r: r.value)]
        db.session.add(user)
        db.session.flush()
        invite_person(user, invited_by=by)
        report.created += 1
    audit.record("people.imported", facts={"rows": len(report.rows), "created": report.created,
                                           "already_had_an_account": report.skipped_existing})
    return report


def invite_person(user: User, invited_by: User | None = None) -> None:
    """Email a link to set a password (imported people, walk-ins)."""
    queue_email(
        key=f"invite:{user.id}:{secrets.token_hex(8)}",
        recipient=user.email, recipient_id=user.id,
        subject=f"You have been added to {current_app.config['VH_PARTNERSHIP_NAME']}",
        template="invite",
        user=user,
        invited_by=invited_by,
        set_password_url=external_url("auth.password_set", token=reset_token(user)),
        days=current_app.config["VH_SET_PASSWORD_MAX_AGE"] // 86400,
    )
