"""The CSV encoder: what Excel opens safely, without a database."""

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tracker.exports.csv import BOM, cell_text, encode_csv


def decode(chunks) -> list[list[str]]:
    body = b"".join(chunks).decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.removeprefix(BOM), newline="")))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+81 3 1234", "'+81 3 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("left knee", "left knee"),
        ("", ""),
        ("山田 花子", "山田 花子"),
    ],
)
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (-3, "-3"),
        (Decimal("12.50"), "12.50"),
        (date(2026, 3, 1), "2026-03-01"),
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "2026-03-01T09:30:00Z"),
        (datetime(2026, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9))), "2026-03-01T09:30:00Z"),
        ({"rise": 3, "nadir": {"stiffness": 2}}, '{"nadir":{"stiffness":2},"rise":3}'),
    ],
)
def test_values_are_written_as_iso_dates_utc_times_and_plain_numbers(value, text):
    assert cell_text(value) == text


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        cell_text(datetime(2026, 3, 1, 9, 30))  # noqa: DTZ001


def test_the_file_starts_with_a_bom_and_the_header_and_keeps_one_record_per_row():
    rows = [(1, "山田, 花子", "line one\nline two"), (2, '"quoted"', None)]

    table = decode(encode_csv(("id", "name", "notes"), rows))

    assert table == [
        ["id", "name", "notes"],
        ["1", "山田, 花子", "line one\nline two"],
        ["2", '"quoted"', ""],
    ]


def test_rows_are_encoded_lazily_in_chunks():
    read = []

    def rows():
        for number in range(10):
            read.append(number)
            yield (number,)

    chunks = encode_csv(("id",), rows(), rows_per_chunk=4)

    first = next(chunks)
    assert first.startswith(BOM.encode("utf-8") + b"id\r\n")
    assert read == []  # the header goes out before a single row is read
    assert next(chunks) == b"0\r\n1\r\n2\r\n3\r\n"
    assert read == [0, 1, 2, 3]
    assert b"".join(chunks) == b"4\r\n5\r\n6\r\n7\r\n8\r\n9\r\n"


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError):
        list(encode_csv(("id", "name"), [(1,)]))
