"""Keep every patient's assessed treatments, and assess again only the patients whose records changed.

A clinic's outcome figures (DESIGN section 9) depend on every treatment, and assessing 20,000
patients' 400,000 check-ins takes seconds; a new check-in changes one patient's treatments.
So each process keeps, per clinic, each patient's assessed treatments beside the mark they
were assessed at: the patient's outcome_version (raised in the same transaction as any change
to their treatments, check-ins, stiffness flags or outcome events: services/outcome_changes.py),
their time zone and today's date there. Before answering, the marks are read again in one
statement from one index; patients whose mark differs are assessed again from the records and
counted out and in, patients gone are dropped. Versions are compared patient by patient, so a
check-in that commits late, after a newer one, is still seen: nothing depends on ids arriving
in order. Every five minutes, and on the first answer, every record is also summed up per
patient (counts, newest ids and change times): a write that went around the ORM and raised no
version is caught then.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.followup.flags import STIFFNESS_KINDS
from tracker.followup.outcome_summary import GroupedTally
from tracker.followup.outcomes import TreatmentOutcome
from tracker.models import CheckIn, Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.services.flagging import thresholds_for
from tracker.services.outcome_records import (
    TreatmentRow,
    assess,
    clinic_histories,
    driver_rows,
    trajectory_points,
)
from tracker.services.remembered import collector_paused
from tracker.services.reminders import schedule_settings
from tracker.timeutil import now_utc, today_in

# Past this many changed patients one statement for the whole clinic is cheaper than a list.
PATIENTS_BY_NAME = 500
# How often every record is summed up, for writes that raised no outcome version.
FULL_CHECK_EVERY = timedelta(minutes=5)
# Questions (filters and grouping) whose counts are kept, the least recently asked dropped.
TALLIES_KEPT = 16


@dataclass(frozen=True)
class AssessedTreatment:
    """A treatment's outcome row and the (day, stiffness, pain) readings of its series."""

    row: TreatmentRow
    readings: array  # flat: day, stiffness, pain, day, stiffness, pain, ...

    def trajectory_points(self) -> Iterator[tuple[int, int, int]]:
        values = iter(self.readings)
        return zip(values, values, values, strict=True)


@dataclass
class KeptTally:
    """Running counts of the treatments one question covers, kept up to date patient by patient."""

    tally: GroupedTally
    covers: Callable[[TreatmentOutcome], bool]

    def replace(self, old: Iterable[AssessedTreatment], new: Iterable[AssessedTreatment]) -> None:
        for treatment in old:
            if self.covers(treatment.row.outcome):
                self.tally.remove(treatment.row.outcome)
        for treatment in new:
            if self.covers(treatment.row.outcome):
                self.tally.add(treatment.row.outcome)


@dataclass
class ClinicLedger:
    """One clinic's assessed treatments by patient, with the marks they were assessed from."""

    settings: tuple = ()
    seen: set = field(default_factory=set)  # (patient id, time zone, outcome version)
    todays: dict[str, date] = field(default_factory=dict)  # today's date in each zone seen
    treatments: dict[int, tuple[AssessedTreatment, ...]] = field(default_factory=dict)
    tallies: OrderedDict = field(default_factory=OrderedDict)  # question -> KeptTally
    # Every record summed up per patient, as last checked, and when.
    full_marks: dict[int, tuple] = field(default_factory=dict)
    checked_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    reassessed: int = 0  # patients assessed again by the last refresh

    def rows(self) -> list[AssessedTreatment]:
        return [treatment for kept in self.treatments.values() for treatment in kept]

    def replace(self, owner: int, treatments: tuple[AssessedTreatment, ...]) -> None:
        """Put a patient's newly assessed treatments in place of the old, in every tally too."""
        old = self.treatments.pop(owner, ())
        for kept in self.tallies.values():
            kept.replace(old, treatments)
        if treatments:
            self.treatments[owner] = treatments


# Per database engine (a test's database, a bench's, the app's), then per clinic.
_LEDGERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LEDGERS_LOCK = threading.Lock()


def assessed_treatments(clinic: Clinic) -> list[AssessedTreatment]:
    """Return every treatment of the clinic, assessed from the records as they are now."""
    ledger = _ledger(clinic)
    with ledger.lock:
        refresh(clinic, ledger)
        return ledger.rows()


def tallied_figures(
    clinic: Clinic,
    question: Hashable,
    group_by: str | None,
    covers: Callable[[TreatmentOutcome], bool],
) -> dict:
    """Return the figures of the treatments a question covers, from counts kept up to date."""
    ledger = _ledger(clinic)
    with ledger.lock:
        refresh(clinic, ledger)
        kept = ledger.tallies.get(question)
        if kept is None:
            kept = ledger.tallies[question] = KeptTally(GroupedTally(group_by), covers)
            kept.replace((), ledger.rows())
            while len(ledger.tallies) > TALLIES_KEPT:
                ledger.tallies.popitem(last=False)
        ledger.tallies.move_to_end(question)
        return kept.tally.figures()


def refresh(clinic: Clinic, ledger: ClinicLedger) -> None:
    """Assess again the patients whose records changed since the ledger last saw them."""
    settings = (thresholds_for(clinic), schedule_settings(clinic))
    if settings != ledger.settings:
        ledger.settings, ledger.seen, ledger.todays, ledger.treatments = settings, set(), {}, {}
        ledger.full_marks, ledger.checked_at = {}, None
        ledger.tallies.clear()
    # Sets of plain tuples: 20,000 patients are compared in C, in a few milliseconds.
    seen = set(patient_versions(clinic))
    todays = {timezone: today_in(timezone) for timezone in {zone for _, zone, _ in seen}}
    changed = {owner for owner, _, _ in seen - ledger.seen}
    new_day = {zone for zone, today in todays.items() if ledger.todays.get(zone) != today}
    if new_day:  # today moved on in these zones: every censoring day there moves with it
        changed |= {owner for owner, zone, _ in seen if zone in new_day}
    for gone in {owner for owner, _, _ in ledger.seen - seen} - changed:
        ledger.full_marks.pop(gone, None)
        ledger.replace(gone, ())
    now = now_utc()
    if ledger.checked_at is None or now - ledger.checked_at >= FULL_CHECK_EVERY:
        # Writes that went around the ORM raised no version: every record is summed up.
        full_marks = records_marks(clinic)
        changed |= {o for o, mark in full_marks.items() if ledger.full_marks.get(o) != mark}
        ledger.full_marks, ledger.checked_at = full_marks, now
    ledger.seen, ledger.todays, ledger.reassessed = seen, todays, len(changed)
    if not changed:
        return
    by_name = changed if len(changed) <= PATIENTS_BY_NAME else None
    with collector_paused():
        histories = [(o, h) for o, h in clinic_histories(clinic, by_name) if o in changed]
        fresh: dict[int, list[AssessedTreatment]] = defaultdict(list)
        for (_, history), row in zip(histories, assess(clinic, histories), strict=True):
            readings = array(
                "i", [value for point in trajectory_points(history) for value in point]
            )
            fresh[row.patient_id].append(AssessedTreatment(row, readings))
    for owner in changed:
        ledger.replace(owner, tuple(fresh.get(owner, ())))


def patient_versions(clinic: Clinic) -> list[tuple[int, str, int]]:
    """Read each patient's (id, time zone, outcome version) from one index."""
    return driver_rows(
        select(Patient.id, Patient.timezone, Patient.outcome_version).where(
            Patient.clinic_id == clinic.id
        )
    )


def records_marks(clinic: Clinic) -> dict[int, tuple]:
    """Sum up, per patient with a treatment, every record their outcome figures come from."""
    # The driver's own values are compared as they come (times as stored, not converted).
    # Each mark holds, in this order: treatments, check-ins, stiffness flags and outcome
    # events; a part stays None while the patient has no such record.
    marks: dict[int, list] = {
        owner: [(count, newest, changed), None, None, None]
        for owner, count, newest, changed in driver_rows(
            select(
                Treatment.patient_id,
                func.count(Treatment.id),
                func.max(Treatment.id),
                func.max(Treatment.updated_at),
            )
            .where(Treatment.clinic_id == clinic.id)
            .group_by(Treatment.patient_id)
        )
    }
    for part, statement in enumerate(
        (
            select(CheckIn.patient_id, func.count(CheckIn.id), func.max(CheckIn.id))
            .where(CheckIn.clinic_id == clinic.id)
            .group_by(CheckIn.patient_id),
            select(
                Flag.patient_id, func.count(Flag.id), func.max(Flag.id), func.max(Flag.updated_at)
            )
            .where(
                Flag.clinic_id == clinic.id,
                Flag.kind.in_(sorted(STIFFNESS_KINDS)),
                Flag.treatment_id.is_not(None),
            )
            .group_by(Flag.patient_id),
            select(OutcomeEvent.patient_id, func.count(OutcomeEvent.id), func.max(OutcomeEvent.id))
            .where(OutcomeEvent.clinic_id == clinic.id)
            .group_by(OutcomeEvent.patient_id),
        ),
        start=1,
    ):
        for owner, *summary in driver_rows(statement):
            if owner in marks:
                marks[owner][part] = tuple(summary)
    return {owner: tuple(mark) for owner, mark in marks.items()}


def forget_assessed() -> None:
    """Drop every ledger: for a database emptied or restored underneath the app."""
    with _LEDGERS_LOCK:
        _LEDGERS.clear()


def _ledger(clinic: Clinic) -> ClinicLedger:
    with _LEDGERS_LOCK:
        ledgers = _LEDGERS.setdefault(db.engine, {})
        return ledgers.setdefault(clinic.id, ClinicLedger())
