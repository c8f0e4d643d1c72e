"""Journey 3: a trainer takes the register on a phone, marks attendance and finalises; the
volunteer finds the certificate under My certificates; a signed-out visitor checks it is genuine
on the public page. With the mouse (touch) and with the keyboard alone."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e import journeys as j
from volunteer_hub.models import Role

pytestmark = pytest.mark.e2e


def verification_link(pdf: bytes) -> str:
    """The link under the certificate's QR code."""
    links = [annot.get_object()["/A"]["/URI"] for page in PdfReader(io.BytesIO(pdf)).pages
             for annot in page.get("/Annots", []) if "/A" in annot.get_object()]
    found = [link for link in links if "/verify/" in link]
    assert len(found) == 1, links
    return found[0]


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_a_trainer_finalises_the_register_on_a_phone_and_anyone_can_verify_the_certificate(
        page, phone_page, browser, live_server, scene, keyboard):
    trainer = scene.person("Dev Mistry" if keyboard else "Tess Rowe", Role.TRAINER, Role.VOLUNTEER)
    present = scene.person("Ella Ward" if keyboard else "Pat Quinn")
    absent = scene.person("Rob Hale" if keyboard else "Abi Stone")
    session = scene.session("Trauma-informed listening" if keyboard else "Bystander intervention for stewards",
                            starts_in=-dt.timedelta(minutes=20),
                            trainers=[trainer], booked=[present, absent], validity_months=24)

    # The trainer, on a phone, on the day.
    j.sign_in(phone_page, trainer.email, trainer.password, keyboard=keyboard)
    j.open_register(phone_page, session.course, keyboard=keyboard)
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    j.mark(phone_page, present.name, "Present", keyboard=keyboard)
    j.mark(phone_page, absent.name, "Absent", keyboard=keyboard)
    expect(phone_page.locator("#register-count")).to_have_text("2 on the register · 2 marked")
    j.finalise_register(phone_page, keyboard=keyboard)

    # The volunteer who was there has the certificate.
    j.sign_in(page, present.email, present.password, keyboard=keyboard)
    number = j.my_certificate_number(page, session.course, keyboard=keyboard)
    assert re.fullmatch(r"VH-\d{4}-\d{6}", number), number
    # The PDF opens in the browser's viewer; fetch what the link gives, with the volunteer's cookies.
    pdf = page.request.get(page.get_by_role("link", name=f"Download PDF of {session.course}").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    code_link = verification_link(pdf.body())

    # A venue manager, not signed in, checks it: by the number printed on it, and by the QR code's link.
    visitor = browser.new_context(base_url=live_server.url, viewport=phone_page.viewport_size, reduced_motion="reduce")
    try:
        public = visitor.new_page()
        result = j.verify_certificate(public, number, keyboard=keyboard)
        expect(result).to_contain_text("This certificate is valid.")
        expect(result).to_contain_text(present.name)
        expect(result).to_contain_text(session.course)
        expect(result).to_contain_text(number)
        assert code_link.startswith(live_server.url)
        code = code_link.rsplit("/", 1)[1]
        result = j.verify_certificate(public, code, keyboard=keyboard)
        expect(result).to_contain_text("This certificate is valid.")
        expect(result).to_contain_text(number)
    finally:
        visitor.close()
