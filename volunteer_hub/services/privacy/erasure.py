"""Erasure (UK GDPR art. 17) that keeps the partnership's figures true.

The person's row stays, so every booking, attendance mark, certificate and stock movement that
points at it still counts; what identifies them goes: name, email, phone, emergency contact,
vetting dates, password, second factor, notice acceptances, calendar feed, agencies. Everywhere
they appeared they read "Removed person #id". Future bookings are cancelled through the booking
service (a waitlist place passes on, as for any cancellation); pending emails are dropped and
sent ones lose their address and body; what is in their kit bag goes back to a store, and a loan
is checked in, so no unit is lost. The erasure is audited by id, with the reason and counts.

`erasure_plan(person)` is what an admin sees before confirming; `erase_person(...)` does it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, delete, func, select, update

from volunteer_hub import audit, clock
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import (
    ACTIVE,
    AssetLoan,
    Attendance,
    AttendanceCorrection,
    Booking,
    CalendarFeed,
    Certificate,
    CoordinatorAgency,
    ErasureRequest,
    Holder,
    NoticeAcceptance,
    OutboxMessage,
    OutboxStatus,
    RecoveryCode,
    Role,
    StockBalance,
    TrainingSession,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.security import forget_scope
from volunteer_hub.services.outbox import queue_email

REMOVED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: no mail can ever be delivered there
REMOVED_TEXT = "(removed with the person)"  # in place of free text staff typed about them
STAFF_ROLES = (Role.TRAINER, Role.COORDINATOR, Role.ADMIN)


def removed_name(person_id: int) -> str:
    return f"Removed person #{person_id}"


def removed_email(person_id: int) -> str:
    return f"removed-{person_id}@{REMOVED_EMAIL_DOMAIN}"


@dataclass
class ErasurePlan:
    """What erasing a person will do, for the confirmation page and the command."""
    future_bookings: list[Booking] = field(default_factory=list)
    kit_bag: Holder | None = None
    held: list[StockBalance] = field(default_factory=list)
    loans: list[AssetLoan] = field(default_factory=list)
    pending_emails: int = 0
    open_request: ErasureRequest | None = None

    @property
    def holds_kit(self) -> bool:
        return bool(self.held or self.loans)


def erasure_plan(person: User) -> ErasurePlan:
    now = utcnow()
    plan = ErasurePlan()
    plan.future_bookings = list(db.session.scalars(
        select(Booking).join(TrainingSession)
        .where(Booking.user_id == person.id, Booking.status.in_(ACTIVE), TrainingSession.starts_at > now)
        .order_by(TrainingSession.starts_at)
    ))
    plan.kit_bag = db.session.scalar(select(Holder).where(Holder.user_id == person.id))
    if plan.kit_bag is not None:
        plan.held = list(db.session.scalars(
            select(StockBalance).where(StockBalance.holder_id == plan.kit_bag.id, StockBalance.quantity > 0)
        ))
    plan.loans = list(db.session.scalars(
        select(AssetLoan).where(AssetLoan.user_id == person.id, AssetLoan.returned_at.is_(None))
    ))
    plan.pending_emails = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.recipient_id == person.id, OutboxMessage.status == OutboxStatus.PENDING)
    ) or 0
    plan.open_request = open_erasure_request(person)
    return plan


def open_erasure_request(person: User) -> ErasureRequest | None:
    return db.session.scalar(
        select(ErasureRequest).where(ErasureRequest.user_id == person.id, ErasureRequest.closed_at.is_(None))
    )


def check_erasable(person: User, by: User | None) -> None:
    if person.is_erased:
        raise Conflict(f"{removed_name(person.id)} has already been erased.")
    if by is not None and by.id == person.id:
        raise NotAllowed("You cannot erase your own account here: another admin can, or ask from Your details.")
    if person.is_admin:
        others = db.session.scalar(
            select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
            .where(UserRole.role == Role.ADMIN, User.is_active.is_(True), User.id != person.id)
        )
        if not others:
            raise Conflict("This is the last admin. Make someone else an admin first.")


def erase_person(person: User, reason: str, *, by: User | None, store: Holder | None = None,
                 confirmation: str | None = None) -> dict:
    """Erase a person. `confirmation`, when given (the web form), must be the person's name as
    shown; `store` receives whatever is still in their kit bag. Returns the counts it audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why this person is being erased (it is kept in the audit trail).", "reason")
    if confirmation is not None and confirmation.strip().casefold() != person.name.strip().casefold():
        raise ValidationFailed(f"Type the person's name, {person.name}, to confirm.", "confirmation")
    # Lock the row: two admins (or an admin and the retention job) erase once.
    db.session.execute(select(User.id).where(User.id == person.id).with_for_update())
    db.session.refresh(person)
    check_erasable(person, by)
    plan = erasure_plan(person)
    if plan.holds_kit and store is None:
        raise ValidationFailed("This person still holds kit: choose the store it goes back to.", "store_id")
    if store is not None and not store.is_store:
        raise ValidationFailed("Choose a store.", "store_id")

    from volunteer_hub.services.equipment import check_in_asset, issue_stock
    from volunteer_hub.services.training import cancel_booking

    counts = {
        "bookings_cancelled": len(plan.future_bookings),
        "items_returned": sum(b.quantity for b in plan.held),
        "loans_checked_in": len(plan.loans),
    }
    actor = by or person
    for booking in plan.future_bookings:
        cancel_booking(booking, by=actor)  # the next person waiting is offered the place
    for item, quantity in [(b.item, b.quantity) for b in plan.held]:
        issue_stock(plan.kit_bag, item, [store], quantity, by=actor,
                    reason=f"Returned when {removed_name(person.id)} was erased")
    for loan in plan.loans:
        check_in_asset(loan.asset, by=actor)

    counts["emails_dropped"] = _forget_emails(person.id)
    _forget_details(person)
    for model, column in ((RecoveryCode, RecoveryCode.user_id), (NoticeAcceptance, NoticeAcceptance.user_id),
                          (CalendarFeed, CalendarFeed.user_id), (CoordinatorAgency, CoordinatorAgency.user_id)):
        db.session.execute(delete(model).where(column == person.id))
    db.session.execute(delete(UserRole).where(UserRole.user_id == person.id, UserRole.role.in_(STAFF_ROLES)))
    _forget_free_text(person.id)
    db.session.execute(update(ErasureRequest)
                       .where(ErasureRequest.user_id == person.id, ErasureRequest.closed_at.is_(None))
                       .values(closed_at=utcnow(), outcome="erased"))
    db.session.expire(person)
    forget_scope(person)
    audit.record("privacy.erased", person, subject=person, facts={"reason": reason, **counts})
    return counts


def _forget_emails(person_id: int) -> int:
    dropped = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.recipient_id == person_id,
                                    OutboxMessage.status == OutboxStatus.PENDING)
    ).rowcount
    # Sent and failed ones stay for the figures (how many, when, status), without what identifies.
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.recipient_id == person_id)
        .values(recipient=removed_email(person_id), body_text="", body_html="", attachments=[], last_error=None)
    )
    return dropped


def _forget_details(person: User) -> None:
    person.name = removed_name(person.id)
    person.email = removed_email(person.id)
    for name in ("preferred_name", "phone", "emergency_contact_name", "emergency_contact_phone", "pending_email",
                 "password_hash", "dbs_checked_on", "dbs_renew_by", "totp_secret", "totp_enabled_at",
                 "totp_last_step", "privacy_notice_version", "privacy_accepted_at", "retention_warned_at"):
        setattr(person, name, None)
    person.is_active = False
    person.sees_all_agencies = False
    person.session_version += 1  # signed out everywhere
    person.erased_at = utcnow()
    db.session.flush()


def _forget_free_text(person_id: int) -> None:
    """Notes staff typed about this person may name them: they go, the facts stay."""
    # A revoked certificate must keep a reason (a CHECK says so): it keeps that it was revoked.
    db.session.execute(update(Certificate).where(Certificate.user_id == person_id)
                       .values(evidence_note=None,
                               revocation_reason=case((Certificate.revoked_at.is_not(None), REMOVED_TEXT), else_=None)))
    attendance_ids = select(Attendance.id).where(Attendance.user_id == person_id).scalar_subquery()
    db.session.execute(update(AttendanceCorrection).where(AttendanceCorrection.attendance_id.in_(attendance_ids))
                       .values(reason=REMOVED_TEXT))


# --- requests from the person -------------------------------------------------------------------
def request_erasure(person: User, days: int) -> ErasureRequest:
    """The person asks to be erased: one open request, answered within `days`."""
    existing = open_erasure_request(person)
    if existing is not None:
        return existing
    request = ErasureRequest(user_id=person.id, requested_at=utcnow(), due_on=clock.today() + dt.timedelta(days=days))
    db.session.add(request)
    db.session.flush()
    audit.record("privacy.erasure_requested", request, subject=person, facts={"due_on": request.due_on})
    return request


def decline_erasure(request: ErasureRequest, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the request is declined (the person is told).", "reason")
    if request.closed_at is not None:
        raise Conflict("This request has already been answered.")
    request.closed_at = utcnow()
    request.outcome = "declined"
    db.session.flush()
    person = db.session.get(User, request.user_id)
    queue_email(f"erasure-declined:{request.id}", person.email, "Your request to be erased", "privacy_erasure_declined",
                recipient_id=person.id, user=person, reason=reason)
    audit.record("privacy.erasure_declined", request, subject_id=request.user_id, facts={"reason": reason})


def open_requests() -> list[tuple[ErasureRequest, User]]:
    """Open requests, the soonest deadline first (the admin's home page)."""
    return list(db.session.execute(
        select(ErasureRequest, User).join(User, User.id == ErasureRequest.user_id)
        .where(ErasureRequest.closed_at.is_(None)).order_by(ErasureRequest.due_on, ErasureRequest.id)
    ).all())
