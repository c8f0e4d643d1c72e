"""The compliance matrix (people by required course) and each organisation's and venue's summary."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
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
    union_all,
)
from sqlalchemy.orm import joinedload

from volunteer_hub import clock
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.models import (
    Certificate,
    ComplianceRequirement,
    Course,
    Organisation,
    Role,
    User,
    UserRole,
    db,
)
from volunteer_hub.models.certificates import NEVER
from volunteer_hub.pagination import CappedPage, rows_page
from volunteer_hub.queries.certificates import expiring_days
from volunteer_hub.security import can_see_agency, scope_params, scope_to_viewer, sees_everyone, visible_people_bound

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


def _required_pairs(user_ids: list[int] | None = None, *, distinct: bool = True, of=None):
    """SQL: (user_id, course_id) for every course each person must hold (by role or organisation
    kind); only for `user_ids` if given (one page's people: then it reads only their rows), or for
    the people `of(person id column)` selects. With distinct=False a pair required both ways comes
    twice (cheaper, for a caller that groups)."""
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
        of = lambda person_id: person_id.in_(user_ids)  # noqa: E731
    if of is not None:
        by_role, by_kind = by_role.where(of(UserRole.user_id)), by_kind.where(of(User.id))
    return (union(by_role, by_kind) if distinct else union_all(by_role, by_kind)).subquery("required")


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


def _people_query(filters: ComplianceFilter, cells, viewer: User | None = None):
    """Every matching person (whole objects, for the CSV), `cells` deciding the status filter;
    only those `viewer` may see, when given."""
    stmt = (
        select(User)
        .where(User.is_active, _has_requirement())
        .options(joinedload(User.organisation))
        .order_by(User.name, User.id)
    )
    if viewer is not None:
        stmt = scope_to_viewer(stmt, viewer)
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
def _page_people_stmts(by_organisation: bool, by_role: bool, status: str, scoped: bool = False):
    """(one page of people, counting them) for one shape of filter, built once: building them
    costs more than running them. The page is plain rows (id, name, organisation, roles as
    "volunteer,trainer"), not whole people with their organisation and role rows. Parameters:
    organisation_id, role, today, soon, limit, offset; count_limit for the count; when `scoped`,
    those of security.scope_params (only the people the viewer may see)."""
    where = [User.is_active, _has_requirement()]
    if scoped:
        where.append(visible_people_bound(User.id))
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


def compliance_matrix(filters: ComplianceFilter, page: int = 1, per_page: int = 25, viewer: User | None = None) -> Matrix:
    """People × required courses, one page of people (only those `viewer` may see, when given). A
    fixed number of queries, whatever the size; the people are counted only up to
    VH_LIST_COUNT_CAP past the page."""
    today = clock.today()
    soon = today + dt.timedelta(days=expiring_days())
    courses = _matrix_courses(filters)
    scoped = viewer is not None and not sees_everyone(viewer)
    page_stmt, count_stmt = _page_people_stmts(bool(filters.organisation_id), bool(filters.role), filters.status, scoped)
    params = {"organisation_id": filters.organisation_id, "role": filters.role, "today": today, "soon": soon}
    if scoped:
        params.update(scope_params(viewer))
    pagination = rows_page(page_stmt, count_stmt, params, page, per_page, current_app.config["VH_LIST_COUNT_CAP"], _person_summary)
    people = pagination.items
    ids = [p.id for p in people]
    cell_rows = db.session.execute(_page_cells_stmt(), {"today": today, "soon": soon, "ids": ids}).all() if ids else []
    return Matrix(courses, _rows(people, courses, cell_rows), pagination)


def compliance_matrix_all(filters: ComplianceFilter, viewer: User | None = None) -> Matrix:
    """Every matching person (for the CSV and the printable venue summary); only those `viewer`
    may see, when given."""
    today = clock.today()
    cells = _cells(today)
    courses = _matrix_courses(filters)
    people_stmt = _people_query(filters, cells, viewer)
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


def organisation_compliance(viewer: User | None = None) -> list[OrganisationCompliance]:
    """For each organisation with requirements: how many of its people hold every required
    course (partnership-wide figures), and who lapses next (named only for the organisations
    whose people `viewer` may see, when given). Three queries whatever the size."""
    today = clock.today()
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
        if lapse is not None and viewer is not None and not can_see_agency(viewer, org_id):
            lapse = None
        result.append(OrganisationCompliance(
            orgs[org_id], people, int(complete or 0),
            lapse.best if lapse else None, lapse.name if lapse else None, lapse.title if lapse else None,
        ))
    return sorted(result, key=lambda r: (r.share, r.organisation.name))


def venue_summary(organisation: Organisation, viewer: User | None = None) -> tuple[Matrix, OrganisationCompliance]:
    """Everything a Best Bar None assessor asks for about one venue's staff training."""
    matrix = compliance_matrix_all(ComplianceFilter(organisation_id=organisation.id), viewer)
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


