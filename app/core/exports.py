"""CSV exports as spreadsheet programs open them: UTF-8 with a byte-order mark (so Excel reads the Chinese),
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from litestar import Response

# A cell starting with one of these is a formula to Excel/WPS (CSV injection): it gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A header and rows as UTF-8 CSV with a BOM, every cell through `cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode()


def csv_response(body: bytes, filename: str) -> Response[bytes]:
    """A CSV download of someone's own figures: an attachment, never kept by a cache."""
    return Response(
        body,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
