"""Courses: what is taught, for how long, and what must come first."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Course,
    db,
)

# --- courses -------------------------------------------------------------------------------
COURSE_FIELDS = ("title", "summary", "description", "duration_minutes", "audience", "validity_months",
                 "prerequisite_id", "gives_certificate", "late_counts_as_attended", "is_active")


def save_course(course: Course | None, **values) -> Course:
    """Create a course (course=None) or change one."""
    course = course or Course()
    title = (values.get("title") or "").strip()
    if not title:
        raise ValidationFailed("Enter the course title.", "title")
    clash = db.session.scalar(select(Course).where(func.lower(Course.title) == title.lower(), Course.id != (course.id or 0)))
    if clash is not None:
        raise Conflict(f"There is already a course called {clash.title}.", "title")
    prerequisite_id = values.get("prerequisite_id")
    if prerequisite_id is not None:
        if course.id is not None and prerequisite_id == course.id:
            raise ValidationFailed("A course cannot be its own prerequisite.", "prerequisite_id")
        if db.session.get(Course, prerequisite_id) is None:
            raise ValidationFailed("Choose a prerequisite from the list.", "prerequisite_id")
    for key in COURSE_FIELDS:
        if key in values:
            value = values[key]
            setattr(course, key, value.strip() if isinstance(value, str) else value)
    course.title = title
    if course.id is None:
        db.session.add(course)
    db.session.flush()
    return course


def list_courses(include_retired: bool = True) -> list[Course]:
    stmt = select(Course).options(selectinload(Course.prerequisite)).order_by(Course.is_active.desc(), Course.title)
    if not include_retired:
        stmt = stmt.where(Course.is_active.is_(True))
    return list(db.session.scalars(stmt))


