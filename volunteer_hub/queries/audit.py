"""The audit trail as people read it: the audit page (filtered, paginated, downloadable) and the
latest entries on a person's page. Every reader takes the viewer and goes through
`security.visible_audit`: a coordinator limited to some agencies sees entries about their people
and their own actions, nobody else's.

Entries hold ids; names are looked up when the page is drawn (an erased person reads "Erased
person"), so history never has to be rewritten.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Select, select

from volunteer_hub import clock
from volunteer_hub.audit import ACTIONS
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.models import AuditEntry, User, db
from volunteer_hub.pagination import CappedPage, paginate_capped
from volunteer_hub.security import visible_audit

# What the object columns say, by table.
OBJECT_LABELS = {
    "users": "Person",
    "training_sessions": "Training session",
    "attendances": "Attendance",
    "certificates": "Certificate",
    "holders": "Stock holder",
    "stock_movements": "Stock movement",
}

# How the fields and facts of `changes` read.
FIELD_LABELS = {
    "organisation_id": "Organisation",
    "dbs_checked_on": "DBS checked on",
    "dbs_renew_by": "DBS renew by",
    "is_active": "Can sign in",
    "role": "Role",
    "status": "Status",
    "revoked_at": "Revoked",
    "course_id": "Course",
    "issued_on": "Issued on",
    "expires_on": "Expires on",
    "rows": "Rows in the file",
    "created": "People created",
    "already_had_an_account": "Already had an account",
    "certificates_issued": "Certificates issued",
    "correction_id": "Correction",
    "holder_id": "Holder",
    "movements": "Movements",
    "items": "Items (id, quantity)",
    "filters": "Filters",
    "searched": "Searched by name or email",
    "agency_ids": "Agencies",
    "organisation_ids": "Agencies (organisation numbers)",
    "again": "Set up again",
    "method": "With",
    "sees_all_agencies": "All agencies",
    "reason": "Reason",
}


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    subject_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass
class AuditRow:
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str  # the acting person's name now, or "System"
    address: str | None
    action: str
    action_label: str
    object_type: str | None
    object_label: str
    object_id: int | None
    subject_id: int | None
    subject: str | None
    changes: list[str]  # "DBS renew by: — → 2029-01-05"
    raw_changes: dict


def audit_query(f: AuditFilter, viewer: User) -> Select:
    """The entries `viewer` may see that match `f`, newest first."""
    stmt = visible_audit(select(AuditEntry), viewer)
    if f.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == f.actor_id)
    if f.subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == f.subject_id)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == f.object_id)
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= clock.start_of_day(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEntry.at < clock.start_of_day(f.date_to + dt.timedelta(days=1)))
    return stmt.order_by(AuditEntry.id.desc())


def audit_page(f: AuditFilter, viewer: User, page: int, per_page: int, cap: int) -> CappedPage:
    """One page of the trail (two queries for the entries and the capped count, one for names)."""
    result = paginate_capped(audit_query(f, viewer), page, per_page, cap)
    result.items = readable(result.items)
    return result


def latest_about(person: User, viewer: User, limit: int = 10) -> list[AuditRow]:
    """The newest entries about `person` (the person page's panel)."""
    stmt = audit_query(AuditFilter(subject_id=person.id), viewer).limit(limit)
    return readable(list(db.session.scalars(stmt)))


def readable(entries: list[AuditEntry]) -> list[AuditRow]:
    """Entries with the names of the people in them, looked up now, in one query."""
    ids = {i for e in entries for i in (e.actor_id, e.subject_id) if i is not None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [_row(e, names) for e in entries]


def _row(e: AuditEntry, names: dict[int, str]) -> AuditRow:
    return AuditRow(
        id=e.id, at=e.at, actor_id=e.actor_id,
        actor=names.get(e.actor_id, "Erased person") if e.actor_id is not None else "System",
        address=e.address, action=e.action, action_label=ACTIONS.get(e.action, e.action),
        object_type=e.object_type, object_label=OBJECT_LABELS.get(e.object_type or "", e.object_type or ""),
        object_id=e.object_id, subject_id=e.subject_id,
        subject=names.get(e.subject_id, "Erased person") if e.subject_id is not None else None,
        changes=describe_changes(e.changes or {}), raw_changes=e.changes or {},
    )


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value == {} or value == []:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {v}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def describe_changes(changes: dict) -> list[str]:
    lines = []
    for key, value in changes.items():
        label = FIELD_LABELS.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, list) and len(value) == 2 and key not in ("movements", "items", "agency_ids"):
            # [before, after]
            lines.append(f"{label}: {_value(value[0])} → {_value(value[1])}")
        else:
            lines.append(f"{label}: {_value(value)}")
    return lines


CSV_HEADER = ["Entry", "When (UK time)", "Acting person id", "Acting person", "Address", "Action",
              "Object", "Object id", "Person affected id", "Person affected", "Changes"]


def audit_csv_rows(f: AuditFilter, viewer: User):
    """The download: every matching entry, a batch of names at a time (never all in memory)."""
    yield CSV_HEADER
    stmt = audit_query(f, viewer).execution_options(yield_per=500)
    batch: list[AuditEntry] = []
    for entry in db.session.scalars(stmt):
        batch.append(entry)
        if len(batch) == 500:
            yield from _csv_lines(batch)
            batch = []
    yield from _csv_lines(batch)


def _csv_lines(batch: list[AuditEntry]):
    for row in readable(batch):
        yield [row.id, clock.format_local(row.at, "iso"), row.actor_id or "", csv_safe(row.actor), row.address or "",
               row.action_label, row.object_label, row.object_id or "", row.subject_id or "",
               csv_safe(row.subject or ""), csv_safe("; ".join(row.changes))]


def find_person_id(text: str) -> int | None:
    """The id of the person an audit filter names: their account number, or their email."""
    text = (text or "").strip()
    if text.isdigit():
        return db.session.scalar(select(User.id).where(User.id == int(text))) if int(text) < 2**31 else None
    return db.session.scalar(select(User.id).where(User.email == text.lower(), User.erased_at.is_(None)))
