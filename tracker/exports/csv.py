"""CSV encoding for spreadsheets: pure, rows in, encoded chunks out."""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from tracker.timeutil import isoformat_z

# Excel in Japan reads a CSV as Shift_JIS unless it starts with a byte-order mark.
BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheets (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def cell_text(value) -> str:
    """Write one value as a spreadsheet cell: ISO dates, UTC times with Z, no formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an export")
        return isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def encode_csv(
    header: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = ROWS_PER_CHUNK
) -> Iterator[bytes]:
    """Yield UTF-8 chunks: the BOM and header first, then rows_per_chunk rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    yield take(buffer)
    pending = 0
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells under a header of {len(header)}")
        writer.writerow([cell_text(value) for value in row])
        pending += 1
        if pending == rows_per_chunk:
            yield take(buffer)
            pending = 0
    if pending:
        yield take(buffer)


def take(buffer: io.StringIO) -> bytes:
    """Empty the buffer; return what it held, encoded."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
