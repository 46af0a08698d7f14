"""Remember outcome figures per fingerprint of the records they were computed from.

The figures are computed on read (DESIGN section 9); computing them for a clinic of 20,000
patients takes a second, and reading them again with nothing changed should not.
"""

import gc
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import CheckIn, Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.services.flagging import thresholds_for
from tracker.services.reminders import schedule_settings
from tracker.timeutil import now_utc

# Figures already computed from exactly the records they were computed from. The key holds a
# fingerprint of every row they depend on, so a new check-in, flag change, treatment, outcome
# event or setting makes a new key: a remembered answer is never out of date, only reused.
_REMEMBERED: OrderedDict = OrderedDict()
_REMEMBERED_LOCK = threading.Lock()
REMEMBERED_ANSWERS = 32
# The patients' "today" moves at midnight in each zone, on a quarter hour in every zone.
TODAY_GRANULARITY = timedelta(minutes=15)


def remembered(clinic: Clinic, what: tuple, compute):
    """Return the answer computed from these exact records, computing it if there is none."""
    key = (db.engine.url.render_as_string(), clinic.id, what, records_fingerprint(clinic))
    with _REMEMBERED_LOCK:
        if key in _REMEMBERED:
            _REMEMBERED.move_to_end(key)
            return _REMEMBERED[key]
    with collector_paused():
        answer = compute()
    with _REMEMBERED_LOCK:
        _REMEMBERED[key] = answer
        while len(_REMEMBERED) > REMEMBERED_ANSWERS:
            _REMEMBERED.popitem(last=False)
    return answer


def forget_remembered() -> None:
    """Drop every remembered answer: for a database emptied or restored underneath the app."""
    with _REMEMBERED_LOCK:
        _REMEMBERED.clear()


def records_fingerprint(clinic: Clinic) -> tuple:
    """Sum up, in one statement, every record the clinic's outcome figures depend on."""

    def summary(model, *columns):
        mine = model.clinic_id == clinic.id
        return [select(func.count()).select_from(model).where(mine).scalar_subquery()] + [
            select(func.max(column)).where(mine).scalar_subquery() for column in columns
        ]

    counts = db.session.execute(
        select(
            # Check-ins are only ever added, so the newest id of all says whether one came:
            # read from the primary key, it costs the same at 4,000 check-ins or 4 million.
            select(func.max(CheckIn.id)).scalar_subquery(),
            *summary(Treatment, Treatment.id, Treatment.updated_at),
            *summary(Flag, Flag.id, Flag.updated_at),
            *summary(OutcomeEvent, OutcomeEvent.id),
            *summary(Patient, Patient.id, Patient.updated_at),
            # Raised with any change to a patient's outcome records, a late commit included.
            select(func.sum(Patient.outcome_version))
            .where(Patient.clinic_id == clinic.id)
            .scalar_subquery(),
        )
    ).one()
    now = now_utc()
    slot = now - (now - now.replace(minute=0, second=0, microsecond=0)) % TODAY_GRANULARITY
    return (tuple(counts), thresholds_for(clinic), schedule_settings(clinic), slot)


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while hundreds of thousands of readings are made."""
    # They hold no cycles, yet each allocation burst would trigger full collections that
    # walk every one of them again: about a third of the time at 400,000 check-ins.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
