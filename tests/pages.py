"""Tests read pages, not strings: the `page` fixture fetches through the test client, parses the
HTML (BeautifulSoup) and checks what every page must have before the test looks at it:

- a <title> and exactly one <h1>;
- no two elements with the same id;
- every POST form carries a CSRF token (when the app has CSRF switched on);
- every visible form control has a label (a <label for>, a wrapping <label>, aria-label or
  aria-labelledby).

    def test_the_session_list(page, volunteer):
        page.sign_in(volunteer)
        p = page.get("/training/sessions")
        assert p.h1 == "Training"
        assert p.texts(".card-title") == ["Bystander intervention"]

`page.get/post` return a `Page`; a redirect (3xx) is returned unparsed with `.location`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
from bs4 import BeautifulSoup, Tag

from tests.factories import sign_in_as

_CONTROLS = "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=image]), select, textarea"


def _text(node) -> str:
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def check_page(soup: BeautifulSoup, *, csrf: bool) -> list[str]:
    """What is wrong with a page that every page must get right (empty if nothing)."""
    problems = []
    if soup.title is None or not _text(soup.title):
        problems.append("no <title>")
    h1s = soup.find_all("h1")
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} <h1> elements (one expected)")
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    problems += [f"duplicate id {i!r} ({n} times)" for i, n in ids.items() if n > 1]
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() == "post" and csrf and form.find("input", attrs={"name": "csrf_token"}) is None:
            problems.append(f"POST form to {form.get('action')!r} has no CSRF token")
    labelled = {label.get("for") for label in soup.find_all("label") if label.get("for")}
    for control in soup.select(_CONTROLS):
        if control.get("id") in labelled or control.get("aria-label") or control.get("aria-labelledby"):
            continue
        if control.find_parent("label") is not None:
            continue
        problems.append(f"<{control.name} name={control.get('name')!r}> has no label")
    return problems


@dataclass
class Page:
    """A fetched HTML page, parsed and checked."""
    status: int
    soup: BeautifulSoup
    response: object = field(repr=False)

    @property
    def title(self) -> str:
        return _text(self.soup.title)

    @property
    def h1(self) -> str:
        return _text(self.soup.find("h1"))

    @property
    def text(self) -> str:
        """All the page's text, whitespace collapsed (what a person reads)."""
        return _text(self.soup.body or self.soup)

    def select(self, css: str) -> list[Tag]:
        return self.soup.select(css)

    def one(self, css: str) -> Tag:
        found = self.soup.select(css)
        assert len(found) == 1, f"{css!r} matched {len(found)} elements"
        return found[0]

    def texts(self, css: str) -> list[str]:
        """The text of each element `css` matches, in page order."""
        return [_text(node) for node in self.soup.select(css)]

    @property
    def flashes(self) -> list[str]:
        """The flashed messages shown at the top of the page."""
        return self.texts("[data-flash]")

    @property
    def error_summary(self) -> list[str]:
        return self.texts(".error-summary li")

    def field_error(self, field_id: str) -> str:
        """The message shown next to a form field (its `<id>-error` element), "" if none."""
        return _text(self.soup.find(id=f"{field_id}-error"))

    def links(self, css: str = "a") -> dict[str, str]:
        """{link text: href} of the links `css` matches."""
        return {_text(a): a.get("href") for a in self.soup.select(css)}

    def form(self, action: str | None = None) -> Tag:
        """The form posting to `action` (the only form on the page if None)."""
        forms = [f for f in self.soup.find_all("form") if action is None or f.get("action") == action]
        assert len(forms) == 1, f"{len(forms)} forms post to {action!r}"
        return forms[0]


@dataclass
class Redirect:
    status: int
    location: str
    response: object = field(repr=False)


class PageReader:
    """The `page` fixture: a test client that parses and checks every HTML page it gets."""

    def __init__(self, client, csrf: bool):
        self.client = client
        self.csrf = csrf

    def sign_in(self, user) -> None:
        sign_in_as(self.client, user)

    def get(self, url: str, status: int | None = 200, **kwargs) -> Page | Redirect:
        return self._read(self.client.get(url, **kwargs), status, url)

    def post(self, url: str, data: dict | None = None, status: int | None = None, **kwargs) -> Page | Redirect:
        return self._read(self.client.post(url, data=data or {}, **kwargs), status, url)

    def follow(self, redirect: Redirect, status: int | None = 200) -> Page | Redirect:
        return self.get(redirect.location, status)

    def _read(self, response, status: int | None, url: str) -> Page | Redirect:
        if status is not None:
            assert response.status_code == status, f"{url}: {response.status_code}, expected {status}"
        if 300 <= response.status_code < 400:
            return Redirect(response.status_code, response.headers.get("Location", ""), response)
        assert response.mimetype == "text/html", f"{url}: {response.mimetype}, not an HTML page"
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        problems = check_page(soup, csrf=self.csrf)
        assert not problems, f"{url}:\n  " + "\n  ".join(problems)
        return Page(response.status_code, soup, response)


@pytest.fixture()
def page(app, client) -> PageReader:
    return PageReader(client, csrf=bool(app.config.get("WTF_CSRF_ENABLED", True)))


@pytest.fixture()
def query_count(app, client):
    """The one query counter: how many SQL statements a request made, read from the app's own
    X-Query-Count header (VH_COUNT_QUERIES, what `make bench` reads too).

        assert query_count("/training/sessions") == query_count("/training/sessions?page=2")
    """
    app.config["VH_COUNT_QUERIES"] = True

    def count(url: str, *, using=None, method: str = "GET", status: int | None = 200, **kwargs) -> int:
        response = (using or client).open(url, method=method, **kwargs)
        if status is not None:
            assert response.status_code == status, f"{url}: {response.status_code}, expected {status}"
        return int(response.headers["X-Query-Count"])

    return count
