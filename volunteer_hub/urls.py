"""URLs: absolute links for emails, calendar feeds and QR codes, built from VH_BASE_URL in any
context; and the `int` converter every route uses."""
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


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["VH_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, url_scheme=base.scheme or "https", script_name=base.path or "/")
    return adapter.build(endpoint, values, force_external=True)
