"""The impact report's roll-ups (models/reports.py), kept in the same transaction as the change.

A flush listener notes what changed (marks, a session's state, certificates) and, before the
transaction commits, rewrites the roll-up rows of the people, sessions and (person, course) pairs
concerned from the tables they follow. So every writer is covered, the services and anything else
that goes through the ORM session, and a rollback drops the notes with the change. Writers that
bypass the ORM (the demo generator's bulk inserts) call `rebuild()` afterwards.

- trained_people: each attended mark on a delivered register, with the start of the person's
  previous one (any course, the same course). "Different people trained in a period" is then the
  rows in the period whose previous one was before it: a count, not a DISTINCT over two years.
- session_totals: each delivered session's marks (all, attended, absent) and length.
- certificate_coverage: the London days a person held a valid certificate of a course, merged.
- certificate_lapses: each expiring certificate and when (if ever) its holder renewed it.
- compliance_spans: for each open account that must hold a course, the runs of London days on
  which it held every required course, and those on which it did not. They follow the person's
  certificates (through certificate_coverage), roles, organisation, its kind and the requirements.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from itertools import chain, groupby

from sqlalchemy import case, delete, event, func, insert, inspect, select, true, tuple_
from sqlalchemy.orm import Session

from volunteer_hub import clock
from volunteer_hub.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Certificate,
    CertificateCoverage,
    CertificateLapse,
    ComplianceRequirement,
    ComplianceSpan,
    Organisation,
    SessionStatus,
    SessionTotal,
    TrainedPerson,
    TrainingSession,
    User,
    UserRole,
    db,
)
from volunteer_hub.models.certificates import NEVER

_NOTES = "vh_report_rollups"
_SESSION_FIELDS = ("status", "finalised_at", "starts_at", "ends_at", "course_id")
_CERTIFICATE_FIELDS = ("user_id", "course_id", "issued_on", "expires_on", "revoked_at", "withdrawn_at")
# role_rows: a role removed from the collection is deleted as an orphan during the flush, so it
# is never in session.deleted; the person's collection shows the change.
_ACCOUNT_FIELDS = ("is_active", "erased_at", "organisation_id", "created_at", "role_rows")
_BATCH = 5000
_ONE_DAY = dt.timedelta(days=1)


# --- noticing changes ---------------------------------------------------------------------------
def _notes(session: Session) -> dict[str, set]:
    return session.info.setdefault(_NOTES, {"people": set(), "sessions": set(), "session_people": set(), "pairs": set(),
                                            "accounts": set(), "organisations": set(), "requirements": set()})


def _values(obj, name: str) -> set:
    """The attribute's value now and, if it changed in this flush, before."""
    history = inspect(obj).attrs[name].history
    return {v for v in chain(history.added, history.unchanged, history.deleted) if v is not None}


def _changed(obj, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return state.deleted or state.was_deleted or any(state.attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    notes = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Attendance) and (obj in session.new or _changed(obj, ("status", "user_id", "session_id"))):
            notes = notes or _notes(session)
            notes["people"] |= _values(obj, "user_id")
            notes["sessions"] |= _values(obj, "session_id")
        elif isinstance(obj, TrainingSession) and (obj in session.new or _changed(obj, _SESSION_FIELDS)):
            notes = notes or _notes(session)
            notes["sessions"].add(obj.id)
            notes["session_people"].add(obj.id)
        elif isinstance(obj, Certificate) and (obj in session.new or _changed(obj, _CERTIFICATE_FIELDS)):
            notes = notes or _notes(session)
            notes["pairs"] |= {(u, c) for u in _values(obj, "user_id") for c in _values(obj, "course_id")}
        elif isinstance(obj, User) and (obj in session.new or _changed(obj, _ACCOUNT_FIELDS)):
            notes = notes or _notes(session)
            notes["accounts"].add(obj.id)
        elif isinstance(obj, UserRole) and (obj in session.new or _changed(obj, ("user_id", "role"))):
            notes = notes or _notes(session)
            notes["accounts"] |= _values(obj, "user_id")
        elif isinstance(obj, Organisation) and obj not in session.new and _changed(obj, ("kind",)):
            notes = notes or _notes(session)
            notes["organisations"].add(obj.id)
        elif isinstance(obj, ComplianceRequirement):
            notes = notes or _notes(session)
            notes["requirements"] |= {("role", v) for v in _values(obj, "role")} | {
                ("kind", v) for v in _values(obj, "organisation_kind")}


@event.listens_for(Session, "before_commit")
def _write_rollups(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: flush now, so the notes are complete
    notes = session.info.pop(_NOTES, None)
    if not notes:
        return
    sessions = _finalised(session, notes["sessions"] | notes["session_people"])
    if sessions:
        people = set(notes["people"])
        if sessions & notes["session_people"]:
            people |= set(session.scalars(select(Attendance.user_id).where(
                Attendance.session_id.in_(sessions & notes["session_people"]))))
        refresh_sessions(sessions, session)
        refresh_people(people, session)
    if notes["pairs"]:
        refresh_coverage(notes["pairs"], session)
    accounts = notes["accounts"] | {user_id for user_id, _course in notes["pairs"]}
    accounts |= _people_concerned(session, notes["organisations"], notes["requirements"])
    if accounts:
        refresh_compliance(accounts, session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    session.info.pop(_NOTES, None)


def _finalised(session: Session, ids: set) -> set:
    """Of these sessions, those with a finalised register (a register still open is not in the
    figures, so its marks change nothing yet; a finalised one stays finalised). Sessions already
    loaded are asked without a query: marking a register costs nothing here."""
    unknown, out = set(), set()
    for session_id in ids - {None}:
        loaded = session.identity_map.get(Session.identity_key(TrainingSession, session_id))
        if loaded is None:
            unknown.add(session_id)
        elif loaded.finalised_at is not None:
            out.add(session_id)
    if unknown:
        out |= set(session.scalars(select(TrainingSession.id).where(
            TrainingSession.id.in_(unknown), TrainingSession.finalised_at.is_not(None))))
    return out


# --- writing the rows ---------------------------------------------------------------------------
def _delivered(s=TrainingSession):
    return (s.status != SessionStatus.CANCELLED) & s.finalised_at.is_not(None)


def refresh_sessions(session_ids: Iterable[int], session: Session | None = None) -> None:
    session = session or db.session
    ids = sorted(set(session_ids))
    session.execute(delete(SessionTotal).where(SessionTotal.session_id.in_(ids)))
    _insert_session_totals(session, TrainingSession.id.in_(ids))


def _insert_session_totals(session: Session, which) -> None:
    from volunteer_hub.queries.sql import hours_between

    s, a = TrainingSession, Attendance
    attended = a.status.in_(ATTENDED)
    rows = (select(s.id, s.course_id, s.starts_at, hours_between(s.starts_at, s.ends_at), func.count(a.id),
                   func.count(case((attended, 1))), func.count(case((a.status == AttendanceStatus.ABSENT, 1))))
            .outerjoin(a, a.session_id == s.id).where(which, _delivered(s)).group_by(s.id))
    t = SessionTotal
    session.execute(insert(t).from_select(
        [t.session_id, t.course_id, t.starts_at, t.hours, t.marks, t.attended, t.absent], rows))


def refresh_people(user_ids: Iterable[int], session: Session | None = None) -> None:
    session = session or db.session
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        session.execute(delete(TrainedPerson).where(TrainedPerson.user_id.in_(chunk)))
        _insert_trained(session, Attendance.user_id.in_(chunk))


def _insert_trained(session: Session, which) -> None:
    s, a = TrainingSession, Attendance
    rows = session.execute(
        select(a.user_id, s.id, s.course_id, s.starts_at).join(s, s.id == a.session_id)
        .where(which, a.status.in_(ATTENDED), _delivered(s)).order_by(a.user_id, s.starts_at, s.id)).all()
    out = []
    for user_id, marks in groupby(rows, key=lambda r: r[0]):
        previous, previous_month, by_course = None, None, {}
        for _user, session_id, course_id, starts_at in marks:
            month = month_number(starts_at)
            out.append({"session_id": session_id, "user_id": user_id, "course_id": course_id, "starts_at": starts_at,
                        "previous_at": previous, "previous_course_at": by_course.get(course_id), "month": month,
                        "previous_month": previous_month})
            previous = by_course[course_id] = starts_at
            previous_month = month
    for start in range(0, len(out), _BATCH):
        session.execute(insert(TrainedPerson), out[start:start + _BATCH])


def month_number(moment: dt.datetime | dt.date) -> int:
    """The London calendar month of `moment` as year * 100 + month (202603 for March 2026)."""
    day = clock.local_date(moment)
    return day.year * 100 + day.month


def coverage_days(certificates: Iterable) -> list[tuple[dt.date, dt.date]]:
    """[(first day, last day)] a person held a valid certificate of one course, from their
    certificates of it as (issued_on, expires_on, revoked_at, withdrawn_at), merged where the
    days overlap or meet. A revocation or withdrawal ends the days the London day before it."""
    spans = []
    for issued_on, expires_on, revoked_at, withdrawn_at in certificates:
        until = expires_on or NEVER
        for ended in (revoked_at, withdrawn_at):
            if ended is not None:
                until = min(until, clock.local_date(ended) - _ONE_DAY)
        if until >= issued_on:
            spans.append((issued_on, until))
    merged: list[list[dt.date]] = []
    for first, last in sorted(spans):
        if merged and (first - merged[-1][1]).days <= 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(first, last) for first, last in merged]


def refresh_coverage(pairs: Iterable[tuple[int, int]], session: Session | None = None) -> None:
    session = session or db.session
    pairs = sorted(set(pairs))
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        key = tuple_(CertificateCoverage.user_id, CertificateCoverage.course_id)
        session.execute(delete(CertificateCoverage).where(key.in_(chunk)))
        session.execute(delete(CertificateLapse).where(tuple_(CertificateLapse.user_id, CertificateLapse.course_id).in_(chunk)))
        _insert_coverage(session, tuple_(Certificate.user_id, Certificate.course_id).in_(chunk))


def _insert_coverage(session: Session, which) -> None:
    c = Certificate
    rows = session.execute(
        select(c.user_id, c.course_id, c.id, c.issued_on, c.expires_on, c.revoked_at, c.withdrawn_at)
        .where(which, c.course_id.is_not(None)).order_by(c.user_id, c.course_id)).all()
    days, lapses = [], []
    for (user_id, course_id), group in groupby(rows, key=lambda r: (r[0], r[1])):
        certificates = [r[2:] for r in group]
        days += [{"user_id": user_id, "course_id": course_id, "valid_from": first, "valid_until": last}
                 for first, last in coverage_days(r[1:] for r in certificates)]
        lapses += [{"certificate_id": certificate_id, "user_id": user_id, "course_id": course_id,
                    "expired_on": expired_on, "renewed_on": renewed_on}
                   for certificate_id, expired_on, renewed_on in lapse_days(certificates)]
    for table, out in ((CertificateCoverage, days), (CertificateLapse, lapses)):
        for start in range(0, len(out), _BATCH):
            session.execute(insert(table), out[start:start + _BATCH])


def lapse_days(certificates: list) -> list[tuple[int, dt.date, dt.date | None]]:
    """[(certificate id, expiry, first issue of a renewal or None)] for one person's certificates
    of one course, as (id, issued_on, expires_on, revoked_at, withdrawn_at): each that expires and
    stands (not revoked or withdrawn), renewed by another that stands and lasts longer."""
    standing = [(i, issued, expires or NEVER) for i, issued, expires, revoked, withdrawn in certificates
                if revoked is None and withdrawn is None]
    return [(i, expires, min((other_issued for other, other_issued, other_expires in standing
                              if other != i and other_expires > expires), default=None))
            for i, _issued, expires in standing if expires != NEVER]


def _people_concerned(session: Session, organisations: set, requirements: set) -> set:
    """Everyone in these organisations, and everyone a changed requirement applies to (by role,
    or by the kind of their organisation)."""
    roles = [value for what, value in requirements if what == "role"]
    kinds = [value for what, value in requirements if what == "kind"]
    if not (organisations or roles or kinds):
        return set()
    return set(session.scalars(select(User.id).where(
        User.organisation_id.in_(organisations)
        | User.organisation_id.in_(select(Organisation.id).where(Organisation.kind.in_(kinds)))
        | User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))))


def refresh_compliance(user_ids: Iterable[int], session: Session | None = None) -> None:
    session = session or db.session
    ids = sorted(set(user_ids) - {None})
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        session.execute(delete(ComplianceSpan).where(ComplianceSpan.user_id.in_(chunk)))
        _insert_compliance(session, lambda person_id, chunk=chunk: person_id.in_(chunk))


def _insert_compliance(session: Session, of: Callable) -> None:
    """compliance_spans for the people `of(person id column)` selects, from their coverage rows."""
    from volunteer_hub.queries.compliance import _required_pairs

    u, v = User, CertificateCoverage
    required: dict[int, set[int]] = {}
    for user_id, course_id in session.execute(select(_required_pairs(of=of))):
        required.setdefault(user_id, set()).add(course_id)
    if not required:
        return
    coverage: dict[tuple[int, int], list] = {}
    for user_id, course_id, first, last in session.execute(
            select(v.user_id, v.course_id, v.valid_from, v.valid_until).where(of(v.user_id))
            .order_by(v.user_id, v.course_id, v.valid_from)):
        coverage.setdefault((user_id, course_id), []).append((first, last))
    out = []
    for user_id, created_at, organisation_id in session.execute(
            select(u.id, u.created_at, u.organisation_id)
            .where(of(u.id), u.is_active.is_(True), u.erased_at.is_(None)).order_by(u.id)):
        if user_id not in required:
            continue
        days = [coverage.get((user_id, course_id), []) for course_id in sorted(required[user_id])]
        out += [{"user_id": user_id, "valid_from": first, "valid_until": last, "organisation_id": organisation_id,
                 "held": held} for first, last, held in compliance_runs(clock.local_date(created_at), days)]
    for start in range(0, len(out), _BATCH):
        session.execute(insert(ComplianceSpan), out[start:start + _BATCH])


def compliance_runs(since: dt.date, courses: list[list[tuple[dt.date, dt.date]]]) -> list[tuple[dt.date, dt.date, bool]]:
    """[(first day, last day, held every course)] splitting the days from `since` on, given each
    required course's coverage days [(first, last)] (sorted, not overlapping)."""
    held = [(since, NEVER)]
    for spans in courses:
        held = _overlap(held, spans)
    runs, day = [], since
    for first, last in held:
        if first > day:
            runs.append((day, first - _ONE_DAY, False))
        runs.append((first, last, True))
        if last == NEVER:
            return runs
        day = last + _ONE_DAY
    runs.append((day, NEVER, False))
    return runs


def _overlap(a: list, b: list) -> list:
    """The days in both sorted lists of (first, last) spans."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        first, last = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if first <= last:
            out.append((first, last))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


# --- all of it ----------------------------------------------------------------------------------
def rebuild(session: Session | None = None, on_batch: Callable[[int], None] | None = None, *,
            compliance: bool = True) -> None:
    """Every roll-up row again from the tables (after bulk inserts, and in migrations 0016 and
    0019), a few thousand people at a time; `on_batch(n)` after each batch of n people (a progress
    bar). compliance=False leaves compliance_spans alone (migration 0016 comes before its table)."""
    session = session or db.session
    tables = (SessionTotal, TrainedPerson, CertificateCoverage, CertificateLapse) + ((ComplianceSpan,) if compliance else ())
    for table in tables:
        session.execute(delete(table))
    _insert_session_totals(session, true())
    highest = session.scalar(select(func.max(User.id))) or 0
    for start in range(0, highest + 1, _BATCH):
        last = start + _BATCH - 1
        _insert_trained(session, Attendance.user_id.between(start, last))
        _insert_coverage(session, Certificate.user_id.between(start, last))
        if compliance:
            _insert_compliance(session, lambda person_id, start=start, last=last: person_id.between(start, last))
        if on_batch:
            on_batch(min(_BATCH, highest - start + 1))


def rebuild_compliance(session: Session | None = None) -> None:
    """compliance_spans alone, for everyone (migration 0019 fills the new table with it)."""
    session = session or db.session
    session.execute(delete(ComplianceSpan))
    highest = session.scalar(select(func.max(User.id))) or 0
    for start in range(0, highest + 1, _BATCH):
        _insert_compliance(session, lambda person_id, start=start: person_id.between(start, start + _BATCH - 1))
