"""Who is acting, for the services and the audit trail: one accessor, set by the unit of work.

In a request the actor is the signed-in person; in a command or scheduled job it is nobody (the
system) unless the command says otherwise. Services that record "by whom" read it here instead of
being handed it through every call.
"""
from __future__ import annotations

from flask import g, has_app_context, has_request_context, request

_UNSET = object()


def set_actor(person) -> None:
    """The person (a User, or None for the system) acting from now on in this context."""
    g.actor = person


def acting_person():
    """The acting person (a User), or None for the system or a signed-out visitor."""
    if not has_app_context():
        return None
    actor = g.get("actor", _UNSET)
    if actor is _UNSET:
        actor = _signed_in_person()
    return actor


def acting_person_id() -> int | None:
    person = acting_person()
    return person.id if person is not None else None


def request_address() -> str | None:
    """The address the request came from (after ProxyFix, the client's), None outside a request."""
    return request.remote_addr if has_request_context() else None


def _signed_in_person():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user._get_current_object() if current_user.is_authenticated else None
