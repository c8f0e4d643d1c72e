"""`safe_next`: a `next` may only send someone to a path on this site."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from volunteer_hub.urls import safe_next

OFF_SITE = [
    "//evil.example",  # scheme-relative: another host
    "//evil.example/path",
    "/\\evil.example",  # browsers read a backslash as a slash: //evil.example
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",  # a scheme without slashes still leaves the site in some browsers
    "http://evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\t//evil.example",  # browsers strip tabs and newlines from URLs...
    "/\t/evil.example",  # ...wherever they are: this one becomes //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "evil.example",
    "people",  # relative: depends on the current page
    "",
    None,
    "/" + "a" * 2001,
]
ON_SITE = ["/", "/people", "/ok/path?x=1", "/training/sessions/4?tab=register#people", "/%2F%2Fevil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_targets_off_this_site_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_paths_on_this_site_are_kept(target):
    assert safe_next(target) == target
    # And a browser resolving it against the site stays on the site.
    assert urlsplit(urljoin("https://volunteers.example.org/here", target)).netloc == "volunteers.example.org"
