"""The impact report's figures: training, certificates, equipment and people for a period and
the period of the same length before it, aggregated in SQL (one statement per table of figures,
each answering both periods at once), never row by row in Python.

A period is a pair of Europe/London dates, both included. Times are compared with the UTC instant
of London midnight at each end, so a session at 00:30 on 1 April (BST) belongs to April although
it is 23:30 on 31 March in UTC. Every figure is defined in DEFINITIONS, which the page prints under
"How these figures are counted"; the tests check the figures against those words.

The organisation filter (one organisation, or every organisation of a kind) applies to figures
about people; the equipment figures are the partnership's (stock is not owned by organisations).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from volunteer_hub import clock, data_cache
from volunteer_hub.models import (
    ATTENDED,
    WAITING,
    Attendance,
    AttendanceStatus,
    Booking,
    Certificate,
    CertificateCoverage,
    CertificateLapse,
    ComplianceSpan,
    Course,
    HandOutTotal,
    Holder,
    HolderKind,
    Item,
    MovementKind,
    Organisation,
    OrganisationKind,
    Place,
    Role,
    SessionStatus,
    SessionTotal,
    StockBalance,
    StockMovement,
    TotalGrain,
    TrainedPerson,
    TrainingSession,
    User,
    UserRole,
    db,
)
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.queries.sql import hours_between, unindexed

DEFINITIONS = {
    "sessions": "Sessions that started in the period, were not cancelled, and whose register was finalised.",
    "trained": "Different people marked present, late or left early on a finalised register of a session that started "
               "in the period (someone trained twice counts once; per course, once per course).",
    "attendance_rate": "Marks of present, late or left early, out of every mark on those registers (booked people "
                       "and walk-ins).",
    "no_show_rate": "Marks of absent, out of every mark on those registers.",
    "late_cancellations": "Bookings cancelled after the session's cancellation cut-off, cancelled in the period.",
    "waiting": "People on a waiting list (or offered a place they had not yet taken) at the end of the period, for "
               "sessions that had not started.",
    "hours": "Hours of training delivered: each session's length times the people marked present, late or left early.",
    "valid": "People holding a certificate of the course that was valid on the last day of the period (not expired, "
             "revoked or withdrawn by then).",
    "issued": "Certificates issued in the period (dated in it), including ones recorded from other trainers.",
    "lapsed": "Certificates that expired in the period whose holder had no later certificate of the same course by the "
              "end of the period.",
    "compliance": "Of the active people each requirement applies to (by role or kind of organisation), the share holding "
                  "a valid certificate of every required course on the last day of the period. A venue is fully "
                  "compliant when all of its people are.",
    "handed_out": "Items handed out to the public from kit bags and venues, dated in the period, less any hand-out "
                  "reversed since (the same figures as the hand-out report).",
    "venues": "Items issued from a store to a venue, dated in the period, less reversals.",
    "kit_bags": "Kit bags that recorded at least one hand-out in the period.",
    "stock": "Items held in stores, kit bags and venues at the end of the period.",
    "written_off": "Items written off (lost, damaged, out of date), dated in the period, less reversals.",
    "active": "Open accounts on the last day of the period (not deactivated or erased), by organisation and role.",
    "sign_ups": "Accounts created in the period.",
    "dbs": "People whose DBS check must be renewed in the next 90 days from today (whatever the period).",
    "patrols_run": "Patrol shifts that started in the period and whose lead took the register (not cancelled).",
    "patrols_too_few": "Patrol shifts in the period cancelled because too few people joined (nobody patrols alone).",
    "patrol_hours": "Volunteer hours on patrol: for each person the lead marked as there, from the shift's start "
                    "(when the register was taken) to their \"I'm home safe\" check-out, counted at most to the "
                    "shift's planned end (to the end if they never checked out).",
    "patrol_interactions": "Interactions tallied on patrol, by kind: counts only, never who.",
    "patrol_hand_outs": "Items handed out from kit bags on patrol shifts in the period (also in the equipment figures).",
    "patrol_variance": "Units by which kit bags counted back in at the end of a shift differed from what the ledger "
                       "expected (held at the start, less hand-outs), each with the volunteer's reason.",
}
DBS_DAYS = 90


# --- the period ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    @property
    def starts_at(self) -> dt.datetime:
        return clock.start_of_day(self.start)

    @property
    def ends_at(self) -> dt.datetime:
        """London midnight after the last day (not included)."""
        return clock.start_of_day(self.end + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        """The first day of each calendar month the period touches."""
        month, out = self.start.replace(day=1), []
        while month <= self.end:
            out.append(month)
            month = clock.add_months(month, 1)
        return out


@dataclass(frozen=True)
class Scope:
    """Whose people the figures count: everyone, one organisation, or every organisation of a kind."""
    organisation_id: int | None = None
    kind: OrganisationKind | None = None

    def condition(self, person_id):
        if self.organisation_id is not None:
            return person_id.in_(select(User.id).where(User.organisation_id == self.organisation_id))
        if self.kind is not None:
            return person_id.in_(select(User.id).join(Organisation, Organisation.id == User.organisation_id)
                                 .where(Organisation.kind == self.kind))
        return literal(True)

    def organisation_condition(self, organisation_id):
        """The same people, for a table that holds their organisation."""
        if self.organisation_id is not None:
            return organisation_id == self.organisation_id
        if self.kind is not None:
            return organisation_id.in_(select(Organisation.id).where(Organisation.kind == self.kind))
        return literal(True)

    @property
    def is_everyone(self) -> bool:
        return self.organisation_id is None and self.kind is None


def _in(column, period: Period, *, dates: bool = False):
    if dates:
        return and_(column >= period.start, column <= period.end)
    return and_(column >= period.starts_at, column < period.ends_at)


def _which(column, current: Period, *, dates: bool = False):
    """1 for the current period, 0 for the previous one (the statement reads both at once)."""
    return case((_in(column, current, dates=dates), 1), else_=0).label("current")


def _rows(stmt) -> list:
    return db.session.execute(stmt).all()


# --- training --------------------------------------------------------------------------------------
_ATTENDED = [s.value for s in ATTENDED]


def _delivered(period_from: dt.datetime, period_to: dt.datetime):
    s = TrainingSession
    return and_(s.starts_at >= period_from, s.starts_at < period_to, s.status != SessionStatus.CANCELLED,
                s.finalised_at.is_not(None))


def training(current: Period, scope: Scope) -> dict:
    """Two statements: per course and period (sessions, marks, hours), and a union of the counts
    of people (overall, per course, by month), late cancellations and waiting. Different people
    come from trained_people (a count of rows whose person had not trained since before the
    period, read from its index); the whole partnership's marks from session_totals."""
    previous = current.previous()
    if scope.is_everyone:
        t = SessionTotal
        which = _which(t.starts_at, current)
        per_course = (
            select(t.course_id, which, func.count(), literal(0), func.sum(t.marks), func.sum(t.attended),
                   func.sum(t.absent), func.coalesce(func.sum(t.attended * t.hours), 0))
            .where(t.starts_at >= previous.starts_at, t.starts_at < current.ends_at)
            .group_by(t.course_id, which))
    else:
        s, a = TrainingSession, Attendance
        attended = a.status.in_(ATTENDED)
        which = _which(s.starts_at, current)
        per_course = (
            select(s.course_id, which, func.count(distinct(s.id)), literal(0), func.count(a.id),
                   func.count(case((attended, 1))), func.count(case((a.status == AttendanceStatus.ABSENT, 1))),
                   func.coalesce(func.sum(case((attended, hours_between(s.starts_at, s.ends_at)))), 0))
            .outerjoin(a, and_(a.session_id == s.id, scope.condition(a.user_id)))
            .where(_delivered(previous.starts_at, current.ends_at))
            .group_by(s.course_id, which))
    # Different people, from one pass over each period's rows of trained_people: per course (and,
    # in this period, per month) the rows that are the person's first in the period for that
    # course, for any course, and for any course in that month. Summed over the groups, the
    # second is the period's different people (each person's first row falls in one group).
    p = TrainedPerson
    firsts = [
        select(literal("firsts"), literal(n), p.course_id, p.month,
               func.count(case((_first_since(p.previous_course_at, period.starts_at), 1))),
               func.count(case((_first_since(p.previous_at, period.starts_at), 1))),
               func.count(case((or_(_first_since(p.previous_at, period.starts_at), p.previous_month < p.month), 1))))
        .where(p.month.between(*_month_numbers(period)), _in(p.starts_at, period), scope.condition(p.user_id))
        .group_by(p.month, p.course_id)
        for n, period in ((1, current), (0, previous))]
    b = Booking
    late_which = _which(b.cancelled_at, current)
    counts = union_all(
        *firsts,
        select(literal("late"), late_which, literal(None), literal(-1), func.count(), literal(0), literal(0))
        .where(b.is_late_cancellation == true(), b.cancelled_at >= previous.starts_at, b.cancelled_at < current.ends_at,
               scope.condition(b.user_id)).group_by(late_which),
        *_waiting(current, previous, scope))
    month_index = {m.year * 100 + m.month: n for n, m in enumerate(current.months())}
    rows: dict = defaultdict(lambda: defaultdict(int))
    by_course: dict = defaultdict(int)
    for tag, n, course_id, month, first_for_course, first_any, first_in_month in _rows(counts):
        if tag != "firsts":  # late cancellations and waiting: one count
            rows[tag][n] = first_for_course
            continue
        by_course[(course_id, n)] += first_for_course
        rows["people"][n] += first_any
        if n == 1:
            rows["month"][month_index.get(month, -1)] += first_in_month
    courses = [(course_id, n, sessions, by_course.get((course_id, n), 0), *rest)
               for course_id, n, sessions, _people, *rest in _rows(per_course)]
    return {"per_course": courses, "people": dict(rows["people"]), "by_month": dict(rows["month"]),
            "late": dict(rows["late"]), "waiting": {1: rows["waiting"].get(1, 0), 0: rows["waiting"].get(0, 0)}}


def _month_numbers(period: Period) -> tuple[int, int]:
    """trained_people.month of the period's first and last days (its index leads with month)."""
    return period.start.year * 100 + period.start.month, period.end.year * 100 + period.end.month


def _first_since(previous_at, since):
    """The person had not trained (in the sense of the column) before this row since `since`."""
    return or_(previous_at.is_(None), previous_at < since)


def _waiting_at(moment: dt.datetime, b):
    """A booking that, at `moment`, was waiting for a session not yet started (the sessions read by
    their start, then their bookings: not every booking there is)."""
    # Booked before `moment`, so the session had opened for booking by then: that bounds the
    # sessions read to those open at the time, not every session since.
    later = select(TrainingSession.id).where(TrainingSession.starts_at >= moment, TrainingSession.booking_opens_at < moment)
    return and_(b.session_id.in_(later), b.created_at < moment,
                or_(b.confirmed_at.is_(None), b.confirmed_at >= moment),
                or_(b.cancelled_at.is_(None), b.cancelled_at >= moment),
                or_(b.status.in_(WAITING), b.confirmed_at >= moment, b.cancelled_at >= moment,
                    b.offer_expires_at >= moment))


def _waiting(current: Period, previous: Period, scope: Scope) -> list:
    b = Booking
    return [select(literal("waiting"), literal(n), literal(None), literal(-1), func.count(distinct(b.user_id)),
                   literal(0), literal(0))
            .where(_waiting_at(period.ends_at, b), scope.condition(b.user_id))
            for n, period in ((1, current), (0, previous))]


# --- certificates ----------------------------------------------------------------------------------
def _covers(v, day: dt.date):
    """certificate_coverage rows `v` in which the person held a valid certificate on `day`."""
    return and_(v.valid_until >= day, v.valid_from <= day)


def certificates(current: Period, scope: Scope) -> list:
    """[(course_id, valid now, valid before, issued now, issued before, lapsed now, lapsed before)],
    from one union whose parts each read their own index (expiry, issue date) rather than one
    pass over every certificate testing six conditions."""
    previous = current.previous()
    c = Certificate
    mine = and_(c.course_id.is_not(None), scope.condition(c.user_id))
    v = CertificateCoverage
    parts = [select(literal("valid"), literal(n), v.course_id, func.count())
             .where(_covers(v, period.end), scope.condition(v.user_id)).group_by(v.course_id)
             for n, period in ((1, current), (0, previous))]
    parts += [select(literal("issued"), literal(n), c.course_id, func.count())
              .where(mine, _in(c.issued_on, period, dates=True)).group_by(c.course_id)
              for n, period in ((1, current), (0, previous))]
    x = CertificateLapse
    parts += [select(literal("lapsed"), literal(n), x.course_id, func.count())
              .where(_in(x.expired_on, period, dates=True), or_(x.renewed_on.is_(None), x.renewed_on > period.end),
                     scope.condition(x.user_id)).group_by(x.course_id)
              for n, period in ((1, current), (0, previous))]
    figures: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for tag, which, course_id, count in _rows(union_all(*parts)):
        figures[course_id][(tag, which)] = count
    return [(course_id, f[("valid", 1)], f[("valid", 0)], f[("issued", 1)], f[("issued", 0)], f[("lapsed", 1)],
             f[("lapsed", 0)]) for course_id, f in figures.items()]


def compliance(current: Period, scope: Scope) -> list:
    """[(organisation_id or None, people with a requirement, people holding all)] on the period's
    last day: the compliance_spans rows covering that day (each such person has exactly one, held
    or not), read from their index."""
    x = ComplianceSpan
    return _rows(select(x.organisation_id, func.count(), func.count(case((x.held.is_(True), 1))))
                 .where(x.valid_until >= current.end, x.valid_from <= current.end,
                        scope.organisation_condition(x.organisation_id))
                 .group_by(x.organisation_id))


# --- equipment -------------------------------------------------------------------------------------
def _not_reversed(m):
    reversal = aliased(StockMovement)
    return ~exists().where(reversal.reverses_id == m.id)


def equipment(current: Period) -> dict:
    """Two statements: the hand-out roll-up for the period (by month and place, as the hand-out
    report reads it), and a union of the rest: venue issues and write-offs by item and period, the
    previous period's hand-outs (day totals), kit bags that handed out, and stock at the end."""
    previous = current.previous()
    m, t = StockMovement, HandOutTotal
    which = _which(m.occurred_on, current, dates=True)
    in_periods = and_(m.occurred_on >= previous.start, m.occurred_on <= current.end, _not_reversed(m))
    # Two parts, each through its own index: write-offs by (kind, day); issues to venues by
    # recipient (a few hundred venues), not every issue of two years (most go to kit bags).
    moved = [
        select(literal("written_off"), which, m.item_id, func.sum(m.quantity))
        .where(m.kind == MovementKind.WRITE_OFF, in_periods).group_by(which, m.item_id),
        # (SQLite, which keeps no statistics, would take the index by kind: every issue of two years.)
        select(literal("venues"), which, m.item_id, func.sum(m.quantity))
        .where(unindexed(m.kind) == MovementKind.ISSUE, in_periods,
               m.to_holder_id.in_(select(Holder.id).where(Holder.kind == HolderKind.ORGANISATION)))
        .group_by(which, m.item_id)]
    # Each holder asks its (from_holder_id, kind, occurred_on) index whether it handed out in the
    # period: a few thousand look-ups, not a DISTINCT over every hand-out of two years.
    h = Holder
    bags = [select(literal("kit_bags"), literal(n), literal(None), func.count()).select_from(h)
            .where(exists().where(m.from_holder_id == h.id, m.kind == MovementKind.HAND_OUT,
                                  m.occurred_on >= period.start, m.occurred_on <= period.end).correlate(h))
            for n, period in ((1, current), (0, previous))]
    rows = _rows(union_all(
        *moved,
        select(literal("handed_before"), literal(0), literal(None), func.coalesce(func.sum(t.quantity), 0))
        .where(t.grain == TotalGrain.DAY, t.period_start >= previous.start, t.period_start <= previous.end),
        *bags,
        _stock_at(current.end)))
    now_month, now_place = equipment_queries.handed_out(current.start, current.end)
    out = {"moved": [], "kit_bags": {}, "stock": {}, "handed_before": 0}
    for tag, key, item_id, quantity in rows:
        if tag == "kit_bags":
            out["kit_bags"][key] = quantity
        elif tag == "stock":
            out["stock"][item_id] = int(quantity)
        elif tag == "handed_before":
            out["handed_before"] = int(quantity)
        else:
            out["moved"].append((tag, key, item_id, int(quantity)))
    out["handed_out"] = (now_month, now_place)
    return out


def _stock_at(day: dt.date):
    """SQL: ("stock", 1, item_id, items held) at the end of `day`: today's balances less what moved
    in and out since (nothing is dated after today, so a period ending today reads the balances only)."""
    m = StockMovement
    held = select(StockBalance.item_id, func.sum(StockBalance.quantity).label("held")) \
        .group_by(StockBalance.item_id).subquery()
    if day >= clock.today():
        return select(literal("stock"), literal(1), held.c.item_id, held.c.held)
    since = func.coalesce(func.sum(case((m.to_holder_id.is_not(None), m.quantity), else_=0)
                                   - case((m.from_holder_id.is_not(None), m.quantity), else_=0)), 0)
    after = select(m.item_id, since.label("since")).where(m.occurred_on > day).group_by(m.item_id).subquery()
    return (select(literal("stock"), literal(1), held.c.item_id, held.c.held - func.coalesce(after.c.since, 0))
            .outerjoin(after, after.c.item_id == held.c.item_id))


# --- people ----------------------------------------------------------------------------------------
def _people_selects(current: Period, scope: Scope) -> list:
    """Open accounts by organisation and role; sign-ups in each period and DBS checks to renew (one
    row, in the same shape)."""
    previous = current.previous()
    u = User
    open_account = and_(u.is_active.is_(True), u.erased_at.is_(None), u.created_at < current.ends_at)
    today = clock.today()
    dbs_due = and_(u.dbs_renew_by >= today, u.dbs_renew_by <= today + dt.timedelta(days=DBS_DAYS),
                   u.is_active.is_(True), u.erased_at.is_(None))
    # Grouped by organisation only, in the order of the index it reads, with a count per role
    # (not grouped by role too, which sorted 100,000 rows first).
    r = UserRole
    return [
        select(literal("role"), u.organisation_id, *[func.count(case((r.role == role, 1))) for role in Role])
        .join(r, r.user_id == u.id).where(open_account, scope.condition(u.id))
        .group_by(u.organisation_id),
        # Each from its own index: sign-ups by creation, DBS checks by renewal date.
        select(literal("counts"), literal(None), func.count(case((_in(u.created_at, current), 1))),
               func.count(case((_in(u.created_at, previous), 1))), literal(0), literal(0))
        .where(u.created_at >= previous.starts_at, u.created_at < current.ends_at, scope.condition(u.id)),
        select(literal("counts"), literal(None), literal(0), literal(0), func.count(), literal(0))
        .where(dbs_due, scope.condition(u.id))]


def _read_people(rows) -> dict:
    by_role = [(org, role, n) for tag, org, *counts in rows if tag == "role"
               for role, n in zip(Role, counts, strict=True) if n]
    counts = [sum(values) for values in zip(*(counts[:3] for tag, _o, *counts in rows if tag == "counts"), strict=True)]
    return {"by_role": by_role, "sign_ups": {1: counts[0], 0: counts[1]}, "dbs": counts[2]}


def people(current: Period, scope: Scope) -> dict:
    """One statement: open accounts by organisation and role, sign-ups, DBS checks to renew."""
    return _read_people(_rows(union_all(*_people_selects(current, scope))))


# --- names -----------------------------------------------------------------------------------------
@dataclass
class Names:
    courses: dict[int, str] = field(default_factory=dict)
    items: dict[int, str] = field(default_factory=dict)
    places: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, tuple[str, OrganisationKind]] = field(default_factory=dict)


def names() -> Names:
    """Organisations (by name: also the filter's choices), courses, items and places by id, in one
    query; kept until anything is written (data_cache.py), like the report they label. Read-only."""
    return data_cache.cached("report names", None, _read_names)


def _read_names() -> Names:
    rows = _rows(union_all(
        select(literal("org"), Organisation.id, Organisation.name, Organisation.kind),
        select(literal("course"), Course.id, Course.title, literal(None)),
        select(literal("item"), Item.id, Item.name, literal(None)),
        select(literal("place"), Place.id, Place.name, literal(None))))
    out = Names()
    for tag, id_, name, kind in sorted(rows, key=lambda r: r[2]):
        if tag == "org":
            out.organisations[id_] = (name, kind)
        elif tag == "course":
            out.courses[id_] = name
        elif tag == "place":
            out.places[id_] = name
        else:
            out.items[id_] = name
    return out
