"""Reading a clinic's rows a batch at a time, so an export's memory stays flat."""

from collections.abc import Iterator

from sqlalchemy import Select
from sqlalchemy.orm import Session

DEFAULT_BATCH_SIZE = 1000


def in_batches(session: Session, statement: Select, key, batch_size: int) -> Iterator[list]:
    """Yield the statement's rows in key order, batch_size at a time (keyset pagination).

    The key must be the statement's first column. Each batch is its own short query, so no
    cursor stays open on the server between batches and no OFFSET rescans earlier rows.
    """
    last = None
    while True:
        page = statement.order_by(key).limit(batch_size)
        if last is not None:
            page = page.where(key > last)
        rows = session.execute(page).all()
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]
