"""Transaction helpers shared by the use cases."""

from tracker.extensions import db


def commit_keeping_loaded() -> None:
    """Commit without expiring what the transaction loaded and wrote.

    The answer to a request is built from the rows it just wrote; reloading each of them
    after the commit would cost a round trip per row and show nothing new.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
