"""The clinicians' worklist: open flags in the order that needs attention first."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, false, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from tracker.extensions import db
from tracker.followup.flags import ACTIVE_STATUSES, Reading, treatment_series
from tracker.followup.schedule import local_date, local_midnight
from tracker.models import CheckIn, Flag, Treatment
from tracker.services.adverse_events import clinic_today, clocks_of_flags
from tracker.services.scope import requested_page
from tracker.timeutil import now_utc
from tracker.vocabulary import FLAG_KINDS, MISSED_MILESTONE

PAGE_SIZE = 50  # two screens of compact rows at 1366x900
KIND_ORDER = case({kind: position for position, kind in enumerate(FLAG_KINDS)}, value=Flag.kind)
OWNER_FILTERS = ("mine", "unowned")  # anything else means anyone's


@dataclass
class WorklistRow:
    """One flag as the worklist shows it."""

    flag: Flag
    days_since_treatment: int | None
    age: str
    readings: list[Reading]  # the treatment's series, for the sparkline
    clock: object = None  # an adverse_event flag's reporting clock (an EventClock)
    days_since_checkin: int | None = None  # the latest check-in of the series
    waited_days: int = 0  # since the flag began to wait (see waiting_since)

    @property
    def latest(self) -> Reading | None:
        return self.readings[-1] if self.readings else None

    @property
    def best_stiffness(self) -> int | None:
        nadir = (self.flag.evidence or {}).get("nadir")
        if isinstance(nadir, dict) and isinstance(nadir.get("stiffness"), int):
            return nadir["stiffness"]  # the nadir the flag rules found
        return min((r.stiffness for r in self.readings), default=None)

    @property
    def best_pain(self) -> int | None:
        return min((r.pain for r in self.readings), default=None)


@dataclass
class WorklistPage:
    flags: list[Flag]
    page_number: int
    has_next: bool
    kind: str | None
    owner: str = ""
    rows: list[WorklistRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def filters(self, **changes) -> dict:
        """Return the query arguments of this view, with some changed (for links)."""
        current = {"kind": self.kind, "owner": self.owner or None, "page": None}
        current.update(changes)
        return {name: value for name, value in current.items() if value}


def flag_age(opened_at: datetime, now: datetime) -> str:
    """Say how long a flag has waited, in days."""
    days = (now - opened_at).days
    if days < 1:
        return "under a day"
    return "1 day" if days == 1 else f"{days} days"


def worklist_page(
    clinic_id: int, args, user_id: int | None = None, now: datetime | None = None
) -> WorklistPage:
    """Load one page of the clinic's open and acknowledged flags, with their series.

    user_id is the viewer, for the "mine" filter (no viewer owns nothing).
    """
    now = now or now_utc()
    kind = args.get("kind") if args.get("kind") in FLAG_KINDS else None
    owner = args.get("owner") if args.get("owner") in OWNER_FILTERS else ""
    page_number = requested_page(args)

    conditions = [Flag.clinic_id == clinic_id, Flag.status.in_(sorted(ACTIVE_STATUSES))]
    if owner == "mine":
        # No viewer owns nothing; never let "== None" turn into "IS NULL" (unowned).
        conditions.append(Flag.owner_id == user_id if user_id is not None else false())
    elif owner == "unowned":
        conditions.append(Flag.owner_id.is_(None))
    counts = dict(
        db.session.execute(select(Flag.kind, func.count()).where(*conditions).group_by(Flag.kind))
        .tuples()
        .all()
    )
    if kind:
        conditions.append(Flag.kind == kind)

    later = aliased(Treatment)
    # The series ends where the patient's next treatment begins (docs/schedule-and-flags.md).
    next_treated_on = (
        select(func.min(later.treated_on))
        .where(later.patient_id == Flag.patient_id, later.treated_on > Treatment.treated_on)
        .correlate(Flag, Treatment)
        .scalar_subquery()
    )
    # Pick the page from the flag table alone, then join only its rows: joining every active
    # flag before the sort and limit made the page grow with the clinic.
    page_ids = (
        select(Flag.id, KIND_ORDER.label("kind_order"), Flag.opened_at)
        .where(*conditions)
        .order_by(KIND_ORDER, Flag.opened_at, Flag.id)
        .limit(PAGE_SIZE + 1)
        .offset((page_number - 1) * PAGE_SIZE)
        .subquery()
    )
    query = (
        select(Flag, next_treated_on)
        .join(page_ids, page_ids.c.id == Flag.id)
        .outerjoin(Flag.treatment)
        .options(contains_eager(Flag.treatment), joinedload(Flag.patient), joinedload(Flag.owner))
        .order_by(page_ids.c.kind_order, page_ids.c.opened_at, page_ids.c.id)
    )
    found = db.session.execute(query).tuples().all()
    has_next = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    series = page_series(clinic_id, [(flag, next_on) for flag, next_on in found])
    rows = [worklist_row(flag, series.get(flag.treatment_id, []), now) for flag, _ in found]
    add_clocks(rows, now)
    return WorklistPage(
        flags=[row.flag for row in rows],
        page_number=page_number,
        has_next=has_next,
        kind=kind,
        owner=owner,
        rows=rows,
        counts={name: counts.get(name, 0) for name in FLAG_KINDS},
    )


def page_series(clinic_id: int, flags: list[tuple[Flag, date | None]]) -> dict[int, list[Reading]]:
    """Load every sparkline series of the page's treatments in one query."""
    windows = {
        flag.treatment.id: (flag.patient_id, flag.treatment.treated_on, next_on)
        for flag, next_on in flags
        if flag.treatment is not None
    }
    if not windows:
        return {}
    checkins = db.session.execute(
        select(CheckIn.patient_id, CheckIn.id, CheckIn.recorded_on, CheckIn.pain, CheckIn.stiffness)
        .where(
            CheckIn.clinic_id == clinic_id,
            CheckIn.patient_id.in_({patient_id for patient_id, _, _ in windows.values()}),
            CheckIn.recorded_on >= min(treated_on for _, treated_on, _ in windows.values()),
        )
        .order_by(CheckIn.recorded_on, CheckIn.id)
    ).all()
    by_patient: dict[int, list[Reading]] = defaultdict(list)
    for patient_id, *values in checkins:
        by_patient[patient_id].append(Reading(*values))
    return {
        treatment_id: treatment_series(treated_on, next_on, by_patient[patient_id])
        for treatment_id, (patient_id, treated_on, next_on) in windows.items()
    }


def waiting_since(flag: Flag) -> datetime:
    """When a flag began to wait: a missed milestone at its window's close, else when opened."""
    if flag.kind == MISSED_MILESTONE:
        try:
            closes_on = date.fromisoformat((flag.evidence or {})["window_closes_on"])
        except (KeyError, TypeError, ValueError):
            return flag.opened_at
        # The window's last day is included: it closed when the next local day began.
        return local_midnight(closes_on + timedelta(days=1), flag.patient.timezone)
    return flag.opened_at


def worklist_row(flag: Flag, readings: list[Reading], now: datetime) -> WorklistRow:
    """Put one flag's words, numbers and sparkline together."""
    treatment = flag.treatment
    today = local_date(now, flag.patient.timezone)
    days_since = None
    if treatment is not None:
        days_since = (today - treatment.treated_on).days
    return WorklistRow(
        flag=flag,
        days_since_treatment=days_since,
        age=flag_age(waiting_since(flag), now),
        waited_days=max((now - waiting_since(flag)).days, 0),
        readings=readings,
        days_since_checkin=(today - readings[-1].recorded_on).days if readings else None,
    )


def add_clocks(rows: list[WorklistRow], now: datetime) -> None:
    """Give each adverse_event row the clock of its record (one query for the page)."""

    flags = [row.flag for row in rows if row.flag.adverse_event_id is not None]
    if not flags:
        return
    today = clinic_today(flags[0].patient.clinic, now)
    clocks = clocks_of_flags(flags, lambda event: today)
    for row in rows:
        row.clock = clocks.get(row.flag.id)
