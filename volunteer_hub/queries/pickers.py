"""Searchable pickers instead of a choice list of everyone (and of every venue): at most PICK_LIMIT matches for what was
typed (name, preferred name or email), only of people the viewer may see, as plain rows. The
forms show the matches and the people already ticked; the JSON suggestions (people.suggest) read
the same function, so the two never disagree about who can be picked."""
from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from volunteer_hub.models import Organisation, Role, User, UserRole, db
from volunteer_hub.security import scope_to_viewer

PICK_LIMIT = 20


def _label(name: str, organisation: str | None) -> str:
    return f"{name} ({organisation})" if organisation else name


def _people(viewer: User, role: Role | None = None, *, by_name: bool = False):
    """With `by_name` (the first names, nothing typed) the role is tested person by person as the
    name index is walked, which stops after a page; otherwise everyone with the role is read
    first (a few thousand trainers), which is cheaper than testing a search on every name."""
    stmt = (select(User.id, User.name, Organisation.name)
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .where(User.is_active.is_(True), User.erased_at.is_(None)))
    if role is not None and by_name:
        stmt = stmt.where(exists().where(UserRole.user_id == User.id, UserRole.role == role))
    elif role is not None:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if role is Role.TRAINER:
        return stmt  # trainers are named on every session's page: any coordinator may choose any of them
    return scope_to_viewer(stmt, viewer)


def people_matching(viewer: User, q: str, *, role: Role | None = None, limit: int = PICK_LIMIT) -> list[tuple[int, str]]:
    """[(id, "Name (Organisation)")] of up to `limit` active people matching `q` (all of them, by
    name, when `q` is empty), whom `viewer` may see; one more than `limit` means "there are more"."""
    text = (q or "").strip().lower()
    stmt = _people(viewer, role, by_name=not text)
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), func.lower(User.preferred_name).like(like),
                              User.email.like(like)))
    rows = db.session.execute(stmt.order_by(func.lower(User.name), User.id).limit(limit + 1)).all()
    return [(i, _label(n, o)) for i, n, o in rows]


def people_named(viewer: User, ids, *, role: Role | None = None) -> list[tuple[int, str]]:
    """The ticked people (their ids from the form), labelled, if `viewer` may see them."""
    ids = sorted({int(i) for i in ids or () if str(i).isdigit()})[:200]
    if not ids:
        return []
    rows = db.session.execute(_people(viewer, role).where(User.id.in_(ids)).order_by(func.lower(User.name))).all()
    return [(i, _label(n, o)) for i, n, o in rows]


def _venues():
    return select(Organisation.id, Organisation.name).where(Organisation.retired_at.is_(None))


def venues_matching(q: str, *, limit: int = PICK_LIMIT) -> list[tuple[int, str]]:
    """[(id, name)] of up to `limit` open venues and organisations whose name contains `q` (all,
    by name, when empty); one more than `limit` means "there are more". Stock is the partnership's,
    so every coordinator may issue to any of them."""
    stmt = _venues()
    text = (q or "").strip().lower()
    if text:
        stmt = stmt.where(func.lower(Organisation.name).like(f"%{text}%"))
    return [tuple(r) for r in db.session.execute(stmt.order_by(func.lower(Organisation.name), Organisation.id)
                                                 .limit(limit + 1)).all()]


def venues_named(ids) -> list[tuple[int, str]]:
    """The ticked venues (their ids from the form), by name."""
    ids = sorted({int(i) for i in ids or () if str(i).isdigit()})[:200]
    if not ids:
        return []
    return [tuple(r) for r in db.session.execute(_venues().where(Organisation.id.in_(ids))
                                                 .order_by(func.lower(Organisation.name))).all()]
