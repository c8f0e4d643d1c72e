"""A certificate as a one-page A4 landscape PDF, with a QR code to its verification page.

Fonts ship with the project (static/fonts, SIL Open Font License): Noto Sans for Latin, Greek
and Cyrillic, Noto Naskh Arabic as the fallback for Arabic script; text shaping (HarfBuzz,
through uharfbuzz) joins Arabic letters and lays right-to-left names out correctly.
"""
from __future__ import annotations

import io
from pathlib import Path

import segno
from flask import current_app
from fpdf import FPDF

from volunteer_hub.models import Certificate
from volunteer_hub.urls import external_url

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
BRAND = (29, 78, 137)
INK = (33, 37, 41)
MUTED = (73, 80, 87)


def _long_date(day) -> str:
    return day.strftime("%-d %B %Y")


class _CertificatePDF(FPDF):
    def __init__(self):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(20, 20, 20)
        for style, suffix in (("", "Regular"), ("B", "Bold")):
            self.add_font("NotoSans", style, str(FONTS / f"NotoSans-{suffix}.ttf"))
            self.add_font("NotoNaskhArabic", style, str(FONTS / f"NotoNaskhArabic-{suffix}.ttf"))
        self.set_fallback_fonts(["NotoNaskhArabic"], exact_match=False)
        self.set_text_shaping(True)

    def centred(self, text: str, size: float, style: str = "", colour=INK, height: float | None = None) -> None:
        self.set_font("NotoSans", style, size)
        while size > 9 and self.get_string_width(text) > self.epw - 10:  # long names and titles shrink to fit
            size -= 1
            self.set_font("NotoSans", style, size)
        self.set_text_color(*colour)
        self.set_x(self.l_margin)
        self.cell(w=self.epw, h=height or size * 0.5, text=text, align="C", new_x="LMARGIN", new_y="NEXT")


def render_certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF bytes: name, course, dates, number, partnership, QR code."""
    partnership = current_app.config["VH_PARTNERSHIP_NAME"]
    verify_url = external_url("certificates.verify_code", code=certificate.verification_code)
    pdf = _CertificatePDF()
    pdf.set_title(f"Certificate {certificate.number}: {certificate.display_title}")
    pdf.set_author(partnership)
    pdf.set_creator("volunteer_hub")
    pdf.add_page()

    # Frame: a thick outer line and a thin inner one.
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(2.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.4)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)

    pdf.set_y(24)
    pdf.centred(partnership.upper(), 12, "B", BRAND, height=7)
    pdf.ln(6)
    pdf.centred("Certificate of completion", 30, "B", INK, height=14)
    pdf.ln(6)
    pdf.centred("This is to certify that", 13, "", MUTED, height=8)
    pdf.ln(2)
    pdf.centred(certificate.user.name, 32, "B", BRAND, height=17)
    pdf.ln(2)
    pdf.centred("has completed the course", 13, "", MUTED, height=8)
    pdf.ln(2)
    pdf.centred(certificate.display_title, 22, "B", INK, height=12)

    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.3)
    pdf.line(pdf.w / 2 - 40, 122, pdf.w / 2 + 40, 122)

    # Details, bottom left.
    rows = [
        ("Date of training", _long_date(certificate.issued_on)),
        ("Valid until", _long_date(certificate.expires_on) if certificate.expires_on else "Does not expire"),
        ("Certificate number", certificate.number),
        ("Issued by", certificate.issuer),
    ]
    y = 142
    for label, value in rows:
        pdf.set_xy(28, y)
        pdf.set_font("NotoSans", "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(w=42, h=7, text=label)
        pdf.set_font("NotoSans", "B", 12)
        pdf.set_text_color(*INK)
        pdf.cell(w=130, h=7, text=value)
        y += 9

    # QR code to the verification page, bottom right.
    buffer = io.BytesIO()
    segno.make(verify_url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    size = 40
    x = pdf.w - 28 - size
    pdf.image(buffer, x=x, y=134, w=size, h=size, link=verify_url)
    pdf.set_xy(pdf.w - 28 - 100, 134 + size + 1)
    pdf.set_font("NotoSans", "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(w=100, h=4, align="R", text="Scan to check this certificate, or enter its number at\n"
                   + external_url("certificates.verify"))
    return bytes(pdf.output())
