"""Keep every patient's assessed treatments, and assess again only the patients whose records changed.

A clinic's outcome figures (docs/outcomes-and-reporting.md, Over many treatments) depend on
every treatment, and assessing 20,000 patients' 400,000 check-ins takes seconds; a new
check-in changes one patient's treatments.
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
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.followup.flags import STIFFNESS_KINDS
from tracker.followup.outcome_summary import GroupedTally
from tracker.followup.outcomes import TreatmentOutcome
from tracker.models import CheckIn, Clinic, Flag, OutcomeEvent, Patient, Treatment
from tracker.services.flagging import thresholds_for
from tracker.services.follow_up_schedule import schedule_settings
from tracker.services.outcome_changes import version_totals, versioned_patients
from tracker.services.outcome_records import (
    TreatmentRow,
    assess,
    clinic_histories,
    driver_rows,
    trajectory_points,
)
from tracker.services.remembered import collector_paused
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
    """One clinic's assessed treatments by patient, with the versions they were assessed at."""

    settings: tuple = ()
    versions: Versions = field(default_factory=lambda: Versions())
    todays: dict[str, date] = field(default_factory=dict)  # today's date in each zone seen
    treatments: dict[int, tuple[AssessedTreatment, ...]] = field(default_factory=dict)
    tallies: OrderedDict = field(default_factory=OrderedDict)  # question -> KeptTally
    # Every record summed up per patient, as last checked, and when.
    full_marks: dict[int, tuple] = field(default_factory=dict)
    checked_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    reassessed: int = 0  # patients assessed again by the last refresh

    def clear(self) -> None:
        self.versions, self.todays, self.treatments = Versions(), {}, {}
        self.full_marks, self.checked_at = {}, None
        self.tallies.clear()

    def rows(self) -> list[AssessedTreatment]:
        return [treatment for kept in self.treatments.values() for treatment in kept]

    def figures(
        self, question: Hashable, group_by: str | None, covers: Callable[[TreatmentOutcome], bool]
    ) -> dict:
        """The figures of the treatments a question covers, counting them the first time."""
        kept = self.tallies.get(question)
        if kept is None:
            kept = self.tallies[question] = KeptTally(GroupedTally(group_by), covers)
            kept.replace((), self.rows())
            while len(self.tallies) > TALLIES_KEPT:
                self.tallies.popitem(last=False)
        self.tallies.move_to_end(question)
        return kept.tally.figures()

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


# A question the counts answer: its key, its grouping, and which treatments it covers.
Question = tuple[Hashable, str | None, Callable[[TreatmentOutcome], bool]]


def tallied_figures(
    clinic: Clinic, questions: Sequence[Question]
) -> tuple[list[dict], list[AssessedTreatment]]:
    """Return each question's figures, from counts kept up to date, and every assessed
    treatment: all after one look at what changed."""
    ledger = _ledger(clinic)
    with ledger.lock:
        refresh(clinic, ledger)
        return [ledger.figures(*question) for question in questions], ledger.rows()


def refresh(clinic: Clinic, ledger: ClinicLedger) -> None:
    """Assess again the patients whose records changed since the ledger last saw them."""
    settings = (thresholds_for(clinic), schedule_settings(clinic))
    if settings != ledger.settings:
        ledger.clear()
        ledger.settings = settings
    changed, gone = ledger.versions.read(clinic)
    todays = {zone: today_in(zone) for zone in ledger.versions.members}
    for zone, today in todays.items():
        if ledger.todays.get(zone) != today:  # every censoring day in the zone moves on
            changed |= ledger.versions.members[zone]
    ledger.todays = todays
    for owner in gone - changed:
        ledger.full_marks.pop(owner, None)
        ledger.replace(owner, ())
    now = now_utc()
    if ledger.checked_at is None or now - ledger.checked_at >= FULL_CHECK_EVERY:
        # Writes that went around the ORM raised no version: every record is summed up.
        full_marks = records_marks(clinic)
        changed |= {o for o, mark in full_marks.items() if ledger.full_marks.get(o) != mark}
        ledger.full_marks, ledger.checked_at = full_marks, now
    ledger.reassessed = len(changed)
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


@dataclass
class Versions:
    """The outcome version and zone of each of the clinic's patients with outcome records."""

    of: dict[int, tuple[int, str]] = field(default_factory=dict)
    members: dict[str, set[int]] = field(default_factory=dict)  # patients by zone
    total: int = 0  # the sum of the versions known
    highest: int = 0

    def read(self, clinic: Clinic) -> tuple[set[int], set[int]]:
        """Read the versions above the highest seen; return the patients changed and gone.

        Versions only grow, so the known ones sum up to the database's sum exactly when none
        is missing: a version that committed after a higher one, or a patient deleted, makes
        the sums differ, and then every version is read again.
        """
        mine = versioned_patients(clinic.id)
        rows = driver_rows(
            select(Patient.id, Patient.outcome_version, Patient.timezone).where(
                *mine, Patient.outcome_version > self.highest
            )
        )
        changed = {owner for owner, version, zone in rows if self.learn(owner, version, zone)}
        if version_totals(clinic.id) == (len(self.of), self.total):
            return changed, set()
        every = driver_rows(
            select(Patient.id, Patient.outcome_version, Patient.timezone).where(*mine)
        )
        changed |= {owner for owner, version, zone in every if self.learn(owner, version, zone)}
        gone = self.of.keys() - {owner for owner, _, _ in every}
        for owner in gone:
            self.forget(owner)
        return changed, gone

    def learn(self, owner: int, version: int, zone: str) -> bool:
        """Note a patient's version; tell whether it is new to the ledger."""
        known = self.of.get(owner)
        if known == (version, zone):
            return False
        if known is not None:
            self.forget(owner)
        self.of[owner] = (version, zone)
        self.members.setdefault(zone, set()).add(owner)
        self.total += version
        self.highest = max(self.highest, version)
        return True

    def forget(self, owner: int) -> None:
        version, zone = self.of.pop(owner)
        self.total -= version
        self.members[zone].discard(owner)
        if not self.members[zone]:
            del self.members[zone]


def records_marks(clinic: Clinic) -> dict[int, tuple]:
    """Sum up, per patient with a treatment, every record their outcome figures come from."""
    # The driver's own values are compared as they come (times as stored, not converted).
    # Each mark holds, in this order: treatments, check-ins, stiffness flags and outcome
    # events (a part stays None while the patient has no such record), then the patient's
    # zone and today's date there.
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
    todays: dict[str, date] = {}
    for owner, zone in driver_rows(
        select(Patient.id, Patient.timezone).where(Patient.clinic_id == clinic.id)
    ):
        if owner in marks:
            today = todays.get(zone) or todays.setdefault(zone, today_in(zone))
            marks[owner].append((zone, today))
    return {owner: tuple(mark) for owner, mark in marks.items()}


def forget_assessed() -> None:
    """Drop every ledger: for a database emptied or restored underneath the app."""
    with _LEDGERS_LOCK:
        _LEDGERS.clear()


def _ledger(clinic: Clinic) -> ClinicLedger:
    with _LEDGERS_LOCK:
        ledgers = _LEDGERS.setdefault(db.engine, {})
        return ledgers.setdefault(clinic.id, ClinicLedger())
