"""The impact report as an A4 portrait PDF (fpdf2): the same Report the page prints, section by
section, each table with its figures, the period and the date on every page, and the definitions
at the end. A bar per month draws the trend; the table under it has the same figures."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from fpdf import FPDF
from fpdf.fonts import FontFace

from volunteer_hub import clock
from volunteer_hub.queries.impact_report import Report, Table

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
BRAND = (29, 78, 137)
INK = (33, 37, 41)
MUTED = (73, 80, 87)
HEAD = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BRAND)


class _ReportPDF(FPDF):
    def __init__(self, running_head: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_head = running_head
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=16)
        for style, suffix in (("", "Regular"), ("B", "Bold")):
            self.add_font("NotoSans", style, str(FONTS / f"NotoSans-{suffix}.ttf"))

    def header(self):
        self.set_font("NotoSans", "", 8)
        self.set_text_color(*MUTED)
        self.set_y(8)
        self.cell(0, 5, self.running_head, align="L")
        self.ln(8)

    def footer(self):
        self.set_y(-12)
        self.set_font("NotoSans", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font("NotoSans", "B", size)
        self.set_text_color(*BRAND)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font("NotoSans", "", size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def figures(self, table: Table) -> None:
        if not table.rows:
            self.paragraph(f"{table.title}: nothing in this period.")
            return
        self.set_font("NotoSans", "B", 10)
        self.set_text_color(*INK)
        self.cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
        self.set_font("NotoSans", "", 8)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(173, 181, 189)
        first = 2.2 if len(table.head) > 3 else 2.0
        widths = (first, *([1] * (len(table.head) - 1)))
        with self.table(col_widths=widths, headings_style=HEAD, line_height=4.6, cell_fill_color=(244, 246, 248),
                        cell_fill_mode="ROWS",
                        text_align=("LEFT", *(["RIGHT"] * (len(table.head) - 1)))) as grid:
            grid.row(table.head)
            for row in table.rows:
                grid.row([f"{v:,}" if isinstance(v, int) else str(v) for v in row])
        self.ln(3)

    def bars(self, labels: list[str], values: list[int], title: str) -> None:
        """A bar per month, 40 mm high, labelled under each bar."""
        self.set_font("NotoSans", "B", 10)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        top, height, left = self.get_y() + 2, 40, self.l_margin
        if top + height + 12 > self.h - self.b_margin:
            self.add_page()
            top = self.get_y() + 2
        largest = max(values + [1])
        step = self.epw / max(len(values), 1)
        self.set_fill_color(*BRAND)
        self.set_font("NotoSans", "", 6)
        for n, (label, value) in enumerate(zip(labels, values, strict=True)):
            bar = height * value / largest
            self.rect(left + n * step + step * 0.15, top + height - bar, step * 0.7, bar, style="F")
            self.set_xy(left + n * step, top + height + 0.5)
            self.cell(step, 3, label.replace(" 20", " '"), align="C")
            self.set_xy(left + n * step, top + height - bar - 3.2)
            self.cell(step, 3, f"{value:,}", align="C")
        self.set_y(top + height + 6)


def render_report_pdf(report: Report, definitions: dict[str, str]) -> bytes:
    partnership = current_app.config["VH_PARTNERSHIP_NAME"]
    period = f"{clock.format_local(report.period.start, 'long')} to {clock.format_local(report.period.end, 'long')}"
    pdf = _ReportPDF(f"{partnership}: impact report, {period} · printed {clock.format_local(clock.today())}")
    pdf.set_title(f"Impact report, {period}")
    pdf.set_author(partnership)
    pdf.set_creator("volunteer_hub")
    pdf.add_page()
    pdf.heading(f"{partnership}: impact report", 18)
    pdf.paragraph(f"{period}, for {report.scope_label}. Compared with the {report.period.days} days before "
                  f"({clock.format_local(report.previous.start)} to {clock.format_local(report.previous.end)}).", 10)
    pdf.paragraph(report.summary, 11)
    labels = [label for label, _t, _h in report.trend]
    pdf.bars(labels, [t for _l, t, _h in report.trend], "People trained, by month")
    pdf.bars(labels, [h for _l, _t, h in report.trend], "Items handed out, by month")
    current = None
    for section, table in report.tables():
        if section is not None and section is not current:
            current = section
            if pdf.page_no() > 1 or pdf.get_y() > 120:
                pdf.add_page()
            pdf.heading(section.title)
            if section.note:
                pdf.paragraph(section.note)
        pdf.figures(table)
    pdf.add_page()
    pdf.heading("How these figures are counted")
    for text in definitions.values():
        pdf.paragraph(f"• {text}")
    return bytes(pdf.output())
