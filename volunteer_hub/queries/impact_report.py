"""The impact report as the page, the CSV and the PDF show it: headline figures with the previous
period beside them and the change, and tables (each a title, column heads and rows of figures).
Everything is worked out here once from queries/impact.py's aggregates; the three outputs only
print it, so their figures are the same by construction."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from volunteer_hub import clock, data_cache
from volunteer_hub.models import OrganisationKind, Role
from volunteer_hub.queries import impact as q
from volunteer_hub.queries import impact_patrols
from volunteer_hub.queries.impact import DEFINITIONS, Period, Scope

PRESETS = {
    "last12": "Last 12 months",
    "this_year": "This year",
    "last_year": "Last year",
    "last_quarter": "Last quarter",
    "custom": "Choose dates",
}


def preset_period(preset: str, today: dt.date) -> Period:
    """The dates a preset means on `today` (Europe/London)."""
    if preset == "this_year":
        return Period(dt.date(today.year, 1, 1), today)
    if preset == "last_year":
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
    if preset == "last_quarter":
        this_quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        start = clock.add_months(this_quarter, -3)
        return Period(start, this_quarter - dt.timedelta(days=1))
    return Period(clock.add_months(today, -12) + dt.timedelta(days=1), today)


@dataclass
class Figure:
    key: str  # the definition it follows (DEFINITIONS)
    label: str
    now: float | int
    before: float | int | None
    percent: bool = False  # a rate, shown as "87%"; its change is in points

    @property
    def change(self) -> str:
        """"up 18%", "down 5%", "no change", "new" (nothing before), or "" (no comparison)."""
        if self.before is None:
            return ""
        if self.percent:
            points = round((self.now - self.before) * 100)
            return "no change" if points == 0 else f"{'up' if points > 0 else 'down'} {abs(points)} point{'' if abs(points) == 1 else 's'}"
        if self.before == 0:
            return "no change" if self.now == 0 else "new"
        pct = round((self.now - self.before) * 100 / self.before)
        return "no change" if pct == 0 else f"{'up' if pct > 0 else 'down'} {abs(pct)}%"

    def show(self, value) -> str:
        if value is None:
            return ""
        if self.percent:
            return f"{round(value * 100)}%"
        return f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"


@dataclass
class Table:
    id: str
    title: str
    head: list[str]
    rows: list[list]  # the first cell is the row's label
    definition: str = ""  # a DEFINITIONS key
    caption: str = ""


@dataclass
class Section:
    id: str
    title: str
    figures: list[Figure]
    tables: list[Table] = field(default_factory=list)
    note: str = ""


@dataclass
class Report:
    period: Period
    previous: Period
    scope: Scope
    scope_label: str
    sections: list[Section]
    trend: list[tuple[str, int, int]]  # (month label, people trained, items handed out)
    summary: str

    def tables(self):
        for section in self.sections:
            yield section, Table(f"{section.id}-headline", f"{section.title}: headline figures",
                                 ["Figure", "This period", "Previous period", "Change"],
                                 [[f.label, f.show(f.now), f.show(f.before), f.change] for f in section.figures],
                                 caption="")
            yield from ((section, t) for t in section.tables)
        yield None, Table("trend", "By month", ["Month", "People trained", "Items handed out"],
                          [list(row) for row in self.trend])


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _rate_or_none(part: int, whole: int) -> float | None:
    """A previous period's rate, or None when it had nothing to rate (no comparison, not "up 78 points")."""
    return part / whole if whole else None


def _training(period: Period, scope: Scope, names: q.Names) -> tuple[Section, list[int]]:
    data = q.training(period, scope)
    per_course: dict[int, dict] = defaultdict(dict)
    totals = {1: defaultdict(float), 0: defaultdict(float)}
    for course_id, current, sessions, people, marks, attended, absent, hours in data["per_course"]:
        per_course[course_id][current] = (sessions, people)
        for key, value in (("sessions", sessions), ("marks", marks), ("attended", attended), ("absent", absent),
                           ("hours", hours)):
            totals[current][key] += value or 0
    t_now, t_before = totals[1], totals[0]
    figures = [
        Figure("sessions", "Sessions delivered", int(t_now["sessions"]), int(t_before["sessions"])),
        Figure("trained", "People trained", data["people"].get(1, 0), data["people"].get(0, 0)),
        Figure("attendance_rate", "Attendance rate", _rate(t_now["attended"], t_now["marks"]),
               _rate_or_none(t_before["attended"], t_before["marks"]), percent=True),
        Figure("no_show_rate", "No-show rate", _rate(t_now["absent"], t_now["marks"]),
               _rate_or_none(t_before["absent"], t_before["marks"]), percent=True),
        Figure("late_cancellations", "Late cancellations", data["late"].get(1, 0), data["late"].get(0, 0)),
        Figure("waiting", "People waiting at the end", data["waiting"][1], data["waiting"][0]),
        Figure("hours", "Hours of training delivered", round(t_now["hours"], 1), round(t_before["hours"], 1)),
    ]
    order = sorted(per_course, key=lambda c: names.courses.get(c, ""))
    by_course = Table("training-courses", "People trained by course",
                      ["Course", "Sessions", "People trained", "Previous period"],
                      [[names.courses.get(c, "?"), per_course[c].get(1, (0, 0))[0], per_course[c].get(1, (0, 0))[1],
                        per_course[c].get(0, (0, 0))[1]] for c in order], definition="trained")
    trained = [data["by_month"].get(n, 0) for n in range(len(period.months()))]
    return Section("training", "Training", figures, [by_course]), trained


def _certificates(period: Period, scope: Scope, names: q.Names) -> Section:
    rows = sorted(q.certificates(period, scope), key=lambda r: names.courses.get(r[0], ""))
    total = [sum(r[i] for r in rows) for i in range(1, 7)]
    figures = [
        Figure("valid", "Certificates held at the end", total[0], total[1]),
        Figure("issued", "Certificates issued", total[2], total[3]),
        Figure("lapsed", "Lapsed without renewal", total[4], total[5]),
    ]
    courses = Table("certificates-courses", "Certificates by course",
                    ["Course", "Held at the end", "Issued", "Lapsed without renewal"],
                    [[names.courses.get(r[0], "?"), r[1], r[3], r[5]] for r in rows], definition="valid")
    compliance = q.compliance(period, scope)
    by_org, venues = [], []
    for organisation_id, people, holding in compliance:
        name, kind = names.organisations.get(organisation_id, ("No organisation", None))
        row = [name, people, holding, f"{round(_rate(holding, people) * 100)}%"]
        (venues if kind is OrganisationKind.LICENSED_VENUE else by_org).append(row)
    by_org.sort(key=lambda r: r[0])
    venues.sort(key=lambda r: r[0])
    compliant = sum(1 for v in venues if v[1] and v[1] == v[2])
    figures.append(Figure("compliance", "Venues fully compliant", compliant, None))
    head = ["People it applies to", "Holding every required course", "Share"]
    return Section("certificates", "Certificates", figures, [
        courses,
        Table("certificates-organisations", "Required training held, by organisation", ["Organisation", *head], by_org,
              definition="compliance"),
        Table("certificates-venues", "Required training held, by venue (Best Bar None)", ["Venue", *head], venues,
              definition="compliance"),
    ])


def _equipment(period: Period, names: q.Names) -> tuple[Section, list[int]]:
    data = q.equipment(period)
    now_month, now_place = data["handed_out"]
    handed = defaultdict(int)
    for _month, item_id, quantity in now_month:
        handed[item_id] += quantity
    before_total = data["handed_before"]
    moved = {(what, current, item_id): qty for what, current, item_id, qty in data["moved"]}

    def total(what, current):
        return sum(qty for (w, c, _i), qty in moved.items() if w == what and c == current)

    figures = [
        Figure("handed_out", "Items handed out", sum(handed.values()), before_total),
        Figure("venues", "Items issued to venues", total("venues", 1), total("venues", 0)),
        Figure("kit_bags", "Kit bags active", data["kit_bags"][1], data["kit_bags"][0]),
        Figure("stock", "Items in stock at the end", sum(data["stock"].values()), None),
        Figure("written_off", "Items written off", total("written_off", 1), total("written_off", 0)),
    ]
    items = sorted(set(handed) | set(data["stock"]) | {i for (_w, _c, i) in moved}, key=lambda i: names.items.get(i, ""))
    by_item = Table("equipment-items", "By item", ["Item", "Handed out", "Issued to venues", "Written off", "In stock at the end"],
                    [[names.items.get(i, "?"), handed.get(i, 0), moved.get(("venues", 1, i), 0),
                      moved.get(("written_off", 1, i), 0), data["stock"].get(i, 0)] for i in items], definition="handed_out")
    places = defaultdict(int)
    for place, _item, quantity in now_place:
        places[place] += quantity
    ranked = sorted(places.items(), key=lambda p: (-p[1], p[0]))
    by_place = Table("equipment-places", "Handed out by place", ["Place", "Items handed out"],
                     [[p, n] for p, n in ranked], definition="handed_out")
    months = period.months()
    per_month = [0] * len(months)
    index = {f"{m:%Y-%m}": n for n, m in enumerate(months)}
    for month, _item, quantity in now_month:
        if month in index:
            per_month[index[month]] += quantity
    return Section("equipment", "Equipment", figures, [by_item, by_place],
                   note="Equipment figures are the whole partnership's: stock is not held by organisation."), per_month


ROLE_ORDER = (Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN)


def _people(period: Period, scope: Scope, names: q.Names, data: dict | None = None) -> Section:
    data = data or q.people(period, scope)
    table: dict[str, dict[Role, int]] = defaultdict(lambda: defaultdict(int))
    for organisation_id, role, count in data["by_role"]:
        table[names.organisations.get(organisation_id, ("No organisation", None))[0]][role] += count
    volunteers = sum(row[Role.VOLUNTEER] for row in table.values())
    figures = [
        Figure("active", "Active volunteers at the end", volunteers, None),
        Figure("sign_ups", "New sign-ups", data["sign_ups"][1], data["sign_ups"][0]),
        Figure("dbs", f"DBS checks to renew in the next {q.DBS_DAYS} days", data["dbs"], None),
    ]
    rows = [[name, *[table[name][r] for r in ROLE_ORDER]] for name in sorted(table)]
    return Section("people", "People", figures, [
        Table("people-organisations", "Active people by organisation and role",
              ["Organisation", *[r.label + "s" for r in ROLE_ORDER]], rows, definition="active")])


def _patrols(period: Period, scope: Scope, names: q.Names, data: dict | None = None) -> Section:
    from volunteer_hub.models import TallyKind

    data = data or impact_patrols.patrols(period, scope)
    tallies = data["tallies"]
    figures = [
        Figure("patrols_run", "Patrol shifts run", data["run"][1], data["run"][0]),
        Figure("patrols_too_few", "Shifts cancelled for too few people", data["too_few"][1], data["too_few"][0]),
        Figure("patrol_hours", "Volunteer hours on patrol", data["hours"][1], data["hours"][0]),
        Figure("patrol_interactions", "Interactions on patrol", sum(n for (c, _k), n in tallies.items() if c == 1),
               sum(n for (c, _k), n in tallies.items() if c == 0)),
        Figure("patrol_variance", "Kit-bag variance (units)", data["variance"][1], data["variance"][0]),
    ]
    kinds = Table("patrols-interactions", "Interactions on patrol, by kind", ["Kind", "This period", "Previous period"],
                  [[k.label, tallies.get((1, k.value), 0), tallies.get((0, k.value), 0)] for k in TallyKind],
                  definition="patrol_interactions")
    items = sorted({i for (_c, i) in data["items"]}, key=lambda i: names.items.get(i, ""))
    by_item = Table("patrols-items", "Handed out on patrol, by item", ["Item", "This period", "Previous period"],
                    [[names.items.get(i, "?"), data["items"].get((1, i), 0), data["items"].get((0, i), 0)] for i in items],
                    definition="patrol_hand_outs")
    by_place = Table("patrols-places", "Handed out on patrol, by place", ["Place", "Items handed out"],
                     sorted(([names.places.get(p, "Typed in (not a listed place)") if p else "Typed in (not a listed place)", n]
                             for p, n in data["places"]), key=lambda row: (-row[1], row[0])),
                     definition="patrol_hand_outs")
    return Section("patrols", "On patrol", figures, [kinds, by_item, by_place],
                   note=f"{data['people'][1]:,} different people patrolled in the period.")


def patrols_section(period: Period, scope: Scope) -> Section:
    """The "On patrol" section by itself (the patrol figures page), its item names in the same query."""
    return _patrols(period, scope, q.names())


def scope_label(scope: Scope, names: q.Names) -> str:
    if scope.organisation_id is not None:
        return names.organisations.get(scope.organisation_id, ("an organisation", None))[0]
    if scope.kind is not None:
        return f"every {scope.kind.label} organisation"
    return "the whole partnership"


def build(period: Period, scope: Scope, names: q.Names | None = None) -> Report:
    """The report: the one built before for the same period and scope if nothing was written since
    (data_cache.py); the same for every viewer who may see it. Callers must not change it."""
    return data_cache.cached("impact report", kept_key(period, scope), lambda: _build(period, scope, names or q.names()))


def kept_key(period: Period, scope: Scope) -> tuple:
    """What a kept report is kept under: besides the data, it depends on today (stock on a day not
    yet over, DBS checks due in the next three months), so a new day builds it again."""
    return period, scope, clock.today()


def _build(period: Period, scope: Scope, names: q.Names) -> Report:
    training, trained = _training(period, scope, names)
    equipment, handed = _equipment(period, names)
    people, patrols = impact_patrols.people_and_patrols(period, scope)
    sections = [training, _certificates(period, scope, names), equipment, _patrols(period, scope, names, patrols),
                _people(period, scope, names, people)]
    months = period.months()
    trend = [(f"{m:%b %Y}", trained[n], handed[n]) for n, m in enumerate(months)]
    people = training.figures[1]
    summary = f"{people.show(people.now)} {'person' if people.now == 1 else 'people'} trained"
    if people.change:
        summary += f", {people.change} on the previous {period.days} days" if people.change not in ("new", "no change") \
            else f" ({people.change} on the previous {period.days} days)"
    items = equipment.figures[0]
    summary += f"; {items.show(items.now)} {'item' if items.now == 1 else 'items'} handed out"
    if items.change and items.change not in ("new", "no change"):
        summary += f", {items.change}"
    return Report(period, period.previous(), scope, scope_label(scope, names), sections, trend, summary + ".")


__all__ = ["DEFINITIONS", "PRESETS", "Period", "Report", "Scope", "build", "kept_key", "preset_period"]
