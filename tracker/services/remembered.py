"""Remember outcome figures per fingerprint of the records they were computed from.

The figures are computed on read (docs/outcomes-and-reporting.md, Keeping the figures up to
date); computing them for a clinic of 20,000 patients takes a second, and reading them again
with nothing changed should not.
"""

import gc
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import timedelta

from tracker.extensions import db
from tracker.models import Clinic
from tracker.services.flagging import thresholds_for
from tracker.services.follow_up_schedule import schedule_settings
from tracker.services.outcome_changes import version_totals
from tracker.timeutil import now_utc

# Figures already computed from exactly the records they were computed from. The key holds a
# fingerprint of the versions of every patient's outcome records, so a new check-in, flag
# change, treatment, outcome event or setting makes a new key: an answer is reused, not aged.
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
    """Sum up, in one statement, the versions of the records the outcome figures depend on.

    Any change to a patient's outcome records sets their outcome_version higher
    (services/outcome_changes.py), so the count and sum of the versions change with it, a
    late commit included; both are read from one index. A write around the ORM raises no
    version: the time slot below bounds how long an answer can miss it.
    """
    now = now_utc()
    slot = now - (now - now.replace(minute=0, second=0, microsecond=0)) % TODAY_GRANULARITY
    return (version_totals(clinic.id), thresholds_for(clinic), schedule_settings(clinic), slot)


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
