"""A horizontal stacked bar chart as numbers for an inline SVG (no JavaScript, CSP-safe).

The template draws `rows`; colours come from CSS classes `series-0`, `series-1`... The same
figures are always shown in a table beside the chart: the table is the accessible equivalent.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 640
LABEL_WIDTH = 180
TOTAL_WIDTH = 60
ROW_HEIGHT = 36
BAR_HEIGHT = 26
TOP = 10


@dataclass
class Segment:
    series: int
    value: int
    x: float
    width: float


@dataclass
class Row:
    label: str
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT / 2 + 5


@dataclass
class Chart:
    rows: list[Row]
    width: int
    height: int
    label_width: int
    bar_height: int
    scale_max: int

    @property
    def is_empty(self) -> bool:
        return not any(r.total for r in self.rows)


def bar_chart(groups: list[tuple[str, list[int]]]) -> Chart:
    """groups: [(label, [value for each series])]."""
    scale_max = max([sum(values) for _, values in groups] + [1])
    bar_area = WIDTH - LABEL_WIDTH - TOTAL_WIDTH
    rows = []
    for n, (label, values) in enumerate(groups):
        row = Row(label=label if len(label) <= 18 else label[:17] + "…", total=sum(values), y=TOP + n * ROW_HEIGHT)
        x = float(LABEL_WIDTH)
        for series, value in enumerate(values):
            if value:
                width = bar_area * value / scale_max
                row.segments.append(Segment(series, value, round(x, 1), round(width, 1)))
                x += width
        rows.append(row)
    return Chart(rows=rows, width=WIDTH, height=TOP * 2 + len(groups) * ROW_HEIGHT, label_width=LABEL_WIDTH,
                 bar_height=BAR_HEIGHT, scale_max=scale_max)
