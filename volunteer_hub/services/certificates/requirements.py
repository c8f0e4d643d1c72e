"""Compliance requirements: which courses each kind of organisation and role must hold."""
from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import joinedload

from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import (
    ComplianceRequirement,
    Course,
    OrganisationKind,
    Role,
    db,
)


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


