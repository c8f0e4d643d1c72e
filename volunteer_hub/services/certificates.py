"""Certificates: issued from a finalised register, recorded from elsewhere, verified, revoked,
reminded before they lapse, and counted for compliance.

"Current" certificate for a person and a course: among the ones not withdrawn, the one that
lasts longest (never-expiring beats any date; then the later issue date, then the later id),
preferring one that is not revoked. A renewal therefore simply becomes the current one; every
certificate stays in the history.
"""
from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Date,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.orm import aliased, joinedload

from volunteer_hub import clock
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    CertificateStatus,
    ComplianceRequirement,
    Course,
    Organisation,
    OrganisationKind,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.pagination import CappedPage, rows_page
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url

NEVER = dt.date(9999, 12, 31)  # stands for "never expires" when comparing expiry dates in SQL
# Counts shown to staff stop here ("more than 1,000"), so pages cost the same however big the
# partnership grows; the lists and CSVs behind them still have everyone.
COUNT_CAP = 1000
PANEL_COUNT_CAP = 100  # the home page's "certificates expiring" (its list counts to COUNT_CAP)


# --- dates ---------------------------------------------------------------------------------
today_local = clock.today  # certificate dates are London dates
local_date = clock.local_date
add_months = clock.add_months


def expiry_for(course: Course | None, issued_on: dt.date) -> dt.date | None:
    if course is None or course.validity_months is None:
        return None
    return add_months(issued_on, course.validity_months)


def expiring_days() -> int:
    return int(current_app.config["VH_CERT_EXPIRING_DAYS"])


def status_of(certificate: Certificate, today: dt.date | None = None) -> CertificateStatus:
    return certificate.status_on(today or today_local(), expiring_days())


# --- issuing and withdrawing ---------------------------------------------------------------
def _new_certificate(prefix: str = "VH", **values) -> Certificate:
    """Insert a certificate and give it its number from its row id (unique under concurrency)."""
    certificate = Certificate(
        number="pending-" + secrets.token_hex(8),
        verification_code=secrets.token_urlsafe(18),
        **values,
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.number = f"{prefix}-{certificate.issued_on.year}-{certificate.id:06d}"
    db.session.flush()
    return certificate


def issue_certificate(user: User, course: Course, issued_on: dt.date, by: User | None = None) -> Certificate:
    """Issue a certificate without a register behind it (demo data, bulk imports of our own past
    courses). Registers go through `sync_certificates_for_session`."""
    return _new_certificate(
        user_id=user.id, course_id=course.id, issuer=current_app.config["VH_PARTNERSHIP_NAME"],
        issued_on=issued_on, expires_on=expiry_for(course, issued_on), recorded_by_id=by.id if by else None,
    )


def attendance_qualifies(attendance: Attendance, course: Course) -> bool:
    if attendance.status is AttendanceStatus.PRESENT:
        return True
    return attendance.status is AttendanceStatus.LATE and course.late_counts_as_attended


@dataclass
class SyncResult:
    issued: list[Certificate] = field(default_factory=list)
    reinstated: list[Certificate] = field(default_factory=list)
    withdrawn: list[Certificate] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.issued or self.reinstated or self.withdrawn)


def sync_certificates_for_session(training_session: TrainingSession, by: User | None = None) -> SyncResult:
    """Issue or withdraw certificates so they match the session's finalised register.

    Called by the training area when a register is finalised and after each correction of a
    finalised mark. Changes exactly what differs: a qualifying mark without a certificate gets
    one (or its withdrawn one back: never a second certificate for the same attendance, which
    the unique `attendance_id` also enforces); a certificate whose mark no longer qualifies is
    withdrawn. Running it again changes nothing.
    """
    by_id = by.id if by is not None else None
    course = training_session.course
    issuing = (
        training_session.finalised_at is not None
        and training_session.status is not SessionStatus.CANCELLED
        and course.gives_certificate
    )
    attendances = list(db.session.scalars(select(Attendance).where(Attendance.session_id == training_session.id)))
    existing = {
        c.attendance_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.session_id == training_session.id).with_for_update()
        )
    }
    result = SyncResult()
    issued_on = local_date(training_session.starts_at)
    keep: set[int] = set()
    for attendance in attendances:
        certificate = existing.get(attendance.id)
        if not (issuing and attendance_qualifies(attendance, course)):
            continue
        keep.add(attendance.id)
        if certificate is None:
            result.issued.append(_new_certificate(
                user_id=attendance.user_id,
                course_id=course.id,
                issuer=current_app.config["VH_PARTNERSHIP_NAME"],
                issued_on=issued_on,
                expires_on=expiry_for(course, issued_on),
                attendance_id=attendance.id,
                session_id=training_session.id,
                recorded_by_id=by_id,
            ))
        elif certificate.withdrawn_at is not None:
            certificate.withdrawn_at = None
            certificate.withdrawn_by_id = None
            result.reinstated.append(certificate)
    now = utcnow()
    for attendance_id, certificate in existing.items():
        if attendance_id not in keep and certificate.withdrawn_at is None:
            certificate.withdrawn_at = now
            certificate.withdrawn_by_id = by_id
            result.withdrawn.append(certificate)
    db.session.flush()
    return result


def record_external_certificate(
    user: User,
    *,
    course: Course | None,
    title: str | None,
    issuer: str,
    issued_on: dt.date,
    expires_on: dt.date | None,
    evidence_note: str | None,
    by: User,
) -> Certificate:
    """Record a certificate gained elsewhere. It counts for compliance like any other.

    If no expiry is given for one of our courses, the course's validity applies.
    """
    title = (title or "").strip() or None
    issuer = (issuer or "").strip()
    if course is None and not title:
        raise ValidationFailed("Choose a course, or type what the certificate is for.", "title")
    if not issuer:
        raise ValidationFailed("Enter who issued the certificate.", "issuer")
    if issued_on > today_local():
        raise ValidationFailed("The issue date cannot be in the future.", "issued_on")
    if expires_on is None:
        expires_on = expiry_for(course, issued_on)
    if expires_on is not None and expires_on < issued_on:
        raise ValidationFailed("The expiry date must be on or after the issue date.", "expires_on")
    return _new_certificate(
        prefix="EXT",
        user_id=user.id,
        course_id=course.id if course else None,
        title=None if course else title,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
        is_external=True,
        evidence_note=(evidence_note or "").strip() or None,
        recorded_by_id=by.id,
    )


def revoke_certificate(certificate: Certificate, reason: str, by: User) -> None:
    """Revoke with a reason, kept in the history and shown as "revoked" when verified."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for revoking it.", "reason")
    if certificate.revoked_at is not None:
        raise Conflict("This certificate is already revoked.")
    by_id = by.id
    certificate.revocation_reason = reason[:500]
    certificate.revoked_by_id = by_id
    certificate.revoked_at = utcnow()
    db.session.flush()


# --- reading ---------------------------------------------------------------------------------
def _good(at: dt.date):
    """SQL: not revoked, not withdrawn, issued by `at` and not expired on `at`."""
    return and_(
        Certificate.revoked_at.is_(None),
        Certificate.withdrawn_at.is_(None),
        Certificate.issued_on <= at,
        or_(Certificate.expires_on.is_(None), Certificate.expires_on >= at),
    )


def has_current_certificate(user: User, course: Course, at: dt.date | dt.datetime | None = None) -> bool:
    """Does `user` hold a valid certificate for `course` on `at` (default today)? For prerequisites."""
    day = local_date(at) if at is not None else today_local()
    return bool(db.session.scalar(select(exists().where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, _good(day)
    ))))


def _rank(certificate: Certificate) -> tuple:
    return (certificate.revoked_at is None, certificate.expires_on or NEVER, certificate.issued_on, certificate.id)


@dataclass
class CertificateView:
    certificate: Certificate
    status: CertificateStatus
    is_current: bool = False
    days_left: int | None = None


def _current_ids(certificates) -> set[int]:
    """Ids of the current certificate per course (or per title, for one from elsewhere) among
    `certificates`: Certificate objects, or rows with the same column names."""
    best: dict[tuple, object] = {}
    for c in certificates:
        if c.withdrawn_at is not None:
            continue
        key = ("course", c.course_id) if c.course_id else ("title", (c.title or "").casefold())
        if key not in best or _rank(c) > _rank(best[key]):
            best[key] = c
    return {c.id for c in best.values()}


# What needs doing first: expired, then expiring soon, then the rest (each by title).
_CURRENT_ORDER = {CertificateStatus.EXPIRED: 0, CertificateStatus.EXPIRING: 1}


# Built once (building it, with its loader option, cost as much as running it).
_HISTORY = (
    select(Certificate).where(Certificate.user_id == bindparam("user_id"))
    .options(joinedload(Certificate.course))
    .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
)


def certificates_of(user: User) -> tuple[list[CertificateView], list[CertificateView]]:
    """(current certificate per course or title, the whole history newest first)."""
    today = today_local()
    certificates = list(db.session.scalars(_HISTORY, {"user_id": user.id}))
    current_ids = _current_ids(certificates)

    def view(c):
        days = (c.expires_on - today).days if c.expires_on else None
        return CertificateView(c, c.status_on(today, expiring_days()), c.id in current_ids, days)

    history = [view(c) for c in certificates]
    current = sorted((v for v in history if v.is_current),
                     key=lambda v: (_CURRENT_ORDER.get(v.status, 2), v.certificate.display_title.casefold()))
    return current, history


class CurrentCertificate(NamedTuple):
    title: str
    status: CertificateStatus


# Built once: what the home page's panel needs of a holder's certificates, as rows.
_HOLDER_CERTIFICATES = (
    select(Certificate.id, Certificate.course_id, Certificate.title, Course.title.label("course_title"),
           Certificate.issued_on, Certificate.expires_on, Certificate.revoked_at, Certificate.withdrawn_at)
    .outerjoin(Course, Course.id == Certificate.course_id)
    .where(Certificate.user_id == bindparam("user_id"))
)


def current_certificates(user: User) -> list[CurrentCertificate]:
    """The current certificates of `certificates_of` (same choice, same order) as (title, status),
    read as rows: for the home page's panel, which shows no more than that."""
    today, days = today_local(), expiring_days()
    rows = db.session.execute(_HOLDER_CERTIFICATES, {"user_id": user.id}).all()
    current_ids = _current_ids(rows)
    # status_on reads only the dates it is given, so a row with the same names serves.
    current = [CurrentCertificate(r.course_title if r.course_id else (r.title or ""),
                                  Certificate.status_on(r, today, days))
               for r in rows if r.id in current_ids]
    return sorted(current, key=lambda c: (_CURRENT_ORDER.get(c.status, 2), c.title.casefold()))


def find_certificate_for_verification(text: str) -> Certificate | None:
    """A certificate by its verification code or its printed number (any case, spaces ignored)."""
    text = "".join((text or "").split())
    if not text or len(text) > 43:
        return None
    stmt = select(Certificate).options(joinedload(Certificate.user), joinedload(Certificate.course))
    found = db.session.scalar(stmt.where(Certificate.verification_code == text))
    if found is None:
        found = db.session.scalar(stmt.where(Certificate.number == text.upper()))
    return found


# --- compliance requirements -------------------------------------------------------------------
def list_requirements() -> list[ComplianceRequirement]:
    return list(db.session.scalars(
        select(ComplianceRequirement).options(joinedload(ComplianceRequirement.course))
        .order_by(ComplianceRequirement.id)
    ))


def set_requirements(pairs: set[tuple[str, str, int]]) -> tuple[int, int]:
    """Replace the requirements with `pairs` of ("role", Role value, course id) or
    ("kind", OrganisationKind value, course id). Returns (added, removed)."""
    wanted: set[tuple[Role | None, OrganisationKind | None, int]] = set()
    course_ids = set(db.session.scalars(select(Course.id)))
    for what, value, course_id in pairs:
        try:
            target = (Role(value), None) if what == "role" else (None, OrganisationKind(value)) if what == "kind" else None
        except ValueError:
            target = None
        if target is None or course_id not in course_ids:
            raise ValidationFailed("Choose requirements from the table.")
        wanted.add((*target, course_id))
    existing = {(r.role, r.organisation_kind, r.course_id): r for r in list_requirements()}
    for key in set(existing) - wanted:
        db.session.delete(existing[key])
    for role, kind, course_id in wanted - set(existing):
        db.session.add(ComplianceRequirement(role=role, organisation_kind=kind, course_id=course_id))
    db.session.flush()
    return len(wanted - set(existing)), len(set(existing) - wanted)


# --- compliance matrix -------------------------------------------------------------------------
CELL_STATUSES = ("valid", "expiring", "expired", "missing")
CELL_LABELS = {"valid": "Valid", "expiring": "Expiring soon", "expired": "Expired", "missing": "Missing"}
STATUS_FILTERS = {  # people who have at least one required course that is...
    "": "Any status",
    "gaps": "Missing or expired",
    "complete": "All held",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "missing": "Missing",
}


def _required_pairs(user_ids: list[int] | None = None):
    """SQL: (user_id, course_id) for every course each person must hold (by role or organisation
    kind); only for `user_ids` if given (one page's people: then it reads only their rows)."""
    by_role = (
        select(UserRole.user_id.label("user_id"), ComplianceRequirement.course_id.label("course_id"))
        .join(ComplianceRequirement, ComplianceRequirement.role == UserRole.role)
    )
    by_kind = (
        select(User.id.label("user_id"), ComplianceRequirement.course_id.label("course_id"))
        .join(Organisation, Organisation.id == User.organisation_id)
        .join(ComplianceRequirement, ComplianceRequirement.organisation_kind == Organisation.kind)
    )
    if user_ids is not None:
        by_role, by_kind = by_role.where(UserRole.user_id.in_(user_ids)), by_kind.where(User.id.in_(user_ids))
    return union(by_role, by_kind).subquery("required")


def _has_requirement():
    """SQL condition on User: someone must hold at least one course (the same people as in
    _required_pairs, without building the pairs: cheap enough to test row by row)."""
    # Tested row by row, not one IN over all the pairs: with IN, SQLite reads every such person
    # and sorts them all by name; this way it walks the name index and stops at the end of the
    # page. The organisations of required kinds and the required roles are short lists, read
    # once; each person then costs one index look-up (a correlated join per person, and an index
    # SQLite built on every run, made the count three times dearer).
    return or_(
        User.organisation_id.in_(
            select(Organisation.id)
            .join(ComplianceRequirement, ComplianceRequirement.organisation_kind == Organisation.kind)),
        exists().where(UserRole.user_id == User.id,
                       UserRole.role.in_(select(ComplianceRequirement.role)
                                         .where(ComplianceRequirement.role.is_not(None)))),
    )


def _cells(today: dt.date, user_ids: list[int] | None = None):
    """SQL: one row per (person, required course) with the best expiry held and its status
    (for everyone, or only for `user_ids`)."""
    return _cells_on(today, today + dt.timedelta(days=expiring_days()), user_ids)


@functools.cache
def _page_cells_stmt():
    """`_cells` for one page's people, built once (building it costs more than running it on a
    page): run it with the parameters today, soon and ids."""
    cells = _cells_on(bindparam("today", type_=Date), bindparam("soon", type_=Date), bindparam("ids", expanding=True))
    return select(cells)


def _cells_on(today, soon, user_ids):
    required = _required_pairs(user_ids)
    best_expiry = type_coerce(func.max(func.coalesce(Certificate.expires_on, literal(NEVER, Date))), Date)
    best = (
        select(Certificate.user_id, Certificate.course_id, best_expiry.label("best"))
        .where(Certificate.course_id.is_not(None), Certificate.revoked_at.is_(None),
               Certificate.withdrawn_at.is_(None), Certificate.issued_on <= today)
        .group_by(Certificate.user_id, Certificate.course_id)
    )
    if user_ids is not None:
        best = best.where(Certificate.user_id.in_(user_ids))
    best = best.subquery("best")
    status = case(
        (best.c.best.is_(None), "missing"),
        (best.c.best < today, "expired"),
        (best.c.best <= soon, "expiring"),
        else_="valid",
    )
    return (
        select(required.c.user_id, required.c.course_id, best.c.best.label("best"), status.label("status"))
        .outerjoin(best, and_(best.c.user_id == required.c.user_id, best.c.course_id == required.c.course_id))
        .subquery("cells")
    )


@dataclass
class ComplianceFilter:
    organisation_id: int | None = None
    role: Role | None = None
    status: str = ""


def cell_label(status: str | None, expires_on: dt.date | None) -> str:
    """A cell's text, the same on the page and in the CSV."""
    if status is None:
        return "Not required"
    if status == "missing":
        return "Missing"
    if expires_on is None or expires_on == NEVER:
        return "Valid, no expiry"
    verb = "Expired" if status == "expired" else "Expires"
    return f"{verb} {expires_on.strftime('%-d %b %Y')}"


class Cell(NamedTuple):
    """One (person, course) of the matrix, its text worked out once. A tuple, so the page's
    template unpacks it in its loop instead of looking up each attribute."""
    status: str | None  # None: not required for this person
    expires_on: dt.date | None = None
    label: str = "Not required"
    course_title: str = ""  # the column's heading (each cell repeats it for the phone layout)


class PersonSummary(NamedTuple):
    """A person as a matrix page shows them: the line under the name is organisation · roles."""
    id: int
    name: str
    detail: str


@dataclass
class MatrixRow:
    person: User | PersonSummary
    cells: list[Cell]

    @property
    def is_complete(self) -> bool:
        return all(c.status in (None, "valid", "expiring") for c in self.cells)


@dataclass
class Matrix:
    courses: list  # rows with id and title
    rows: list[MatrixRow]
    page: CappedPage | None = None  # when paginated


def _people_query(filters: ComplianceFilter, cells):
    """Every matching person (whole objects, for the CSV), `cells` deciding the status filter."""
    stmt = (
        select(User)
        .where(User.is_active, _has_requirement())
        .options(joinedload(User.organisation))
        .order_by(User.name, User.id)
    )
    if filters.organisation_id:
        stmt = stmt.where(User.organisation_id == filters.organisation_id)
    if filters.role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == filters.role)))
    status = filters.status
    if status in ("expiring", "expired", "missing"):
        stmt = stmt.where(User.id.in_(select(cells.c.user_id).where(cells.c.status == status)))
    elif status == "gaps":
        stmt = stmt.where(User.id.in_(select(cells.c.user_id).where(cells.c.status.in_(("missing", "expired")))))
    elif status == "complete":
        stmt = stmt.where(User.id.not_in(select(cells.c.user_id).where(cells.c.status.in_(("missing", "expired")))))
    return stmt


def _has_cell(status: str, today, soon):
    """SQL condition on User, the same as "has a cell with `status`" in `_cells` (or, for
    "gaps", missing or expired; for "complete", no gap), correlated: cheap for one person."""
    required = (
        select(ComplianceRequirement.course_id)
        .where(or_(
            ComplianceRequirement.role.in_(select(UserRole.role).where(UserRole.user_id == User.id).correlate(User)),
            ComplianceRequirement.organisation_kind == (
                select(Organisation.kind).where(Organisation.id == User.organisation_id).correlate(User)
                .scalar_subquery()),
        ))
        .correlate(User)
    )
    best = (
        select(type_coerce(func.max(func.coalesce(Certificate.expires_on, literal(NEVER, Date))), Date))
        .where(Certificate.user_id == User.id, Certificate.course_id == ComplianceRequirement.course_id,
               Certificate.revoked_at.is_(None), Certificate.withdrawn_at.is_(None), Certificate.issued_on <= today)
        .correlate(User, ComplianceRequirement)
        .scalar_subquery()
    )
    gap = or_(best.is_(None), best < today)
    condition = {
        "missing": best.is_(None),
        "expired": best < today,
        "expiring": and_(best >= today, best <= soon),
        "gaps": gap,
        "complete": gap,
    }[status]
    found = exists(required.where(condition))
    return ~found if status == "complete" else found


@functools.cache
def _page_people_stmts(by_organisation: bool, by_role: bool, status: str):
    """(one page of people, counting them) for one shape of filter, built once: building them
    costs more than running them. The page is plain rows (id, name, organisation, roles as
    "volunteer,trainer"), not whole people with their organisation and role rows. Parameters:
    organisation_id, role, today, soon, limit, offset; count_limit for the count."""
    where = [User.is_active, _has_requirement()]
    if by_organisation:
        where.append(User.organisation_id == bindparam("organisation_id"))
    if by_role:
        where.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == bindparam("role"))))
    if status in ("expiring", "expired", "missing", "gaps", "complete"):
        # Tested person by person as the name index is walked (stops at the page's end).
        where.append(_has_cell(status, bindparam("today", type_=Date), bindparam("soon", type_=Date)))
    roles = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id).correlate(User).scalar_subquery()
    )
    page = (
        select(User.id, User.name, Organisation.name.label("organisation"), roles.label("roles"))
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(*where)
        .order_by(User.name, User.id)
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    # Only whether a row exists matters: no columns, no order (as paginate_capped counts).
    counted = select(literal_column("1")).select_from(User).where(*where).limit(bindparam("count_limit"))
    return page, select(func.count()).select_from(counted.subquery())


@functools.cache
def _matrix_courses_stmt(by_organisation: bool, by_role: bool):
    """The required courses (id, title), built once per shape of filter. With an organisation or
    a role (parameters organisation_id, role): only the courses someone in it must hold."""
    stmt = (select(Course.id, Course.title).where(Course.id.in_(select(ComplianceRequirement.course_id)))
            .order_by(Course.title))
    if by_organisation or by_role:
        required = _required_pairs()
        people = select(User.id)
        if by_organisation:
            people = people.where(User.organisation_id == bindparam("organisation_id"))
        if by_role:
            people = people.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == bindparam("role"))))
        stmt = stmt.where(Course.id.in_(select(required.c.course_id).where(required.c.user_id.in_(people))))
    return stmt


def _matrix_courses(filters: ComplianceFilter) -> list:
    stmt = _matrix_courses_stmt(bool(filters.organisation_id), bool(filters.role))
    return db.session.execute(stmt, {"organisation_id": filters.organisation_id, "role": filters.role}).all()


def _rows(people, courses, cell_rows) -> list[MatrixRow]:
    """One row per person (anything with an id), one cell per course. Each distinct cell is made
    once: a page repeats the same few (not required, missing, a handful of dates)."""
    found = {(r.user_id, r.course_id): (r.status, r.best) for r in cell_rows}
    made: dict[tuple, Cell] = {}
    rows = []
    for person in people:
        cells = []
        for course in courses:
            key = (found.get((person.id, course.id), (None, None)), course.title)
            cell = made.get(key)
            if cell is None:
                (status, best), title = key
                cell = made[key] = Cell(status, best, cell_label(status, best), title)
            cells.append(cell)
        rows.append(MatrixRow(person, cells))
    return rows


_ROLE_LABELS = {role.value: role.label for role in Role}


def _person_summary(row) -> PersonSummary:
    roles = ", ".join(sorted(_ROLE_LABELS[r] for r in row.roles.split(","))) if row.roles else ""
    return PersonSummary(row.id, row.name, f"{row.organisation or 'No organisation'} · {roles}")


def compliance_matrix(filters: ComplianceFilter, page: int = 1, per_page: int = 25) -> Matrix:
    """People × required courses, one page of people. A fixed number of queries, whatever the size;
    the people are counted only up to COUNT_CAP past the page."""
    today = today_local()
    soon = today + dt.timedelta(days=expiring_days())
    courses = _matrix_courses(filters)
    page_stmt, count_stmt = _page_people_stmts(bool(filters.organisation_id), bool(filters.role), filters.status)
    params = {"organisation_id": filters.organisation_id, "role": filters.role, "today": today, "soon": soon}
    pagination = rows_page(page_stmt, count_stmt, params, page, per_page, COUNT_CAP, _person_summary)
    people = pagination.items
    ids = [p.id for p in people]
    cell_rows = db.session.execute(_page_cells_stmt(), {"today": today, "soon": soon, "ids": ids}).all() if ids else []
    return Matrix(courses, _rows(people, courses, cell_rows), pagination)


def compliance_matrix_all(filters: ComplianceFilter) -> Matrix:
    """Every matching person (for the CSV and the printable venue summary)."""
    today = today_local()
    cells = _cells(today)
    courses = _matrix_courses(filters)
    people_stmt = _people_query(filters, cells)
    people = list(db.session.scalars(people_stmt).unique())
    ids_stmt = people_stmt.with_only_columns(User.id).order_by(None)
    cell_rows = db.session.execute(select(cells).where(cells.c.user_id.in_(ids_stmt))).all()
    return Matrix(courses, _rows(people, courses, cell_rows))


def compliance_csv_rows(matrix: Matrix):
    """The matrix as CSV rows: the same columns and cell text as the page."""
    yield ["Name", "Organisation", "Roles", *(c.title for c in matrix.courses)]
    for row in matrix.rows:
        person = row.person
        yield [
            csv_safe(person.name),
            csv_safe(person.organisation.name if person.organisation else ""),
            ", ".join(sorted(r.label for r in person.roles)),
            *(cell.label for cell in row.cells),
        ]


# --- per organisation --------------------------------------------------------------------------
@dataclass
class OrganisationCompliance:
    organisation: Organisation
    people: int
    complete: int
    next_lapse_on: dt.date | None = None
    next_lapse_person: str | None = None
    next_lapse_course: str | None = None

    @property
    def share(self) -> int:
        return round(100 * self.complete / self.people) if self.people else 0


def organisation_compliance() -> list[OrganisationCompliance]:
    """For each organisation with requirements: how many of its people hold every required
    course, and who lapses next. Three queries whatever the size."""
    today = today_local()
    cells = _cells(today)
    per_person = (
        select(cells.c.user_id, func.sum(case((cells.c.status.in_(("missing", "expired")), 1), else_=0)).label("gaps"))
        .group_by(cells.c.user_id)
        .subquery()
    )
    stats = db.session.execute(
        select(User.organisation_id, func.count(), func.sum(case((per_person.c.gaps == 0, 1), else_=0)))
        .join(per_person, per_person.c.user_id == User.id)
        .where(User.is_active, User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
    ).all()
    ranked = (
        select(
            User.organisation_id.label("organisation_id"), User.name.label("name"), Course.title.label("title"),
            cells.c.best.label("best"),
            func.row_number().over(partition_by=User.organisation_id, order_by=(cells.c.best, User.name)).label("n"),
        )
        .join(User, User.id == cells.c.user_id)
        .join(Course, Course.id == cells.c.course_id)
        .where(User.is_active, User.organisation_id.is_not(None), cells.c.best >= today, cells.c.best < NEVER)
        .subquery()
    )
    lapses = {r.organisation_id: r for r in db.session.execute(select(ranked).where(ranked.c.n == 1))}
    orgs = {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_([s[0] for s in stats])))}
    result = []
    for org_id, people, complete in stats:
        lapse = lapses.get(org_id)
        result.append(OrganisationCompliance(
            orgs[org_id], people, int(complete or 0),
            lapse.best if lapse else None, lapse.name if lapse else None, lapse.title if lapse else None,
        ))
    return sorted(result, key=lambda r: (r.share, r.organisation.name))


def venue_summary(organisation: Organisation) -> tuple[Matrix, OrganisationCompliance]:
    """Everything a Best Bar None assessor asks for about one venue's staff training."""
    matrix = compliance_matrix_all(ComplianceFilter(organisation_id=organisation.id))
    complete = sum(1 for row in matrix.rows if row.is_complete)
    summary = OrganisationCompliance(organisation, len(matrix.rows), complete)
    upcoming = sorted(
        ((cell.expires_on, row.person.name, course.title)
         for row in matrix.rows for cell, course in zip(row.cells, matrix.courses)
         if cell.status in ("valid", "expiring") and cell.expires_on and cell.expires_on < NEVER),
    )
    if upcoming:
        summary.next_lapse_on, summary.next_lapse_person, summary.next_lapse_course = upcoming[0]
    return matrix, summary


# --- expiring soon ---------------------------------------------------------------------------
# Made once: an alias built per call costs ~2 ms (SQLAlchemy copies the table's columns).
_OTHER_CERTIFICATE = aliased(Certificate)


def _not_superseded():
    """SQL: no other good certificate for the same person and course lasts longer."""
    other = _OTHER_CERTIFICATE
    return ~exists().where(
        other.user_id == Certificate.user_id,
        other.course_id == Certificate.course_id,
        other.id != Certificate.id,
        other.revoked_at.is_(None),
        other.withdrawn_at.is_(None),
        or_(other.expires_on.is_(None), other.expires_on > Certificate.expires_on),
    )


def _expiring_between(start, end) -> tuple:
    """SQL: the current certificates of active people expiring from `start` to `end` (FROM
    certificates JOIN users)."""
    return (
        User.is_active,
        Certificate.revoked_at.is_(None),
        Certificate.withdrawn_at.is_(None),
        Certificate.expires_on.between(start, end),
        _not_superseded(),
    )


def expiring_query(days: int, today: dt.date | None = None):
    """Current certificates of active people expiring from today to `days` days ahead, soonest first."""
    today = today or today_local()
    return (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(*_expiring_between(today, today + dt.timedelta(days=days)))
        .options(joinedload(Certificate.user).joinedload(User.organisation), joinedload(Certificate.course))
        .order_by(Certificate.expires_on, User.name, Certificate.id)
    )


@functools.cache
def _count_expiring_stmt():
    """Built once (building it costs more than running it): count at most :cap + 1 rows."""
    listed = (
        select(Certificate.id)
        .join(User, User.id == Certificate.user_id)
        .where(*_expiring_between(bindparam("start", type_=Date), bindparam("end", type_=Date)))
        .limit(bindparam("cap_1"))
    )
    return select(func.count()).select_from(listed.subquery())


def count_expiring(days: int, cap: int) -> tuple[int, bool]:
    """(how many certificates `expiring_query` lists, up to `cap`; whether there are more). Reads
    at most cap + 1 of them, in expiry order, so the home page costs the same whatever the size."""
    today = today_local()
    counted = db.session.scalar(_count_expiring_stmt(),
                                {"start": today, "end": today + dt.timedelta(days=days), "cap_1": cap + 1})
    return min(counted, cap), counted > cap


# --- reminders -----------------------------------------------------------------------------
def reminder_thresholds() -> list[int]:
    return sorted({int(d) for d in current_app.config["VH_CERT_REMINDER_DAYS"]}, reverse=True)


def next_sessions_url(course: Course | None) -> str | None:
    if course is None or "training.session_list" not in current_app.view_functions:
        return None
    return external_url("training.session_list", course=course.id)


def send_expiry_reminders(today: dt.date | None = None) -> int:
    """Queue one reminder per certificate and threshold (60, 30, 7 days by default).

    A certificate first seen inside a window gets that window's reminder only (no backlog of
    earlier ones). The outbox key makes it exactly once, even when two runs overlap. A renewed
    (superseded), revoked or withdrawn certificate gets none.
    """
    today = today or today_local()
    thresholds = reminder_thresholds()
    if not thresholds:
        return 0
    queued = 0
    for certificate in db.session.scalars(expiring_query(max(thresholds), today)):
        days_left = (certificate.expires_on - today).days
        threshold = min(t for t in thresholds if t >= days_left)
        queued += queue_email(
            key=f"reminder:certificate:{certificate.id}:{threshold}d",
            recipient=certificate.user.email,
            subject=f"Your {certificate.display_title} certificate expires on {certificate.expires_on:%-d %B %Y}",
            template="certificate_expiry",
            certificate=certificate,
            person=certificate.user,
            days_left=days_left,
            sessions_url=next_sessions_url(certificate.course),
            mine_url=external_url("certificates.mine"),
        )
    db.session.flush()
    return queued


def send_weekly_summary(today: dt.date | None = None) -> int:
    """Once per ISO week, each active coordinator gets the list of upcoming expiries."""
    today = today or today_local()
    days = int(current_app.config["VH_CERT_SUMMARY_DAYS"])
    expiring = list(db.session.scalars(expiring_query(days, today)))
    if not expiring:
        return 0
    year, week, _ = today.isocalendar()
    coordinators = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.is_active).order_by(User.id)
    )
    queued = 0
    for coordinator in coordinators:
        queued += queue_email(
            key=f"summary:certificates:{year}-W{week:02d}:{coordinator.id}",
            recipient=coordinator.email,
            subject=f"Certificates expiring in the next {days} days: {len(expiring)}",
            template="certificate_summary",
            person=coordinator,
            certificates=expiring,
            days=days,
            list_url=external_url("certificates.expiring", days=days),
        )
    db.session.flush()
    return queued
