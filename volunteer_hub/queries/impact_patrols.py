"""The impact report's "On patrol" figures (and the patrol figures page): one statement of tagged
rows, which the report runs in the same union as its people figures."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, and_, case, cast, distinct, func, literal, null, select, union_all

from volunteer_hub.models import (
    KitCount,
    KitCountPhase,
    MovementKind,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    ShiftStatus,
    StockMovement,
    TallyKind,
)
from volunteer_hub.queries.impact import Period, Scope, _in, _not_reversed, _people_selects, _read_people, _rows, _which
from volunteer_hub.queries.patrols import patrol_hours


def _patrol_selects(current: Period, scope: Scope) -> list:
    """Tagged rows for both periods, every column an integer (so they join the people statement's
    union): shifts run and cancelled for too few, volunteer hours (in hundredths) and people,
    tallies by kind (its position in TallyKind), hand-outs by item and by listed place (this period;
    typed places together), kit-bag variance in units and shifts."""
    from volunteer_hub.models import (
        TallyKind,
    )

    previous = current.previous()
    s, pm, m = PatrolShift, PatrolMember, StockMovement
    both = and_(s.starts_at >= previous.starts_at, s.starts_at < current.ends_at)
    which = _which(s.starts_at, current)
    came = and_(both, pm.came.is_(True), s.status == ShiftStatus.SCHEDULED, scope.condition(pm.user_id))
    # A patrol's hand-outs: its movements read through their index by shift (a few per shift),
    # then those that are hand-outs not reversed counted. Asked as "hand-outs of these shifts",
    # SQLite's planner walked every hand-out of two years by kind instead (400 ms at scale 100).
    handed = func.sum(case((and_(m.kind == MovementKind.HAND_OUT, _not_reversed(m)), m.quantity), else_=0))

    def of_shifts(period: Period):
        return m.patrol_shift_id.in_(select(s.id).where(_in(s.starts_at, period)))

    kind = case(*[(PatrolTally.kind == k, n) for n, k in enumerate(TallyKind)])
    no_id, zero = cast(null(), Integer), literal(0)
    return [
        select(literal("patrol_shifts"), which, no_id,
               func.count(case((and_(s.status == ShiftStatus.SCHEDULED, s.started_at.is_not(None)), 1))),
               func.count(case((and_(s.status == ShiftStatus.CANCELLED, s.cancelled_for_too_few.is_(True)), 1))), zero)
        .select_from(s).where(both).group_by(which),
        select(literal("patrol_people"), which, no_id, cast(func.round(patrol_hours() * 100), Integer),
               func.count(distinct(pm.user_id)), zero)
        .select_from(pm).join(s, s.id == pm.shift_id).where(came).group_by(which),
        select(literal("patrol_tally"), which, kind, func.sum(PatrolTally.count), zero, zero)
        .select_from(PatrolTally).join(s, s.id == PatrolTally.shift_id).where(both).group_by(which, kind),
        *[select(literal("patrol_item"), literal(n), m.item_id, handed, zero, zero)
          .where(of_shifts(period)).group_by(m.item_id) for n, period in ((1, current), (0, previous))],
        select(literal("patrol_place"), literal(1), m.place_id, handed, zero, zero)
        .where(of_shifts(current)).group_by(m.place_id),
        select(literal("patrol_variance"), which, no_id, func.sum(func.abs(KitCount.ledger - KitCount.counted)),
               func.count(distinct(case((KitCount.ledger != KitCount.counted, s.id)))), zero)
        .select_from(KitCount).join(pm, pm.id == KitCount.member_id).join(s, s.id == pm.shift_id)
        .where(both, KitCount.phase == KitCountPhase.IN, scope.condition(pm.user_id)).group_by(which),
    ]


def _read_patrols(rows) -> dict:
    kinds = list(TallyKind)
    out = {"run": {0: 0, 1: 0}, "too_few": {0: 0, 1: 0}, "hours": {0: 0.0, 1: 0.0}, "people": {0: 0, 1: 0},
           "variance": {0: 0, 1: 0}, "variance_shifts": {0: 0, 1: 0}, "tallies": defaultdict(int),
           "items": defaultdict(int), "places": []}
    for tag, current_, key, value, extra, _zero in rows:
        if tag == "patrol_shifts":
            out["run"][current_], out["too_few"][current_] = int(value), int(extra)
        elif tag == "patrol_people":
            out["hours"][current_], out["people"][current_] = round(int(value or 0) / 100, 1), int(extra)
        elif tag == "patrol_tally":
            out["tallies"][(current_, kinds[key].value)] += int(value or 0)
        elif tag == "patrol_item" and value:  # 0: the shift moved the item only by a count difference
            out["items"][(current_, key)] += int(value)
        elif tag == "patrol_place" and value:
            out["places"].append((key, int(value)))
        elif tag == "patrol_variance":
            out["variance"][current_], out["variance_shifts"][current_] = int(value or 0), int(extra)
    return out


def patrols(current: Period, scope: Scope) -> dict:
    """The patrol figures alone, in one statement (the patrol figures page)."""
    return _read_patrols(_rows(union_all(*_patrol_selects(current, scope))))


def people_and_patrols(current: Period, scope: Scope) -> tuple[dict, dict]:
    """`people` and `patrols` in one statement (the report reads both: one round trip fewer)."""
    rows = _rows(union_all(*_people_selects(current, scope), *_patrol_selects(current, scope)))
    return _read_people([r for r in rows if not r[0].startswith("patrol_")]), _read_patrols(rows)
