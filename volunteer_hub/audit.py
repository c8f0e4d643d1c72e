"""Write the audit trail: `record(action, ...)` adds one row in the current transaction, so it
commits with the change it describes and rolls back with it. Services call it where the change
is made; the acting person and their address come from `volunteer_hub.actor` (set by the unit of
work), never from arguments.

    before = audit.snapshot(person, ("dbs_checked_on", "dbs_renew_by"))
    person.dbs_checked_on = ...
    audit.record("person.vetting", person, subject=person, before=before)

`changes` holds only what changed (`{"field": [before, after]}`), and any plain facts the action
needs (`facts={"rows": 12}`). Name people by id: never put a name or an email in an entry.
"""
from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

from volunteer_hub.actor import acting_person_id, request_address
from volunteer_hub.models import AuditEntry, db

# Every action the trail records, with the words the audit page shows. `record` refuses others,
# so a typo cannot start a new kind of entry nobody can filter by.
ACTIONS: dict[str, str] = {
    "person.role_granted": "Role given",
    "person.role_removed": "Role removed",
    "person.deactivated": "Account deactivated",
    "person.reactivated": "Account reactivated",
    "person.organisation": "Organisation changed",
    "person.vetting": "DBS check changed",
    "person.scopes": "Agencies changed",
    "people.imported": "People imported (CSV)",
    "export.directory": "Directory downloaded (CSV)",
    "export.compliance": "Compliance downloaded (CSV)",
    "export.movements": "Stock movements downloaded (CSV)",
    "export.audit": "Audit trail downloaded (CSV)",
    "register.finalised": "Register finalised",
    "attendance.corrected": "Attendance corrected",
    "certificate.revoked": "Certificate revoked",
    "certificate.external": "External certificate recorded",
    "stock.written_off": "Stock written off",
    "stock.stocktake": "Stocktake",
    "stock.reversed": "Movement reversed",
    "auth.signed_in": "Signed in (staff)",
    "auth.sign_in_failed": "Sign-in failed",
    "auth.two_factor_enabled": "Two-step sign-in set up",
    "auth.two_factor_reset": "Two-step sign-in reset",
    "auth.signed_out_everywhere": "Signed out everywhere",
    "privacy.notice_accepted": "Privacy notice accepted",
    "privacy.exported": "Personal data downloaded (subject access)",
    "privacy.erasure_requested": "Erasure requested",
    "privacy.erasure_declined": "Erasure request declined",
    "privacy.erased": "Person erased",
    "privacy.retention_warned": "Warned before retention erasure",
    "privacy.kept": "Kept the account (retention)",
    "privacy.audit_purged": "Old audit entries deleted (retention)",
    "patrol.confirmed": "Patrol confirmed with too few people",
    "patrol.cancelled": "Patrol cancelled",
    "patrol.started": "Patrol register taken",
    "report.published": "Year's figures published (/our-year)",
    "report.withdrawn": "Published figures withdrawn",
}


def json_value(value):
    """A value as JSON can hold it (also the subject-access download's)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted((json_value(v) for v in value), key=str)
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The named attributes of `obj`, as JSON values (the "before" of a change)."""
    return {name: json_value(getattr(obj, name)) for name in fields}


def changed(before: Mapping, after: Mapping) -> dict:
    """{"field": [before, after]} for each field whose value differs."""
    return {name: [before.get(name), after.get(name)] for name in after if before.get(name) != after.get(name)}


def record(action: str, obj=None, *, subject=None, subject_id: int | None = None,
           object_type: str | None = None, object_id: int | None = None,
           before: Mapping | None = None, after: Mapping | None = None, facts: Mapping | None = None,
           actor_id: int | None = None) -> AuditEntry:
    """Add one entry for `action` on `obj` (a model instance; or name it by type and id), about the
    person `subject` (or `subject_id`). With `before`, the "after" is read from `obj` for the same
    fields unless given; only fields that changed are kept. Flushed, never committed."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to audit.ACTIONS")
    if obj is not None:
        db.session.flush()  # a new object has its id
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    changes: dict = {}
    if before is not None:
        after = after if after is not None else snapshot(obj, before.keys())
        changes.update(changed({k: json_value(v) for k, v in before.items()}, {k: json_value(v) for k, v in after.items()}))
    elif after is not None:
        changes.update({k: [None, json_value(v)] for k, v in after.items()})
    if facts:
        changes.update({k: json_value(v) for k, v in facts.items()})
    entry = AuditEntry(
        actor_id=actor_id if actor_id is not None else acting_person_id(),
        address=request_address(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subject.id if subject is not None else subject_id,
        changes=changes,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
