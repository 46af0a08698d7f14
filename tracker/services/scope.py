"""Clinic scoping: the one place every query of clinic data goes through."""

from typing import TypeVar

from sqlalchemy import Select, bindparam, select
from werkzeug.exceptions import NotFound

from tracker.extensions import db

Model = TypeVar("Model")


def clinic_select(model: type[Model], clinic_id: int, *columns) -> Select:
    """Select rows of a model that belong to one clinic: whole rows, or only the columns given."""
    return select(*(columns or (model,))).where(model.clinic_id == clinic_id)


# The largest id an integer primary key holds on PostgreSQL (SQLite's is larger).
MAX_ID = 2**31 - 1


def get_for_clinic(model: type[Model], object_id: int, clinic_id: int, *options) -> Model:
    """Load one row of the clinic, or answer 404 (another clinic's row does not exist for you).

    options: loader options, such as the relationships to load with the row.
    """
    return load_for_clinic(clinic_row(model, *options), object_id, clinic_id)


def clinic_row(model: type[Model], *options) -> Select:
    """The statement of get_for_clinic, to build once where a request path is hot: the row's
    id and clinic are bound when it runs (see load_for_clinic)."""
    return (
        clinic_select(model, bindparam("clinic_id"))
        .where(model.id == bindparam("object_id"))
        .options(*options)
    )


def load_for_clinic(statement: Select, object_id: int, clinic_id: int):
    """Run a clinic_row statement: the clinic's row, or 404."""
    if not 0 < object_id <= MAX_ID:
        raise NotFound()
    values = {"object_id": object_id, "clinic_id": clinic_id}
    found = db.session.scalars(statement, values).unique().one_or_none()
    if found is None:
        raise NotFound()
    return found


MAX_PAGE = 10_000


def requested_page(args) -> int:
    """The page asked for in the query string, 1 to MAX_PAGE (nonsense gives page 1)."""
    number = args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)
