"""URLs: where a `next` may send someone (only this site), absolute links for emails, calendar
feeds and QR codes built from VH_BASE_URL in any context, and the `int` converter every route uses."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter

INTEGER_MAX = 2**31 - 1  # the largest value of an INTEGER column (PostgreSQL's int4)


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` that only matches what an INTEGER column can hold: /people/99999999999999999999
    is a 404, not an overflow in the database driver (a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INTEGER_MAX)
        super().__init__(map, *args, **kwargs)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None. Every `next` goes through here.

    Refused: anything with a scheme or host (`https://x`, `https:x`, `//x`), backslashes (browsers
    read `/\\x` as `//x`), control characters and whitespace tricks, and anything not starting with
    one slash.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["VH_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, url_scheme=base.scheme or "https", script_name=base.path or "/")
    return adapter.build(endpoint, values, force_external=True)
