"""Pagination whose count stays cheap however big the table grows.

`db.paginate(count=True)` counts every matching row for the page numbers: at 100,000 people that
count is most of the directory's time. `paginate_capped` counts at most `cap` rows past the
current page instead, so the first pages cost the same at any size. When there are more, the
total reads "more than N" (`total_label`) and the page links run to the last counted page, with
"Next" still there: enough for someone browsing, who narrows a list that long with the filters.
"""
from __future__ import annotations

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, func, literal_column, select

from volunteer_hub.models import db

class CappedPagination(SelectPagination):
    """flask-sqlalchemy's pagination (same attributes, so the `pagination` macro works) with
    `total` counted only up to the cap; `total_is_exact` says whether it was reached."""

    def _query_count(self) -> int:
        stmt: Select = self._query_args["select"]
        limit = self._query_offset + self._query_args["cap"] + 1
        # Only a row's existence matters: no columns, no order, no eager loads.
        rows = stmt.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True).limit(limit)
        counted = self._query_args["session"].execute(select(func.count()).select_from(rows.subquery())).scalar_one()
        self.total_is_exact = counted < limit
        return counted if self.total_is_exact else counted - 1

    @property
    def total_label(self) -> str:
        """"1,234" or "more than 1,025": for "{{ page.total_label }} people"."""
        return f"{self.total:,}" if self.total_is_exact else f"more than {self.total:,}"

    @property
    def position_label(self) -> str:
        """", page 2 of 7" (", page 2" when the total is not known exactly); "" for one page."""
        if self.pages <= 1:
            return ""
        return f", page {self.page} of {self.pages}" if self.total_is_exact else f", page {self.page}"


def paginate_capped(stmt: Select, *, page: int | None = None, per_page: int | None = None,
                    cap: int | None = None) -> CappedPagination:
    """Page `page` (default: ?page=) of `stmt`, `per_page` (default VH_PAGE_SIZE) to a page,
    counting at most `cap` (default VH_LIST_COUNT_CAP) rows past it."""
    config = current_app.config
    return CappedPagination(page=page, per_page=per_page or config["VH_PAGE_SIZE"], max_per_page=None, error_out=False,
                            select=stmt, session=db.session, cap=cap or config["VH_LIST_COUNT_CAP"])
