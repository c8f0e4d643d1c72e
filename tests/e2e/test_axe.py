"""The accessibility check itself: it runs under the site's strict CSP and names what is wrong."""
import pytest

from tests.e2e import journeys as j
from volunteer_hub.hooks import CSP

pytestmark = pytest.mark.e2e

BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Bad page</h1><img src="/photo.png" id="no-alt"><button id="no-name"></button></main></body></html>"""


@pytest.fixture()
def csp_page(browser):
    """A page served with the site's own Content-Security-Policy header (no server needed)."""
    context = browser.new_context()
    page = context.new_page()
    page.route("http://csp.test/**", lambda route: route.fulfill(
        status=200, body=BAD_PAGE, headers={"Content-Type": "text/html", "Content-Security-Policy": CSP}))
    page.goto("http://csp.test/")
    yield page
    context.close()


def test_axe_runs_under_the_sites_csp_and_lists_each_violation_with_its_elements(csp_page):
    # An inline script is refused by the CSP, as on the real site...
    assert csp_page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                             " document.head.appendChild(s); return window.ran === undefined; }")
    # ...yet axe runs, and the failure names each rule and element.
    with pytest.raises(pytest.fail.Exception) as failure:
        j.check_accessibility(csp_page, "bad page")
    message = str(failure.value)
    assert "image-alt" in message and "#no-alt" in message
    assert "button-name" in message and "#no-name" in message
