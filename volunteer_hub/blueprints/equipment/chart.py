"""A horizontal stacked bar chart as numbers for an inline SVG (no JavaScript, CSP-safe).

The template draws `rows`; colours come from CSS classes `series-0`, `series-1`... The same
figures are always shown in a table beside the chart: the table is the accessible equivalent.
Everything the template shows per bar is worked out here, once, so the template only prints
(it is drawn on every view of the report).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 180
TOTAL_WIDTH = 60
ROW_HEIGHT = 36
BAR_HEIGHT = 26
TOP = 10
SERIES_CLASSES = 6  # series-0 ... series-5, then the colours repeat


@dataclass(slots=True)
class Segment:
    series: int
    value: int
    x: float
    width: float
    title: str  # the bar's tooltip: "Personal alarm: 4" (printed, so escaped, by the template)
    attributes: Markup  # the bar's class and geometry: numbers only, written here once per bar


@dataclass(slots=True)
class Row:
    label: str
    total: int
    y: float
    text_y: float
    total_x: float  # where the total is written: just after the bar
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    rows: list[Row]
    width: int
    height: int
    label_width: int
    bar_height: int
    scale_max: int
    description: str = ""  # the SVG's <desc>: every figure, in words

    @property
    def is_empty(self) -> bool:
        return not any(r.total for r in self.rows)

    @property
    def label_x(self) -> int:
        return self.label_width - 8


def bar_chart(groups: list[tuple[str, list[int]]], series_names: list[str], *, label_width: int = LABEL_WIDTH,
              label_chars: int = 18) -> Chart:
    """groups: [(label, [value for each series])]; series_names: the name of each series. Labels
    longer than `label_chars` are cut short (the table beside the chart has them whole)."""
    scale_max = max([sum(values) for _, values in groups] + [1])
    bar_area = WIDTH - label_width - TOTAL_WIDTH
    rows, words = [], []
    for n, (label, values) in enumerate(groups):
        y = TOP + n * ROW_HEIGHT
        row = Row(label=label if len(label) <= label_chars else label[:label_chars - 1] + "…", total=sum(values), y=y,
                  text_y=y + BAR_HEIGHT / 2 + 5, total_x=label_width + 6)
        x = float(label_width)
        for series, value in enumerate(values):
            if value:
                width = bar_area * value / scale_max
                left, wide = round(x, 1), round(width, 1)
                row.segments.append(Segment(
                    series, value, left, wide, f"{series_names[series]}: {value}",
                    Markup('class="series-{}" x="{}" y="{}" width="{}" height="{}"').format(
                        series % SERIES_CLASSES, left, y, wide, BAR_HEIGHT)))
                x += width
        if row.segments:
            last = row.segments[-1]
            row.total_x = last.x + last.width + 6
        rows.append(row)
        parts = ", ".join(f"{series_names[s.series]} {s.value}" for s in row.segments)
        words.append(f"{row.label}: {row.total} ({parts}). " if parts else f"{row.label}: {row.total}. ")
    words.append("The table beside the chart has the same figures.")
    return Chart(rows=rows, width=WIDTH, height=TOP * 2 + len(groups) * ROW_HEIGHT, label_width=label_width,
                 bar_height=BAR_HEIGHT, scale_max=scale_max, description="".join(words))
