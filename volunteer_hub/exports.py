"""Downloads of personal data: every one is rate-limited per person and leaves an audit entry.

    @bp.get("/people/export.csv")
    @role_required(*STAFF)
    @export_limit
    def directory_export():
        return audited_csv("export.directory", rows, "volunteers.csv")

A download discloses personal data, so it is recorded like a change: the entry is committed
(in its own short transaction, through the unit of work) before the first row is sent. It names
the filters used, never what was typed into a search box (that may be a name).
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, request
from flask_login import current_user

from volunteer_hub import audit
from volunteer_hub.csvfiles import csv_response
from volunteer_hub.extensions import limiter
from volunteer_hub.unit_of_work import unit_of_work

_FREE_TEXT = {"q"}  # query-string fields a person types into (recorded only as "searched")


def _per_person() -> str:
    return f"export:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


export_limit = limiter.limit(lambda: current_app.config["VH_EXPORT_LIMIT"], key_func=_per_person)


def download_facts() -> dict:
    """What the trail keeps of a download's request: its filters, and whether it searched."""
    filters = {key: value for key, value in request.args.items(multi=False) if value and key not in _FREE_TEXT}
    facts: dict = {"filters": filters}
    if any(request.args.get(key) for key in _FREE_TEXT):
        facts["searched"] = True
    return facts


def audited_csv(action: str, rows: Iterable[list], filename: str, **target):
    """Record the download (`action`, and `object_type`/`object_id`/`subject_id` if it is about
    one thing), then stream `rows` as a CSV attachment."""
    with unit_of_work():
        audit.record(action, facts=download_facts(), **target)
    return csv_response(rows, filename)
