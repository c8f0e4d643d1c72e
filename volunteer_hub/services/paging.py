"""One page of plain rows from statements built once, counted like `paginate_capped`.

`paginate_capped` takes an ORM statement and builds its page and count queries on every call,
and hands back entities. The busiest list pages show a few columns of each row: they build
their page and count statements once (with bind parameters) and run them here. Same counting
rule, so the same page links and "more than 1,000".
"""
from __future__ import annotations

from math import ceil

from sqlalchemy import Select

from volunteer_hub.extensions import db
from volunteer_hub.pagination import CappedPage


def rows_page(page_stmt: Select, count_stmt: Select, params: dict, page: int, per_page: int,
              cap: int, make_row=None) -> CappedPage:
    """Page `page` of `page_stmt` (which takes the parameters `limit` and `offset` besides
    `params`) and the count of `count_stmt` (parameter `count_limit`: it must count at most that
    many rows). `make_row` turns each result row into what the page shows."""
    page = max(page, 1)
    offset = (page - 1) * per_page
    limit = cap * ceil((offset + per_page) / cap)  # the end of the current stretch of `cap` rows
    result = db.session.execute(page_stmt, {**params, "limit": per_page, "offset": offset})
    items = [make_row(row) for row in result] if make_row else result.all()
    counted = db.session.scalar(count_stmt, {**params, "count_limit": limit + 1})
    return CappedPage(items, page, per_page, counted, limit)
