"""A line chart as numbers for an inline SVG (no JavaScript, CSP-safe: the colours and strokes are
classes in reports.css). Like equipment/chart.py's bars, everything the template draws is worked
out here; the same figures are always in a table beside the chart."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
LEFT = 56  # room for the axis figures
RIGHT = 16
TOP = 16
BOTTOM = 40  # room for the month labels


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: str


@dataclass
class LineChart:
    points: list[Point]
    ticks: list[Tick]
    path: str  # the polyline's points attribute
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM
    description: str = ""
    label_every: int = 1  # on a long period, every other month is labelled

    @property
    def is_empty(self) -> bool:
        return not any(p.value for p in self.points)


def _nice_top(largest: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above `largest`: the top of the axis."""
    power = 1
    while True:
        for multiple in (1, 2, 5):
            if power * multiple >= largest:
                return power * multiple
        power *= 10


def line_chart(labels: list[str], values: list[int], what: str) -> LineChart:
    """One series by month: labels ("Jan 2026"...), their values, and what is counted (for the words)."""
    top = _nice_top(max(values + [1]))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(values) - 1, 1)
    points = [Point(round(LEFT + n * step, 1), round(TOP + inner_h * (1 - v / top), 1), label, v)
              for n, (label, v) in enumerate(zip(labels, values, strict=True))]
    ticks = [Tick(round(TOP + inner_h * (1 - f), 1), f"{round(top * f):,}") for f in (0, 0.25, 0.5, 0.75, 1)]
    words = ", ".join(f"{p.label}: {p.value:,}" for p in points)
    return LineChart(points, ticks, " ".join(f"{p.x},{p.y}" for p in points),
                     description=f"{what} by month. {words}. The table beside the chart has the same figures.",
                     label_every=1 if len(points) <= 13 else 2)
