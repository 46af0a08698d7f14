"""Reporting clocks of adverse events and periodic reports (docs/outcomes-and-reporting.md).

Every expected date in the tables is counted by hand on a calendar, not computed
with the code under test; the comment beside a row shows the count.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.followup.reporting import (
    CAUSALITY,
    FIFTEEN_DAY,
    NOT_REPORTABLE,
    PERIODIC_BATCH,
    REPORT_CATEGORIES,
    REPORTED,
    SERIOUSNESS,
    SEVEN_DAY,
    STATUSES,
    TO_ASSESS,
    TO_REPORT,
    PlanYear,
    aware_on_for,
    batch_period,
    days_left,
    next_periodic_report,
    plan_year,
    plan_years,
    record_status,
    reminder_due,
    report_category,
    report_due_on,
)

PROPERTY = settings(database=None, deadline=None, max_examples=300)
SERIOUS_15 = ("hospitalisation", "disability", "possible_disability", "serious_other")
REPORTABLE_CAUSALITY = ("related", "possibly_related", "unlikely")

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
# None (unassessed) only as often as any one word, so every category gets its share.
seriousness_or_none = st.sampled_from((None, *SERIOUSNESS))
causality_or_none = st.sampled_from((None, *CAUSALITY))


@st.composite
def plan_and_aware_on(draw):
    """Draw a plan's submitted_on (or None) and an aware_on spread around it."""
    submitted_on = draw(days)
    # Hypothesis favours equal dates; an offset reaches every day of a period.
    aware_on = submitted_on + timedelta(days=draw(st.integers(-400, 800)))
    return draw(st.sampled_from((submitted_on, None))), aware_on


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- vocabularies -----------------------------------------------------------------


def test_vocabularies_are_the_reporting_words_in_order():
    assert SERIOUSNESS == (
        "death",
        "life_threatening",
        "hospitalisation",
        "disability",
        "possible_disability",
        "serious_other",
        "congenital_anomaly",
        "non_serious",
    )
    assert CAUSALITY == ("related", "possibly_related", "unlikely", "unrelated")
    assert STATUSES == ("to_assess", "to_report", "reported", "not_reportable")
    assert REPORT_CATEGORIES == ("seven_day", "fifteen_day", "periodic_batch")


# --- aware_on: the clinic's calendar day --------------------------------------------


@pytest.mark.parametrize(
    ("submitted_at", "zone", "expected"),
    [
        # Tokyo is UTC+9 all year: 23:30 UTC is 08:30 the next morning.
        (utc(2026, 3, 1, 23, 30), "Asia/Tokyo", date(2026, 3, 2)),
        (utc(2026, 3, 1, 14, 59, 59), "Asia/Tokyo", date(2026, 3, 1)),
        (utc(2026, 3, 1, 15, 0), "Asia/Tokyo", date(2026, 3, 2)),
        # New Year's Eve in UTC is already New Year's Day in Tokyo.
        (utc(2025, 12, 31, 23, 30), "Asia/Tokyo", date(2026, 1, 1)),
        # West of UTC the day runs behind: 03:00 UTC is 22:00 EST the evening before.
        (utc(2026, 3, 2, 3, 0), "America/New_York", date(2026, 3, 1)),
        (utc(2026, 3, 1, 23, 30), "UTC", date(2026, 3, 1)),
    ],
)
def test_aware_on_is_the_submission_day_in_the_clinic_zone(submitted_at, zone, expected):
    assert aware_on_for(submitted_at, zone) == expected


def test_aware_on_accepts_any_aware_instant():
    tokyo_evening = datetime(2026, 3, 2, 8, 30, tzinfo=UTC).astimezone()
    assert aware_on_for(tokyo_evening, "Asia/Tokyo") == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("submitted_at", "zone"),
    [
        (datetime(2026, 3, 1, 23, 30), "Asia/Tokyo"),  # naive: which zone is it in?
        (utc(2026, 3, 1), "Mars/Olympus_Mons"),
        (utc(2026, 3, 1), ""),
        (date(2026, 3, 1), "Asia/Tokyo"),
    ],
)
def test_aware_on_refuses_naive_instants_and_unknown_zones(submitted_at, zone):
    with pytest.raises(ValueError):
        aware_on_for(submitted_at, zone)


# --- report category ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("seriousness", "causality", "expected"),
    [
        ("death", "related", SEVEN_DAY),
        ("life_threatening", "possibly_related", SEVEN_DAY),
        ("death", "unlikely", SEVEN_DAY),
        *[(s, c, FIFTEEN_DAY) for s in SERIOUS_15 for c in REPORTABLE_CAUSALITY],
        ("congenital_anomaly", "related", FIFTEEN_DAY),
        ("non_serious", "related", PERIODIC_BATCH),
        ("non_serious", "unlikely", PERIODIC_BATCH),
        # Unrelated is kept but never reported, however serious.
        *[(s, "unrelated", None) for s in SERIOUSNESS],
        # Half an assessment is no assessment: it might still be a death.
        (None, None, SEVEN_DAY),
        ("non_serious", None, SEVEN_DAY),
        ("hospitalisation", None, SEVEN_DAY),
        (None, "related", SEVEN_DAY),
        (None, "unrelated", SEVEN_DAY),
    ],
)
def test_report_category_follows_seriousness_and_causality(seriousness, causality, expected):
    assert report_category(seriousness, causality) == expected


@pytest.mark.parametrize(
    ("seriousness", "causality"),
    [("fatal", "related"), ("death", "probable"), ("Death", "related"), (1, "related")],
)
def test_report_category_refuses_words_outside_the_vocabulary(seriousness, causality):
    with pytest.raises(ValueError, match="must be one of"):
        report_category(seriousness, causality)


# --- due dates: 7- and 15-day reports ----------------------------------------------

PLAN_SUBMITTED = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("seriousness", "causality", "aware_on", "expected"),
    [
        # aware_on is day 1, so day 7 is aware_on + 6.
        ("death", "related", date(2026, 12, 1), date(2026, 12, 7)),
        ("life_threatening", "unlikely", date(2026, 12, 1), date(2026, 12, 7)),
        ("death", "related", date(2026, 12, 28), date(2027, 1, 3)),  # 28..31, 1..3
        # Day 15 is aware_on + 14.
        ("hospitalisation", "related", date(2026, 12, 1), date(2026, 12, 15)),
        ("disability", "possibly_related", date(2026, 12, 1), date(2026, 12, 15)),
        ("possible_disability", "unlikely", date(2026, 12, 1), date(2026, 12, 15)),
        ("serious_other", "related", date(2026, 12, 1), date(2026, 12, 15)),
        ("congenital_anomaly", "related", date(2026, 12, 1), date(2026, 12, 15)),
        ("hospitalisation", "related", date(2024, 2, 20), date(2024, 3, 5)),  # leap: 20..29, 1..5
        ("hospitalisation", "related", date(2025, 2, 20), date(2025, 3, 6)),  # 20..28, 1..6
        # Until assessed, due as a 7-day report.
        (None, None, date(2026, 12, 1), date(2026, 12, 7)),
        ("non_serious", None, date(2026, 12, 1), date(2026, 12, 7)),
        (None, "unrelated", date(2026, 12, 1), date(2026, 12, 7)),
        # Unrelated: not reportable, so no due date at all.
        ("death", "unrelated", date(2026, 12, 1), None),
        ("non_serious", "unrelated", date(2026, 12, 1), None),
    ],
)
def test_due_date_of_seven_and_fifteen_day_reports(seriousness, causality, aware_on, expected):
    assert report_due_on(seriousness, causality, aware_on, PLAN_SUBMITTED) == expected


def test_serious_reports_do_not_need_the_plan():
    assert report_due_on("death", "related", date(2026, 12, 1), None) == date(2026, 12, 7)
    assert report_due_on(None, None, date(2026, 12, 1), None) == date(2026, 12, 7)
    assert report_due_on("serious_other", "related", date(2026, 12, 1), None) == date(2026, 12, 15)


# --- due dates: the 60-day batch -----------------------------------------------------


@pytest.mark.parametrize(
    ("submitted_on", "aware_on", "expected_period", "expected_due"),
    [
        # Plan submitted 1 Jan 2026 is day 0; day 59 is 1 Mar (Jan 31 = day 30, Feb 28 = day 58).
        (
            date(2026, 1, 1),
            date(2026, 1, 1),
            (0, date(2026, 1, 1), date(2026, 3, 1)),
            date(2026, 3, 11),
        ),
        (
            date(2026, 1, 1),
            date(2026, 2, 14),
            (0, date(2026, 1, 1), date(2026, 3, 1)),
            date(2026, 3, 11),
        ),
        (
            date(2026, 1, 1),
            date(2026, 3, 1),
            (0, date(2026, 1, 1), date(2026, 3, 1)),
            date(2026, 3, 11),
        ),
        # Day 60 (2 Mar) opens period 1, which ends on day 119 (30 Apr).
        (
            date(2026, 1, 1),
            date(2026, 3, 2),
            (1, date(2026, 3, 2), date(2026, 4, 30)),
            date(2026, 5, 10),
        ),
        (
            date(2026, 1, 1),
            date(2026, 4, 30),
            (1, date(2026, 3, 2), date(2026, 4, 30)),
            date(2026, 5, 10),
        ),
        # Day 120 (1 May) opens period 2, ending on day 179 (29 Jun).
        (
            date(2026, 1, 1),
            date(2026, 5, 1),
            (2, date(2026, 5, 1), date(2026, 6, 29)),
            date(2026, 7, 9),
        ),
        # A plan submitted on 29 Feb 2024: day 59 is 28 Apr (Mar 31 = day 31).
        (
            date(2024, 2, 29),
            date(2024, 2, 29),
            (0, date(2024, 2, 29), date(2024, 4, 28)),
            date(2024, 5, 8),
        ),
        (
            date(2024, 2, 29),
            date(2024, 4, 28),
            (0, date(2024, 2, 29), date(2024, 4, 28)),
            date(2024, 5, 8),
        ),
        (
            date(2024, 2, 29),
            date(2024, 4, 29),
            (1, date(2024, 4, 29), date(2024, 6, 27)),
            date(2024, 7, 7),
        ),
        # ... and a year on: 28 Feb 2025 is day 365, in period 6 (days 360-419);
        # day 360 is 23 Feb 2025, day 419 is 23 Apr 2025.
        (
            date(2024, 2, 29),
            date(2025, 2, 28),
            (6, date(2025, 2, 23), date(2025, 4, 23)),
            date(2025, 5, 3),
        ),
        # Learned of before the plan was submitted: the periods run backwards too.
        # 31 Dec 2025 is day -1 and 2 Nov 2025 day -60: both in period -1.
        (
            date(2026, 1, 1),
            date(2025, 12, 31),
            (-1, date(2025, 11, 2), date(2025, 12, 31)),
            date(2026, 1, 10),
        ),
        (
            date(2026, 1, 1),
            date(2025, 11, 2),
            (-1, date(2025, 11, 2), date(2025, 12, 31)),
            date(2026, 1, 10),
        ),
        # 1 Nov 2025 is day -61, the last day of period -2.
        (
            date(2026, 1, 1),
            date(2025, 11, 1),
            (-2, date(2025, 9, 3), date(2025, 11, 1)),
            date(2025, 11, 11),
        ),
    ],
)
def test_non_serious_events_go_into_the_60_day_period_holding_aware_on(
    submitted_on, aware_on, expected_period, expected_due
):
    period = batch_period(submitted_on, aware_on)
    assert (period.index, period.starts_on, period.ends_on) == expected_period
    assert period.due_on == expected_due
    assert report_due_on("non_serious", "related", aware_on, submitted_on) == expected_due


def test_non_serious_event_without_a_submitted_plan_is_due_ten_days_after_aware_on():
    # The earliest any 60-day period could make it due (aware_on its period's last day).
    assert report_due_on("non_serious", "related", date(2026, 3, 1), None) == date(2026, 3, 11)
    assert report_due_on("non_serious", "possibly_related", date(2026, 12, 25), None) == date(
        2027, 1, 4
    )


@pytest.mark.parametrize(
    "bad",
    [datetime(2026, 3, 1, 9, 0, tzinfo=UTC), "2026-03-01", None],
)
def test_due_date_refuses_an_aware_on_that_is_not_a_date(bad):
    with pytest.raises(ValueError, match="aware_on"):
        report_due_on("death", "related", bad, PLAN_SUBMITTED)


def test_due_date_refuses_a_submitted_on_that_is_not_a_date():
    with pytest.raises(ValueError, match="submitted_on"):
        report_due_on("non_serious", "related", date(2026, 3, 1), "2026-01-01")


# --- days_left ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_on", "today", "expected"),
    [
        (date(2026, 12, 3), date(2026, 12, 1), 2),
        (date(2026, 12, 3), date(2026, 12, 3), 0),
        (date(2026, 12, 3), date(2026, 12, 4), -1),
        (date(2027, 1, 2), date(2026, 12, 30), 3),
        (date(2026, 12, 30), date(2027, 1, 2), -3),
        (date(2024, 3, 1), date(2024, 2, 28), 2),  # 29 Feb between
    ],
)
def test_days_left_counts_to_the_due_day(due_on, today, expected):
    assert days_left(due_on, today) == expected


def test_days_left_refuses_instants():
    with pytest.raises(ValueError, match="today"):
        days_left(date(2026, 12, 3), datetime(2026, 12, 1, 9, tzinfo=UTC))


# --- status ------------------------------------------------------------------------

D1, D2 = date(2026, 12, 2), date(2026, 12, 3)


@pytest.mark.parametrize(
    ("seriousness", "causality", "to_committee", "to_minister", "expected"),
    [
        (None, None, None, None, TO_ASSESS),
        ("death", None, None, None, TO_ASSESS),
        (None, "related", D1, D2, TO_ASSESS),
        ("death", "related", None, None, TO_REPORT),
        # 7- and 15-day reports go to the committee and to the minister.
        ("death", "related", D1, None, TO_REPORT),
        ("life_threatening", "related", None, D1, TO_REPORT),
        ("death", "related", D1, D2, REPORTED),
        ("hospitalisation", "possibly_related", D1, None, TO_REPORT),
        ("hospitalisation", "possibly_related", D1, D2, REPORTED),
        # The 60-day batch goes to the committee only.
        ("non_serious", "related", None, None, TO_REPORT),
        ("non_serious", "unlikely", D1, None, REPORTED),
        ("death", "unrelated", None, None, NOT_REPORTABLE),
        ("non_serious", "unrelated", D1, D2, NOT_REPORTABLE),
    ],
)
def test_status_after_assessment_and_reports(
    seriousness, causality, to_committee, to_minister, expected
):
    assert record_status(seriousness, causality, to_committee, to_minister) == expected


def test_status_refuses_report_dates_that_are_not_dates():
    with pytest.raises(ValueError, match="reported_to_committee_on"):
        record_status("death", "related", "2026-12-02", None)


# --- periodic reports: plan years ----------------------------------------------------


@pytest.mark.parametrize(
    ("accepted_on", "index", "expected"),
    [
        # Year 0 runs to the day before the first anniversary, due 90 days later
        # (31 Mar + 90: Apr 30 = 30, May 31 = 61, Jun 29 = 90).
        (date(2026, 4, 1), 0, PlanYear(0, date(2026, 4, 1), date(2027, 3, 31), date(2027, 6, 29))),
        (date(2026, 4, 1), 1, PlanYear(1, date(2027, 4, 1), date(2028, 3, 31), date(2028, 6, 29))),
        # A year holding 29 Feb is 366 days long.
        (date(2023, 3, 1), 0, PlanYear(0, date(2023, 3, 1), date(2024, 2, 29), date(2024, 5, 29))),
        # Accepted on 29 Feb: in other years the anniversary is 1 Mar, so the
        # year ends on 28 Feb, the last day of February (Civil Code art. 143).
        # 28 Feb 2025 + 90: Mar 31 = 31, Apr 30 = 61, May 29 = 90.
        (
            date(2024, 2, 29),
            0,
            PlanYear(0, date(2024, 2, 29), date(2025, 2, 28), date(2025, 5, 29)),
        ),
        (date(2024, 2, 29), 1, PlanYear(1, date(2025, 3, 1), date(2026, 2, 28), date(2026, 5, 29))),
        # Year 3 ends the day before 29 Feb 2028; 28 Feb 2028 + 90 is 28 May
        # (Feb 29 = 1, Mar 31 = 32, Apr 30 = 62, May 28 = 90).
        (date(2024, 2, 29), 3, PlanYear(3, date(2027, 3, 1), date(2028, 2, 28), date(2028, 5, 28))),
        (
            date(2024, 2, 29),
            4,
            PlanYear(4, date(2028, 2, 29), date(2029, 2, 28), date(2029, 5, 29)),
        ),
    ],
)
def test_plan_years_count_from_accepted_on(accepted_on, index, expected):
    assert plan_year(accepted_on, index) == expected


def test_plan_years_lists_every_year_begun_by_the_day():
    accepted = date(2024, 2, 29)
    assert plan_years(accepted, date(2024, 2, 28)) == []
    assert [y.index for y in plan_years(accepted, accepted)] == [0]
    assert [y.index for y in plan_years(accepted, date(2025, 2, 28))] == [0]
    assert [y.index for y in plan_years(accepted, date(2025, 3, 1))] == [0, 1]
    assert [y.index for y in plan_years(accepted, date(2028, 2, 29))] == [0, 1, 2, 3, 4]


def test_next_periodic_report_is_the_earliest_year_not_yet_filed():
    accepted = date(2026, 4, 1)
    assert next_periodic_report(accepted, filed=()) == plan_year(accepted, 0)
    assert next_periodic_report(accepted, filed={0}) == plan_year(accepted, 1)
    # A report filed out of order does not hide the one still missing.
    assert next_periodic_report(accepted, filed={0, 2}) == plan_year(accepted, 1)
    assert next_periodic_report(accepted, filed=[1, 0, 2]) == plan_year(accepted, 3)


@pytest.mark.parametrize("index", [-1, 1.0, True, "0"])
def test_plan_year_refuses_an_index_that_is_not_a_whole_year(index):
    with pytest.raises(ValueError, match="index"):
        plan_year(date(2026, 4, 1), index)


def test_next_periodic_report_refuses_bad_filed_years():
    with pytest.raises(ValueError, match="filed"):
        next_periodic_report(date(2026, 4, 1), filed={-1})


# --- reminder days -----------------------------------------------------------------

DUE = date(2026, 12, 10)


@pytest.mark.parametrize(
    ("day", "last_sent_on", "expected"),
    [
        (date(2026, 12, 7), None, False),  # three days before: too early
        (date(2026, 12, 8), None, True),  # two days before
        (date(2026, 12, 8), date(2026, 12, 8), False),  # never twice a day
        (date(2026, 12, 9), date(2026, 12, 8), False),
        (date(2026, 12, 10), date(2026, 12, 8), False),  # due day: warned already
        (date(2026, 12, 11), date(2026, 12, 8), True),  # overdue
        (date(2026, 12, 11), date(2026, 12, 11), False),
        (date(2026, 12, 12), date(2026, 12, 11), True),  # each day overdue
        (date(2027, 1, 30), date(2026, 12, 12), True),
        # A warning missed (event entered late, scheduler down, due date brought
        # forward) is sent on the next day before the due date, and on it.
        (date(2026, 12, 9), None, True),
        (date(2026, 12, 10), None, True),
        (date(2026, 12, 9), date(2026, 12, 1), True),  # sent for an earlier due date
        # A later send than the day asked about already covers it.
        (date(2026, 12, 11), date(2026, 12, 12), False),
    ],
)
def test_reminder_days(day, last_sent_on, expected):
    assert reminder_due(day, DUE, last_sent_on) is expected


def test_reminder_refuses_instants():
    with pytest.raises(ValueError, match="last_sent_on"):
        reminder_due(DUE, DUE, datetime(2026, 12, 8, 9, tzinfo=UTC))


# --- properties --------------------------------------------------------------------


@PROPERTY
@given(seriousness_or_none, causality_or_none, plan_and_aware_on())
def test_a_due_date_is_never_before_aware_on(seriousness, causality, plan_and_aware):
    submitted_on, aware_on = plan_and_aware
    due_on = report_due_on(seriousness, causality, aware_on, submitted_on)
    assert due_on is None or due_on >= aware_on


@PROPERTY
@given(st.sampled_from(SERIOUSNESS), st.sampled_from(CAUSALITY), plan_and_aware_on())
def test_an_unassessed_event_is_never_due_later_than_any_assessment_would_make_it(
    seriousness, causality, plan_and_aware
):
    submitted_on, aware_on = plan_and_aware
    unassessed = report_due_on(None, None, aware_on, submitted_on)
    assessed = report_due_on(seriousness, causality, aware_on, submitted_on)
    assert unassessed is not None
    assert assessed is None or unassessed <= assessed
    # Half an assessment is still due as early as none at all.
    assert report_due_on(seriousness, None, aware_on, submitted_on) == unassessed
    assert report_due_on(None, causality, aware_on, submitted_on) == unassessed


@PROPERTY
@given(plan_and_aware_on())
def test_non_serious_batch_is_due_10_to_69_days_after_aware_on(plan_and_aware):
    submitted_on, aware_on = plan_and_aware
    due_on = report_due_on("non_serious", "related", aware_on, submitted_on)
    assert 10 <= (due_on - aware_on).days <= 69
    if submitted_on is None:
        return
    # Every day of the period shares the due date: the batch is one report.
    period = batch_period(submitted_on, aware_on)
    assert (period.ends_on - period.starts_on).days == 59
    assert (period.starts_on - submitted_on).days == 60 * period.index
    assert period.starts_on <= aware_on <= period.ends_on
    assert period.due_on == due_on


@PROPERTY
@given(days, days)
def test_days_left_is_zero_exactly_on_the_due_day(due_on, today):
    assert (days_left(due_on, today) == 0) is (today == due_on)
    assert days_left(due_on, today) == -days_left(today, due_on)


@PROPERTY
@given(days, st.integers(min_value=0, max_value=60))
def test_plan_years_follow_one_another_without_gap_or_overlap(accepted_on, index):
    year = plan_year(accepted_on, index)
    following = plan_year(accepted_on, index + 1)
    assert following.starts_on == year.ends_on + timedelta(days=1)
    assert 365 <= (year.ends_on - year.starts_on).days + 1 <= 366
    assert year.due_on == year.ends_on + timedelta(days=90)


@PROPERTY
@given(
    days,
    st.integers(min_value=-20, max_value=0),
    st.integers(min_value=0, max_value=20),
    st.lists(st.booleans(), min_size=1, max_size=4),
)
def test_a_daily_scheduler_sends_one_warning_and_one_reminder_each_overdue_day(
    due_on, start_offset, overdue_days, runs_per_day
):
    """Run the scheduler several times a day from some day on; collect the sending days."""
    start = due_on + timedelta(days=start_offset)
    last_sent_on, sent = None, []
    day = start
    while day <= due_on + timedelta(days=overdue_days):
        for _ in runs_per_day:
            if reminder_due(day, due_on, last_sent_on):
                last_sent_on = day
                sent.append(day)
        day += timedelta(days=1)
    warning_on = max(start, due_on - timedelta(days=2))
    overdue = [due_on + timedelta(days=n) for n in range(1, overdue_days + 1)]
    assert sent == [warning_on, *overdue]
