"""Subject access (UK GDPR art. 15): one zip of everything the site holds about a person.

`write_zip(person, target)` writes the zip into an open binary file (a temporary file for a
download, the output file for `flask privacy export`): `profile.json`, then a CSV and a JSON file
per kind of record, and `README.txt` saying what each is. Rows are read in batches
(`yield_per`) and written as they come, so a long history never sits in memory whole. It reads
only; the caller audits the export (`privacy.exported`) in its own unit of work.

Other people appear as "you", "staff" or "the system", never by name.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from volunteer_hub import clock
from volunteer_hub.audit import ACTIONS, json_value
from volunteer_hub.csvfiles import FORMULA_STARTS
from volunteer_hub.models import (
    Asset,
    AssetLoan,
    Attendance,
    AuditEntry,
    Booking,
    Certificate,
    Course,
    ErasureRequest,
    Holder,
    HolderKind,
    Item,
    NoticeAcceptance,
    Organisation,
    OutboxMessage,
    Place,
    StockMovement,
    TrainingSession,
    User,
    db,
)
from volunteer_hub.queries.certificates import status_of

BATCH = 500
COLUMN_BATCH = 5000


def _local(value: dt.datetime | None) -> str | None:
    return clock.format_local(value) if value else None


@dataclass(frozen=True)
class Table:
    name: str  # the file's name, without .csv/.json
    about: str  # for README.txt
    columns: tuple[str, ...]
    rows: Callable[[User], Iterator[dict | list]]  # a dict by column, or a list of plain values in their order


def _stream(stmt: Select) -> Iterator:
    yield from db.session.execute(stmt.execution_options(yield_per=BATCH))


def _stream_columns(stmt: Select) -> Iterator:
    """Plain columns straight from the connection (same transaction), without the ORM's work per
    row, in bigger batches (fewer round trips to PostgreSQL; a row of columns is small)."""
    yield from db.session.connection().execute(stmt.execution_options(yield_per=COLUMN_BATCH))


def _who(actor_id: int | None, person: User) -> str:
    return "the system" if actor_id is None else "you" if actor_id == person.id else "staff"


def _of_sessions(model, person: User) -> Iterator:
    """(row, course title, session start) of the person's bookings or attendance marks."""
    return _stream(select(model, Course.title, TrainingSession.starts_at)
                   .join(TrainingSession, TrainingSession.id == model.session_id)
                   .join(Course, Course.id == TrainingSession.course_id)
                   .where(model.user_id == person.id).order_by(model.id))


def _bookings(person: User):
    for b, title, starts_at in _of_sessions(Booking, person):
        yield {"booking_id": b.id, "course": title, "session_starts_utc": starts_at,
               "session_starts_london": _local(starts_at), "status": b.status, "place_in_queue": b.queue_number,
               "booked_at_utc": b.created_at, "confirmed_at_utc": b.confirmed_at, "offer_expires_at_utc": b.offer_expires_at,
               "cancelled_at_utc": b.cancelled_at, "late_cancellation": b.is_late_cancellation,
               "booked_by": _who(b.booked_by_id, person) if b.booked_by_id else "you"}


def _attendance(person: User):
    for a, title, starts_at in _of_sessions(Attendance, person):
        yield {"mark_id": a.id, "course": title, "session_starts_utc": starts_at,
               "session_starts_london": _local(starts_at), "mark": a.status, "walk_in": a.is_walk_in,
               "marked_at_utc": a.marked_at}


def _certificates(person: User):
    today = clock.today()
    stmt = (select(Certificate, Course.title).outerjoin(Course, Course.id == Certificate.course_id)
            .where(Certificate.user_id == person.id).order_by(Certificate.id))
    for c, title in _stream(stmt):
        yield {"number": c.number, "course": title or c.title, "issuer": c.issuer, "issued_on": c.issued_on,
               "expires_on": c.expires_on, "status": status_of(c, today).value, "recorded_from_elsewhere": c.is_external,
               "revoked_at_utc": c.revoked_at, "revocation_reason": c.revocation_reason}


def _movements(person: User):
    bag = select(Holder.id).where(Holder.user_id == person.id).scalar_subquery()
    source, target = aliased(Holder), aliased(Holder)
    m = StockMovement
    # Plain columns, not objects: the busiest person (a coordinator recording every delivery) has
    # hundreds of thousands of these, and loading each as three ORM objects was most of the time.
    stmt = (select(m.id, m.kind, Item.name, m.quantity, source.user_id, source.kind, source.name,
                   source.organisation_id, target.user_id, target.kind, target.name, target.organisation_id,
                   m.occurred_on, m.recorded_at, m.recorded_by_id, Place.name, m.place_text, m.event_name, m.reason)
            .join(Item, Item.id == m.item_id)
            .outerjoin(source, source.id == m.from_holder_id)
            .outerjoin(target, target.id == m.to_holder_id)
            .outerjoin(Place, Place.id == m.place_id)
            .where(or_(m.from_holder_id == bag, m.to_holder_id == bag, m.recorded_by_id == person.id))
            .order_by(m.id))

    def holder(user_id, kind, name, organisation_id) -> str | None:
        if kind is None:
            return None
        if user_id == person.id:
            return "your kit bag"
        return name if kind is HolderKind.STORE else "a venue or organisation" if organisation_id else "another kit bag"

    for row in _stream_columns(stmt):  # a list in the columns' order, of plain values (the fast way out of _write_table)
        yield [row[0], row[1].value, row[2], row[3], holder(*row[4:8]), holder(*row[8:12]), row[12].isoformat(),
               row[13].isoformat(), _who(row[14], person), row[15] or row[16], row[17], row[18]]


def _loans(person: User):
    stmt = (select(AssetLoan, Item.name, Asset.serial).join(Asset, Asset.id == AssetLoan.asset_id)
            .join(Item, Item.id == Asset.item_id).where(AssetLoan.user_id == person.id).order_by(AssetLoan.id))
    for loan, item, serial in _stream(stmt):
        yield {"loan_id": loan.id, "item": item, "serial": serial, "out_at_utc": loan.checked_out_at,
               "due_on": loan.due_on, "returned_at_utc": loan.returned_at}


def _emails(person: User):
    stmt = (select(OutboxMessage.created_at, OutboxMessage.subject, OutboxMessage.status, OutboxMessage.sent_at)
            .where(OutboxMessage.recipient_id == person.id).order_by(OutboxMessage.id))
    for created_at, subject, status, sent_at in _stream(stmt):
        yield {"queued_at_utc": created_at, "subject": subject, "status": status, "sent_at_utc": sent_at}


def _patrols(person: User):
    from volunteer_hub.models import PatrolMember, PatrolShift

    stmt = (select(PatrolMember, PatrolShift.title, PatrolShift.starts_at, PatrolShift.ends_at, PatrolShift.status)
            .join(PatrolShift, PatrolShift.id == PatrolMember.shift_id)
            .where(PatrolMember.user_id == person.id).order_by(PatrolMember.id))
    for m, title, starts_at, ends_at, status in _stream(stmt):
        yield {"shift": title, "starts_utc": starts_at, "starts_london": _local(starts_at), "ends_utc": ends_at,
               "shift_status": status, "your_status": m.status, "joined_at_utc": m.joined_at, "left_at_utc": m.left_at,
               "came": m.came, "home_safe_at_utc": m.home_safe_at,
               "checked_out_by": _who(m.checked_out_by_id, person) if m.checked_out_by_id else None,
               "home_safe_alerts_sent": m.escalation_level}


def _audit(person: User):
    stmt = select(AuditEntry).where(AuditEntry.subject_id == person.id).order_by(AuditEntry.id)
    for (e,) in _stream(stmt):
        yield {"at_utc": e.at, "at_london": _local(e.at), "action": ACTIONS.get(e.action, e.action),
               "by": _who(e.actor_id, person), "what_changed": json.dumps(e.changes, sort_keys=True, default=str)}


TABLES = (
    Table("bookings", "every booking and waitlist place: course, session time, status (confirmed, waitlisted, "
          "offered, cancelled, declined, lapsed), when it was made, confirmed or cancelled",
          ("booking_id", "course", "session_starts_utc", "session_starts_london", "status", "place_in_queue",
           "booked_at_utc", "confirmed_at_utc", "offer_expires_at_utc", "cancelled_at_utc", "late_cancellation",
           "booked_by"), _bookings),
    Table("attendance", "the marks trainers gave you on registers (present, late, left early, absent)",
          ("mark_id", "course", "session_starts_utc", "session_starts_london", "mark", "walk_in", "marked_at_utc"),
          _attendance),
    Table("certificates", "your certificates with their numbers and status, including ones recorded from elsewhere",
          ("number", "course", "issuer", "issued_on", "expires_on", "status", "recorded_from_elsewhere",
           "revoked_at_utc", "revocation_reason"), _certificates),
    Table("kit_bag_movements", "stock that went into or out of your kit bag, and movements you recorded "
          "(hand-outs record where and when, never who received them)",
          ("movement_id", "kind", "item", "quantity", "from", "to", "day", "recorded_at_utc", "recorded_by", "place",
           "event", "reason"), _movements),
    Table("loans", "returnable kit (radios and the like) lent to you", ("loan_id", "item", "serial", "out_at_utc",
          "due_on", "returned_at_utc"), _loans),
    Table("patrols", "the patrol shifts you joined or left: whether you came (the lead's register), when you checked "
          "out home safe, and whether an alert went out because you had not (the tallies of a shift are counts "
          "for the whole shift and name nobody)",
          ("shift", "starts_utc", "starts_london", "ends_utc", "shift_status", "your_status", "joined_at_utc",
           "left_at_utc", "came", "home_safe_at_utc", "checked_out_by", "home_safe_alerts_sent"), _patrols),
    Table("emails", "emails the site sent or queued for you: subject, date and status (the bodies are kept for "
          "90 days only and are not included)", ("queued_at_utc", "subject", "status", "sent_at_utc"), _emails),
    Table("audit_trail", "entries of the audit trail about you: what changed, when, and whether you, staff or "
          "the system did it", ("at_utc", "at_london", "action", "by", "what_changed"), _audit),
)


def profile(person: User) -> dict:
    organisation = db.session.get(Organisation, person.organisation_id) if person.organisation_id else None
    acceptances = db.session.execute(select(NoticeAcceptance.version, NoticeAcceptance.accepted_at)
                                     .where(NoticeAcceptance.user_id == person.id).order_by(NoticeAcceptance.id)).all()
    requests = db.session.execute(select(ErasureRequest.requested_at, ErasureRequest.due_on, ErasureRequest.outcome)
                                  .where(ErasureRequest.user_id == person.id).order_by(ErasureRequest.id)).all()
    data = {
        "account_number": person.id,
        "name": person.name, "preferred_name": person.preferred_name, "email": person.email,
        "phone": person.phone, "emergency_contact_name": person.emergency_contact_name,
        "emergency_contact_phone": person.emergency_contact_phone,
        "organisation": organisation.name if organisation else None,
        "roles": sorted(r.value for r in person.roles),
        "agencies_you_see_as_coordinator": [o.name for o in person.agencies] if person.is_coordinator else [],
        "dbs_checked_on": person.dbs_checked_on, "dbs_renew_by": person.dbs_renew_by,
        "account_active": person.is_active, "email_confirmed_at": person.confirmed_at,
        "joined_at": person.created_at, "last_signed_in_at": person.last_seen_at,
        "two_step_sign_in_since": person.totp_enabled_at,
        "privacy_notice_acceptances": [{"version": v, "accepted_at": a} for v, a in acceptances],
        "erasure_requests": [{"requested_at": r, "answer_due_on": d, "outcome": o} for r, d, o in requests],
    }
    return json_value(data)


def _readme(person: User, counts: dict[str, int], partnership: str) -> str:
    lines = [f"Everything {partnership} holds about you (account number {person.id}), made on "
             f"{clock.format_local(clock.now())}.", "",
             "Times ending in _utc are in UTC (ISO 8601); _london columns give the same time in UK time.",
             "Each kind of record comes as a CSV file (for a spreadsheet) and a JSON file (for a program).", "",
             "profile.json: your details, organisation, roles, DBS check dates, the privacy notices you accepted, "
             "when you set up two-step sign-in (never the secret or your password) and any erasure request."]
    for table in TABLES:
        lines.append(f"{table.name}.csv, {table.name}.json ({counts[table.name]} rows): {table.about}.")
    lines += ["", "Other people appear only as 'you', 'staff' or 'the system'.",
              "To correct something, edit Your details or ask a coordinator. To be erased, use 'Ask to be erased' "
              "on Your details."]
    return "\n".join(lines) + "\n"


def write_zip(person: User, target, partnership: str, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the person's zip into the binary file `target`; returns the rows per file."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("profile.json", json.dumps(profile(person), indent=2, ensure_ascii=False))
        for table in TABLES:
            counts[table.name] = _write_table(archive, table, person)
            if progress:
                progress(f"{table.name}: {counts[table.name]} rows")
        archive.writestr("README.txt", _readme(person, counts, partnership))
    return counts


def _entry(name: str) -> zipfile.ZipInfo:
    """A file in the zip dated now (UK time), compressed like the rest (a bare name would be dated 1980)."""
    info = zipfile.ZipInfo(name, date_time=clock.to_local(clock.now()).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # what ZipFile.open itself sets on 3.11 (3.13 names it compress_level)
    return info


def _cell(text: str) -> str:
    """csv_safe for a string, without its conversions (it runs for millions of cells)."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    """json_value, with a fast way out for values that are already plain (most of them: a long
    history is millions of values)."""
    return value if type(value) in _PLAIN else json_value(value)


def _write_table(archive: zipfile.ZipFile, table: Table, person: User) -> int:
    """The CSV into the zip and, in the same pass over the rows, the JSON into a temporary file
    (a zip takes one entry at a time), which is then copied in: the rows are read once."""
    n, encode = 0, json.JSONEncoder(ensure_ascii=False).encode
    with tempfile.TemporaryFile() as spool:
        json_out = io.TextIOWrapper(spool, encoding="utf-8")
        json_out.write("[")
        with archive.open(_entry(f"{table.name}.csv"), "w") as raw, \
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            for row in table.rows(person):
                values = row if type(row) is list else [_plain(row.get(c)) for c in table.columns]
                writer.writerow([_cell(v) if type(v) is str else "" if v is None else v for v in values])
                json_out.write(("," if n else "") + "\n  " + encode(dict(zip(table.columns, values, strict=True))))
                n += 1
        json_out.write("\n]\n" if n else "]\n")
        json_out.flush()
        spool.seek(0)
        with archive.open(_entry(f"{table.name}.json"), "w") as raw:
            shutil.copyfileobj(spool, raw, 1024 * 1024)
        json_out.detach()
    return n
