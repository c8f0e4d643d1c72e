"""CSV downloads: one way to make a safe cell and to stream a file (directory, compliance, stock)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response, stream_with_context

FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))  # a spreadsheet runs a cell starting so


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_response(rows: Iterable[list], filename: str) -> Response:
    """Stream rows as a CSV attachment, a row at a time (long exports never sit in memory)."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
