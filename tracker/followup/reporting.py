"""Reporting clocks of Japan's regenerative-medicine act (docs/outcomes-and-reporting.md).

Pure functions over dates: no clock, no database. The caller passes the plan's
dates and "today" in the clinic's zone. Every rule errs on the early side, so a
clinic that keeps these clocks is never late:

- An adverse event's clock starts on aware_on, the day the clinic learned of it,
  counted as day 1: a 7-day report is due aware_on + 6, a 15-day report
  aware_on + 14.
- Non-serious events are reported in 60-day batches counted from the plan's
  submitted_on (day 0; period k covers days 60k to 60k+59), each batch due
  10 days after its period's last day.
- Until it is assessed (seriousness and causality both recorded) an event is
  due as a 7-day report: it might be a death.
- Causality `unrelated` makes an event not reportable: it is kept, with no due date.
- Periodic reports: one per plan year counted from accepted_on, due 90 days
  after the year's last day, even when nobody was treated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.followup.schedule import local_date

DEATH = "death"
LIFE_THREATENING = "life_threatening"
HOSPITALISATION = "hospitalisation"
DISABILITY = "disability"
POSSIBLE_DISABILITY = "possible_disability"
SERIOUS_OTHER = "serious_other"
CONGENITAL_ANOMALY = "congenital_anomaly"
NON_SERIOUS = "non_serious"
SERIOUSNESS = (
    DEATH,
    LIFE_THREATENING,
    HOSPITALISATION,
    DISABILITY,
    POSSIBLE_DISABILITY,
    SERIOUS_OTHER,
    CONGENITAL_ANOMALY,
    NON_SERIOUS,
)

RELATED = "related"
POSSIBLY_RELATED = "possibly_related"
UNLIKELY = "unlikely"
UNRELATED = "unrelated"
CAUSALITY = (RELATED, POSSIBLY_RELATED, UNLIKELY, UNRELATED)

TO_ASSESS = "to_assess"
TO_REPORT = "to_report"
REPORTED = "reported"
NOT_REPORTABLE = "not_reportable"
STATUSES = (TO_ASSESS, TO_REPORT, REPORTED, NOT_REPORTABLE)
# Open records still have a clock running; the other two are settled.
OPEN_STATUSES = frozenset({TO_ASSESS, TO_REPORT})

SEVEN_DAY = "seven_day"
FIFTEEN_DAY = "fifteen_day"
PERIODIC_BATCH = "periodic_batch"
REPORT_CATEGORIES = (SEVEN_DAY, FIFTEEN_DAY, PERIODIC_BATCH)

CATEGORY_BY_SERIOUSNESS = {
    DEATH: SEVEN_DAY,
    LIFE_THREATENING: SEVEN_DAY,
    HOSPITALISATION: FIFTEEN_DAY,
    DISABILITY: FIFTEEN_DAY,
    POSSIBLE_DISABILITY: FIFTEEN_DAY,
    SERIOUS_OTHER: FIFTEEN_DAY,
    CONGENITAL_ANOMALY: FIFTEEN_DAY,
    NON_SERIOUS: PERIODIC_BATCH,
}
# Reports "within N days" with aware_on as day 1 are due on aware_on + N - 1.
REPORT_WITHIN_DAYS = {SEVEN_DAY: 7, FIFTEEN_DAY: 15}
# 7- and 15-day reports go to the certified committee and to the minister; the
# 60-day batch goes to the committee alone.
MINISTER_REPORT_CATEGORIES = frozenset({SEVEN_DAY, FIFTEEN_DAY})

BATCH_PERIOD_DAYS = 60
BATCH_REPORT_AFTER_DAYS = 10
PERIODIC_REPORT_AFTER_DAYS = 90
WARNING_DAYS_BEFORE = 2


@dataclass(frozen=True)
class BatchPeriod:
    index: int  # 0 holds the plan's submitted_on; negative before it
    starts_on: date
    ends_on: date
    due_on: date


@dataclass(frozen=True)
class PlanYear:
    index: int  # 0 is the year starting on accepted_on
    starts_on: date
    ends_on: date
    due_on: date


def aware_on_for(submitted_at_utc: datetime, clinic_zone: str | ZoneInfo) -> date:
    """Return the clinic-local day on which a patient's report reached the clinic."""
    if not isinstance(submitted_at_utc, datetime):
        raise ValueError(f"submitted_at must be an aware datetime, got {submitted_at_utc!r}")
    return local_date(submitted_at_utc, clinic_zone)


def report_category(seriousness: str | None, causality: str | None) -> str | None:
    """Return which report an event needs, or None when it is not reportable.

    Half an assessment is no assessment: while either word is missing the event
    is due as a 7-day report, even if the causality recorded so far is unrelated.
    """
    _check_word(seriousness, SERIOUSNESS, "seriousness")
    _check_word(causality, CAUSALITY, "causality")
    if seriousness is None or causality is None:
        return SEVEN_DAY
    if causality == UNRELATED:
        return None
    return CATEGORY_BY_SERIOUSNESS[seriousness]


def report_due_on(
    seriousness: str | None,
    causality: str | None,
    aware_on: date,
    submitted_on: date | None,
) -> date | None:
    """Return the day an event's report is due, or None when it is not reportable.

    submitted_on is the day the event's provision plan was submitted; only the
    60-day batch needs it. A non-serious event with no submitted plan is due
    10 days after aware_on: the earliest any 60-day period could make it due (when
    aware_on is its period's last day), so the clinic is not late whichever day
    the plan turns out to have been submitted; a 15-day clock could be. An event
    learned of before the plan was submitted falls in a period counted backwards
    (period -1 covers days -60 to -1), so it is due within 70 days like any other
    instead of waiting for the plan's first period to end.
    """
    _check_day(aware_on, "aware_on")
    if submitted_on is not None:
        _check_day(submitted_on, "submitted_on")
    category = report_category(seriousness, causality)
    if category is None:
        return None
    if category in REPORT_WITHIN_DAYS:
        return aware_on + timedelta(days=REPORT_WITHIN_DAYS[category] - 1)
    if submitted_on is None:
        return aware_on + timedelta(days=BATCH_REPORT_AFTER_DAYS)
    return batch_period(submitted_on, aware_on).due_on


def batch_period(submitted_on: date, aware_on: date) -> BatchPeriod:
    """Return the 60-day period, counted from the plan's submitted_on, holding aware_on."""
    _check_day(submitted_on, "submitted_on")
    _check_day(aware_on, "aware_on")
    # Floor division keeps the same 60-day grid before submitted_on too.
    index = (aware_on - submitted_on).days // BATCH_PERIOD_DAYS
    starts_on = submitted_on + timedelta(days=BATCH_PERIOD_DAYS * index)
    ends_on = starts_on + timedelta(days=BATCH_PERIOD_DAYS - 1)
    due_on = ends_on + timedelta(days=BATCH_REPORT_AFTER_DAYS)
    return BatchPeriod(index=index, starts_on=starts_on, ends_on=ends_on, due_on=due_on)


def days_left(due_on: date, today: date) -> int:
    """Return the days from today to due_on in the clinic's zone: 0 on the day, negative after."""
    _check_day(due_on, "due_on")
    _check_day(today, "today")
    return (due_on - today).days


def record_status(
    seriousness: str | None,
    causality: str | None,
    reported_to_committee_on: date | None = None,
    reported_to_minister_on: date | None = None,
) -> str:
    """Return the status an adverse-event record has with this assessment and these reports.

    A 7- or 15-day report counts as reported only once it has gone both to the
    certified committee and to the minister; a 60-day batch report once it has
    gone to the committee. Report dates recorded before the assessment is
    complete leave the record to be assessed.
    """
    _check_optional_day(reported_to_committee_on, "reported_to_committee_on")
    _check_optional_day(reported_to_minister_on, "reported_to_minister_on")
    category = report_category(seriousness, causality)
    if seriousness is None or causality is None:
        return TO_ASSESS
    if category is None:
        return NOT_REPORTABLE
    if reported_to_committee_on is None:
        return TO_REPORT
    if category in MINISTER_REPORT_CATEGORIES and reported_to_minister_on is None:
        return TO_REPORT
    return REPORTED


def plan_year(accepted_on: date, index: int) -> PlanYear:
    """Return plan year `index` (0 is the first) of a plan accepted on accepted_on.

    Year n runs from the n-th anniversary of accepted_on to the day before the
    next one. For a plan accepted on 29 February the anniversary in other years
    is 1 March, so those years end on 28 February, the last day of the month, as
    Civil Code article 143 ends a period whose closing month lacks the day.
    """
    _check_day(accepted_on, "accepted_on")
    if not _is_int(index) or index < 0:
        raise ValueError(f"Plan year index must be a non-negative integer, got {index!r}")
    starts_on = _anniversary(accepted_on, index)
    ends_on = _anniversary(accepted_on, index + 1) - timedelta(days=1)
    due_on = ends_on + timedelta(days=PERIODIC_REPORT_AFTER_DAYS)
    return PlanYear(index=index, starts_on=starts_on, ends_on=ends_on, due_on=due_on)


def plan_years(accepted_on: date, through: date) -> list[PlanYear]:
    """List the plan years that have begun by `through`, the one running included."""
    _check_day(through, "through")
    years: list[PlanYear] = []
    year = plan_year(accepted_on, 0)
    while year.starts_on <= through:
        years.append(year)
        year = plan_year(accepted_on, year.index + 1)
    return years


def next_periodic_report(accepted_on: date, filed: Iterable[int]) -> PlanYear:
    """Return the earliest plan year whose periodic report has not been filed.

    filed holds the indexes of the plan years already reported. A missing earlier
    report stays next even if later ones were filed: it is the one that is late.
    """
    filed_indexes = set(filed)
    for index in filed_indexes:
        if not _is_int(index) or index < 0:
            raise ValueError(f"filed must hold plan year indexes (0 or more), got {index!r}")
    index = 0
    while index in filed_indexes:
        index += 1
    return plan_year(accepted_on, index)


def reminder_due(day: date, due_on: date, last_sent_on: date | None) -> bool:
    """Tell whether the clinic's admins should get a reminder about a report on `day`.

    One warning WARNING_DAYS_BEFORE days before due_on, then one each day the
    report is overdue, never two on one day. A warning that could not go out on
    its day (the event entered late, the scheduler down, a reassessment bringing
    the due date forward) goes out on the next day up to due_on itself.
    """
    _check_day(day, "day")
    _check_day(due_on, "due_on")
    _check_optional_day(last_sent_on, "last_sent_on")
    if last_sent_on is not None and last_sent_on >= day:
        return False
    if day > due_on:
        return True
    warning_on = due_on - timedelta(days=WARNING_DAYS_BEFORE)
    if day < warning_on:
        return False
    # A send before the warning day was about an earlier due date or a batch
    # since closed: it does not count as this warning.
    return last_sent_on is None or last_sent_on < warning_on


def _anniversary(accepted_on: date, years: int) -> date:
    try:
        return accepted_on.replace(year=accepted_on.year + years)
    except ValueError:
        # Only 29 February lacks a day in other years; 1 March stands in for it.
        return date(accepted_on.year + years, 3, 1)


def _check_word(word: str | None, vocabulary: tuple[str, ...], name: str) -> None:
    if word is not None and word not in vocabulary:
        raise ValueError(f"{name} must be one of {', '.join(vocabulary)}; got {word!r}")


def _check_day(day: object, name: str) -> None:
    # datetime is a subclass of date; an instant has no calendar day until a zone
    # is chosen, so it is refused rather than silently truncated.
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValueError(f"{name} must be a calendar date, got {day!r}")


def _check_optional_day(day: object, name: str) -> None:
    if day is not None:
        _check_day(day, name)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
