"""Demo patrols: eight weeks of Friday and Saturday nights, a shift tonight that the demo volunteer
is on (so its night page can be tried), and last Saturday's shift, run and counted."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from volunteer_hub import clock
from volunteer_hub.models import (
    Course,
    MemberStatus,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    TallyKind,
    User,
    db,
    utcnow,
)
from volunteer_hub.services import patrols as svc


def _person(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _join(shift: PatrolShift, people, **values) -> None:
    """Demo people join directly (the demo does not hold every certificate the rota asks for)."""
    for person in people:
        if person is not None:
            db.session.add(PatrolMember(shift_id=shift.id, user_id=person.id, status=MemberStatus.JOINED, **values))
    db.session.flush()


def seed() -> None:
    if db.session.scalar(select(PatrolShift.id).limit(1)):
        return
    coordinator, volunteer = _person("coordinator@example.org"), _person("volunteer@example.org")
    lead, second, third = (_person(f"demo.volunteer{n}@example.org") for n in (1, 2, 3))
    bystander = db.session.scalar(select(Course).where(Course.title == "Bystander intervention"))
    today = clock.today()
    common = dict(title="Town centre patrol", area="High Street, Market Square, the bus station",
                  meeting_point="Market Square clock tower", on_call=coordinator, min_people=2,
                  max_people=6, courses=[bystander] if bystander else [], needs_dbs=True, by=coordinator,
                  notes="Bring your kit bag, a torch and a charged phone. Hi-vis jackets are at the meeting point.")
    shifts = svc.create_weekly_pattern(first_day=today + dt.timedelta(days=1), weekdays={4, 5}, weeks=8,
                                       start_time=dt.time(22), end_time=dt.time(3), **common)
    for shift in shifts:  # the demo lead is named directly (the rota form checks a lead's certificates)
        shift.lead = lead
        _join(shift, [lead])
    _join(shifts[0], [second])  # shifts[1] has only its lead: flagged as too few
    # Tonight, starting within the hour: the demo volunteer can open its night page, the lead its register.
    start = utcnow().replace(second=0, microsecond=0) + dt.timedelta(minutes=50)
    tonight = PatrolShift(title="Tonight's patrol (demo)", area=common["area"], meeting_point=common["meeting_point"],
                          starts_at=start, ends_at=start + dt.timedelta(hours=5), lead=lead, on_call=coordinator,
                          min_people=2, max_people=6, needs_dbs=False, created_by_id=coordinator.id)
    db.session.add(tonight)
    db.session.flush()
    _join(tonight, [lead, volunteer, third])
    # Last Saturday: run, everyone home safe, its tallies kept.
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    begun, ended = svc.shift_times(saturday, dt.time(22), dt.time(3))
    past = PatrolShift(title="Town centre patrol", area=common["area"], meeting_point=common["meeting_point"],
                       starts_at=begun, ends_at=ended, lead=lead, on_call=coordinator, min_people=2, max_people=6,
                       needs_dbs=False, started_at=begun, started_by_id=lead.id if lead else None,
                       created_by_id=coordinator.id)
    db.session.add(past)
    db.session.flush()
    _join(past, [lead, volunteer, second], came=True, home_safe_at=ended + dt.timedelta(minutes=20))
    for kind, count in ((TallyKind.WELFARE_ASSIST, 7), (TallyKind.ASK_FOR_ANGELA, 2), (TallyKind.FIRST_AID, 1),
                        (TallyKind.HELPED_HOME, 3), (TallyKind.POLICE_REPORT, 1)):
        db.session.add(PatrolTally(shift_id=past.id, kind=kind, count=count))
    db.session.flush()
