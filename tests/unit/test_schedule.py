"""Timing rules for milestone, nudge and confirmation reminders.

Expected UTC instants in the tables are worked out by hand from the published
offsets of each zone, not from the code under test.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.followup.schedule import (
    DEFAULT_MILESTONE_WEEKS,
    MilestonePlan,
    ScheduleSettings,
    confirmation_due_at,
    is_pending,
    local_date,
    local_midnight,
    local_send_time,
    milestone_for_checkin,
    nudge_due_at,
    plan_milestones,
    replan_milestones,
    validate_timezone,
)
from tracker.followup.schedule import _resolve_wall_time as resolve_wall_time

NY = "America/New_York"
DEFAULTS = ScheduleSettings()
PROPERTY = settings(database=None, deadline=None, max_examples=300)
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Tokyo",
    "America/Santiago",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Asia/Beirut",
    "America/Havana",
    "UTC",
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def wall_time_exists(day: date, hour: int, zone: ZoneInfo) -> bool:
    wall = datetime.combine(day, time(hour))
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall


# --- local_send_time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected"),
    [
        # Tokyo has no DST: JST is always UTC+9.
        ("Asia/Tokyo", date(2026, 1, 15), 9, utc(2026, 1, 15, 0)),
        ("Asia/Tokyo", date(2026, 7, 15), 9, utc(2026, 7, 15, 0)),
        ("Asia/Tokyo", date(2026, 7, 15), 8, utc(2026, 7, 14, 23)),
        # New York: spring forward 2026-03-08, fall back 2026-11-01.
        (NY, date(2026, 3, 7), 9, utc(2026, 3, 7, 14)),
        (NY, date(2026, 3, 8), 9, utc(2026, 3, 8, 13)),
        (NY, date(2026, 10, 31), 9, utc(2026, 10, 31, 13)),
        (NY, date(2026, 11, 1), 9, utc(2026, 11, 1, 14)),
        # London: BST from 2026-03-29 to 2026-10-25.
        ("Europe/London", date(2026, 3, 28), 9, utc(2026, 3, 28, 9)),
        ("Europe/London", date(2026, 3, 29), 9, utc(2026, 3, 29, 8)),
        ("Europe/London", date(2026, 10, 24), 9, utc(2026, 10, 24, 8)),
        ("Europe/London", date(2026, 10, 25), 9, utc(2026, 10, 25, 9)),
        # Sydney (southern DST): AEDT ends 2026-04-05, starts again 2026-10-04.
        ("Australia/Sydney", date(2026, 4, 4), 9, utc(2026, 4, 3, 22)),
        ("Australia/Sydney", date(2026, 4, 5), 9, utc(2026, 4, 4, 23)),
        ("Australia/Sydney", date(2026, 10, 3), 9, utc(2026, 10, 2, 23)),
        ("Australia/Sydney", date(2026, 10, 4), 9, utc(2026, 10, 3, 22)),
        ("UTC", date(2026, 3, 8), 0, utc(2026, 3, 8, 0)),
        ("Asia/Kolkata", date(2026, 3, 8), 9, utc(2026, 3, 8, 3, 30)),
    ],
)
def test_send_time_is_send_hour_in_patient_zone(zone, day, hour, expected):
    assert local_send_time(day, hour, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected", "expected_local"),
    [
        # 02:00-03:00 does not exist in New York on 2026-03-08: 03:00 EDT.
        (NY, date(2026, 3, 8), 2, utc(2026, 3, 8, 7), (3, 0)),
        # 01:00-02:00 does not exist in London on 2026-03-29: 02:00 BST.
        ("Europe/London", date(2026, 3, 29), 1, utc(2026, 3, 29, 1), (2, 0)),
        # 02:00-03:00 does not exist in Sydney on 2026-10-04: 03:00 AEDT.
        ("Australia/Sydney", date(2026, 10, 4), 2, utc(2026, 10, 3, 16), (3, 0)),
        # Lord Howe only moves by 30 minutes: 02:00 becomes 02:30 (+11:00).
        ("Australia/Lord_Howe", date(2026, 10, 4), 2, utc(2026, 10, 3, 15, 30), (2, 30)),
        # Chatham jumps 02:45 -> 03:45 (+12:45 -> +13:45): 03:00 read at +12:45 is 04:00.
        ("Pacific/Chatham", date(2026, 9, 27), 3, utc(2026, 9, 26, 14, 15), (4, 0)),
    ],
)
def test_send_time_in_dst_gap_moves_forward_by_the_gaps_length(
    zone, day, hour, expected, expected_local
):
    sent = local_send_time(day, hour, zone)
    assert sent == expected
    local = sent.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour, local.minute) == (day, *expected_local)


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected"),
    [
        # 01:00 happens twice in New York on 2026-11-01; the first is EDT (UTC-4).
        (NY, date(2026, 11, 1), 1, utc(2026, 11, 1, 5)),
        # 01:00 happens twice in London on 2026-10-25; the first is BST (UTC+1).
        ("Europe/London", date(2026, 10, 25), 1, utc(2026, 10, 25, 0)),
        # 02:00 happens twice in Sydney on 2026-04-05; the first is AEDT (UTC+11).
        ("Australia/Sydney", date(2026, 4, 5), 2, utc(2026, 4, 4, 15)),
    ],
)
def test_send_time_in_repeated_hour_uses_first_occurrence(zone, day, hour, expected):
    assert local_send_time(day, hour, zone) == expected


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        # The exact reading's own example: 02:30 on spring-forward day is 03:30 EDT.
        (NY, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30)),
        (NY, datetime(2026, 3, 8, 2, 59, 59), utc(2026, 3, 8, 7, 59, 59)),
        ("Australia/Sydney", datetime(2026, 10, 4, 2, 30), utc(2026, 10, 3, 16, 30)),
        ("America/Santiago", datetime(2026, 9, 6, 0, 30), utc(2026, 9, 6, 4, 30)),
        # Repeated 01:30 in New York: first occurrence, EDT.
        (NY, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_wall_time_inside_gap_moves_forward_by_the_gaps_length(zone, wall, expected):
    assert resolve_wall_time(wall, ZoneInfo(zone)) == expected


def test_send_time_accepts_zoneinfo_and_returns_utc():
    sent = local_send_time(date(2026, 3, 8), 9, ZoneInfo(NY))
    assert sent == utc(2026, 3, 8, 13)
    assert sent.tzinfo is UTC


@pytest.mark.parametrize("hour", [-1, 24, True])
def test_send_time_rejects_hour_outside_day(hour):
    with pytest.raises(ValueError, match="send_hour"):
        local_send_time(date(2026, 3, 8), hour, NY)


# --- local_midnight and local_date -------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (NY, date(2026, 3, 8), utc(2026, 3, 8, 5)),
        (NY, date(2026, 3, 9), utc(2026, 3, 9, 4)),
        ("Asia/Tokyo", date(2026, 3, 8), utc(2026, 3, 7, 15)),
        # Chile springs forward at midnight: the day starts at 01:00 -03.
        ("America/Santiago", date(2026, 9, 6), utc(2026, 9, 6, 4)),
        # Lebanon springs forward at midnight: the day starts at 01:00 +03.
        ("Asia/Beirut", date(2026, 3, 29), utc(2026, 3, 28, 22)),
        # Cuba falls back 01:00 -> 00:00, so midnight happens twice; take the first.
        ("America/Havana", date(2026, 11, 1), utc(2026, 11, 1, 4)),
    ],
)
def test_local_midnight_is_first_instant_of_local_day(zone, day, expected):
    assert local_midnight(day, zone) == expected


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (utc(2026, 3, 8, 3), NY, date(2026, 3, 7)),
        (utc(2026, 3, 7, 15), "Asia/Tokyo", date(2026, 3, 8)),
        (utc(2026, 3, 7, 14, 59), "Asia/Tokyo", date(2026, 3, 7)),
    ],
)
def test_local_date_is_patient_calendar_day(moment, zone, expected):
    assert local_date(moment, zone) == expected


def test_local_date_rejects_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 3, 8, 3), NY)


# --- plan_milestones ---------------------------------------------------------------


def test_default_milestones_fall_two_eight_twelve_and_fifty_two_weeks_after_treatment():
    plans = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, utc(2026, 1, 10, 12))
    assert [p.milestone_weeks for p in plans] == [2, 8, 12, 52]
    assert [p.due_on for p in plans] == [
        date(2026, 1, 24),
        date(2026, 3, 7),
        date(2026, 4, 4),
        date(2027, 1, 9),
    ]
    assert [p.due_at for p in plans] == [
        utc(2026, 1, 24, 14),
        utc(2026, 3, 7, 14),
        utc(2026, 4, 4, 13),  # EDT by then
        utc(2027, 1, 9, 14),
    ]
    assert {p.status for p in plans} == {"scheduled"}


def test_window_runs_from_local_midnight_before_to_local_midnight_after_last_day():
    plans = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, utc(2026, 1, 10, 12))
    week8 = plans[1]
    assert (week8.window_opens_on, week8.window_closes_on) == (date(2026, 3, 4), date(2026, 3, 21))
    # Opens at 00:00 EST on 03-04; closes at 00:00 EDT on 03-22 (after spring forward).
    assert week8.window_opens_at == utc(2026, 3, 4, 5)
    assert week8.window_closes_at == utc(2026, 3, 22, 4)
    week2 = plans[0]
    assert (week2.window_opens_on, week2.window_closes_on) == (date(2026, 1, 21), date(2026, 2, 7))
    assert (week2.window_opens_at, week2.window_closes_at) == (
        utc(2026, 1, 21, 5),
        utc(2026, 2, 8, 5),
    )


def test_window_follows_clinic_settings():
    clinic = ScheduleSettings(
        milestone_weeks=[4], send_hour=18, window_before_days=0, window_after_days=0
    )
    (plan,) = plan_milestones(date(2026, 3, 1), "Asia/Tokyo", clinic, utc(2026, 3, 1))
    assert plan.due_on == plan.window_opens_on == plan.window_closes_on == date(2026, 3, 29)
    assert plan.due_at == utc(2026, 3, 29, 9)
    assert (plan.window_opens_at, plan.window_closes_at) == (
        utc(2026, 3, 28, 15),
        utc(2026, 3, 29, 15),
    )


def test_backdated_treatment_skips_closed_windows_and_asks_now_in_open_ones():
    now = utc(2026, 3, 10, 12)
    plans = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, now)
    by_weeks = {p.milestone_weeks: p for p in plans}
    assert by_weeks[2].status == "skipped"
    assert (by_weeks[8].status, by_weeks[8].due_at) == ("scheduled", now)
    assert (by_weeks[12].status, by_weeks[12].due_at) == ("scheduled", utc(2026, 4, 4, 13))
    assert (by_weeks[52].status, by_weeks[52].due_at) == ("scheduled", utc(2027, 1, 9, 14))


def test_window_is_closed_from_the_instant_it_closes():
    closes_at = utc(2026, 2, 8, 5)  # week-2 window of a 2026-01-10 New York treatment
    at_close = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, closes_at)[0]
    assert at_close.status == "skipped"
    just_before = closes_at - timedelta(microseconds=1)
    still_open = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, just_before)[0]
    assert (still_open.status, still_open.due_at) == ("scheduled", just_before)


def test_plan_due_now_is_reported_in_utc():
    now = datetime(2026, 3, 10, 8, tzinfo=ZoneInfo(NY))
    week8 = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, now)[1]
    assert week8.due_at == now
    assert week8.due_at.tzinfo is UTC


def test_plan_rejects_naive_now_and_unknown_zone():
    with pytest.raises(ValueError, match="aware"):
        plan_milestones(date(2026, 1, 10), NY, DEFAULTS, datetime(2026, 1, 10))
    with pytest.raises(ValueError, match="Unknown time zone: Mars/Olympus"):
        plan_milestones(date(2026, 1, 10), "Mars/Olympus", DEFAULTS, utc(2026, 1, 10))


def test_settings_are_sorted_and_validated():
    assert ScheduleSettings().milestone_weeks == DEFAULT_MILESTONE_WEEKS
    assert ScheduleSettings(milestone_weeks=[12, 2, 12]).milestone_weeks == (2, 12)
    with pytest.raises(ValueError, match="send_hour"):
        ScheduleSettings(send_hour=24)
    with pytest.raises(ValueError, match="Milestone weeks"):
        ScheduleSettings(milestone_weeks=(0, 2))
    with pytest.raises(ValueError, match="window_after_days"):
        ScheduleSettings(window_after_days=-1)


# --- rescheduling ------------------------------------------------------------------


def test_replan_recomputes_pending_milestones_for_new_date_and_zone():
    now = utc(2026, 1, 20)
    moved = replan_milestones([12, 8], date(2026, 1, 17), "Europe/London", DEFAULTS, now)
    assert list(moved) == [8, 12]
    assert moved[8].due_on == date(2026, 3, 14)
    assert moved[8].due_at == utc(2026, 3, 14, 9)  # GMT
    assert moved[12].due_at == utc(2026, 4, 11, 8)  # BST


def test_replan_skips_pending_milestone_whose_new_window_has_closed():
    moved = replan_milestones([2], date(2025, 11, 1), NY, DEFAULTS, utc(2026, 1, 20))
    assert moved[2].status == "skipped"


@pytest.mark.parametrize(
    ("status", "pending"),
    [
        ("scheduled", True),
        ("retry", True),
        ("sent", False),
        ("completed", False),
        ("missed", False),
        ("skipped", False),
    ],
)
def test_only_scheduled_and_retry_reminders_are_pending(status, pending):
    assert is_pending(status) is pending


# --- milestone_for_checkin ---------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded_on", "expected"),
    [
        (date(2026, 1, 20), None),
        (date(2026, 1, 21), 2),
        (date(2026, 2, 7), 2),
        (date(2026, 2, 8), None),
        (date(2026, 3, 4), 8),
        (date(2026, 3, 21), 8),
        (date(2027, 1, 23), 52),
        (date(2027, 1, 24), None),
    ],
)
def test_checkin_completes_milestone_whose_window_holds_it(recorded_on, expected):
    plans = plan_milestones(date(2026, 1, 10), NY, DEFAULTS, utc(2026, 1, 10))
    assert milestone_for_checkin(plans, recorded_on) == expected


def test_overlapping_windows_go_to_nearest_due_date():
    clinic = ScheduleSettings(milestone_weeks=(2, 3))
    plans = plan_milestones(date(2026, 1, 10), NY, clinic, utc(2026, 1, 10))
    # Week 2 is due 01-24, week 3 on 01-31; both windows hold 01-28.
    assert milestone_for_checkin(plans, date(2026, 1, 27)) == 2
    assert milestone_for_checkin(plans, date(2026, 1, 28)) == 3
    assert milestone_for_checkin(reversed(plans), date(2026, 1, 28)) == 3


def test_overlapping_windows_tie_goes_to_earlier_milestone():
    clinic = ScheduleSettings(milestone_weeks=(2, 4), window_before_days=14)
    plans = plan_milestones(date(2026, 1, 10), NY, clinic, utc(2026, 1, 10))
    # 01-31 is seven days after week 2 (01-24) and seven before week 4 (02-07).
    assert milestone_for_checkin(plans, date(2026, 1, 31)) == 2
    assert milestone_for_checkin(list(reversed(plans)), date(2026, 1, 31)) == 2


def test_checkin_accepts_bare_windows_and_uses_their_middle():
    windows = [
        SimpleNamespace(
            milestone_weeks=3, window_opens_on=date(2026, 1, 28), window_closes_on=date(2026, 2, 14)
        ),
        SimpleNamespace(
            milestone_weeks=2, window_opens_on=date(2026, 1, 21), window_closes_on=date(2026, 2, 7)
        ),
    ]
    assert milestone_for_checkin(windows, date(2026, 2, 1)) == 2
    assert milestone_for_checkin(windows, date(2026, 2, 3)) == 3
    assert milestone_for_checkin(windows, date(2026, 2, 10)) == 3
    assert milestone_for_checkin([], date(2026, 2, 10)) is None


# --- nudges and confirmations ------------------------------------------------------

WEEK8_CLOSES_AT = utc(2026, 3, 22, 4)


def test_nudge_goes_out_nudge_after_days_later_at_send_hour():
    sent_at = utc(2026, 3, 7, 14)  # 09:00 EST
    due = nudge_due_at(sent_at, WEEK8_CLOSES_AT, NY, DEFAULTS, utc(2026, 3, 7, 14, 5))
    assert due == utc(2026, 3, 10, 13)  # 09:00 EDT


def test_nudge_counts_from_patient_local_day_of_sending():
    sent_at = utc(2026, 3, 8, 3)  # still 03-07 (22:00 EST) in New York
    due = nudge_due_at(sent_at, WEEK8_CLOSES_AT, NY, DEFAULTS, sent_at)
    assert due == utc(2026, 3, 10, 13)


def test_overdue_nudge_is_due_now():
    now = utc(2026, 3, 15, 12)
    assert nudge_due_at(utc(2026, 3, 7, 14), WEEK8_CLOSES_AT, NY, DEFAULTS, now) == now


@pytest.mark.parametrize(
    ("sent_at", "window_closes_at", "now"),
    [
        # Nudge would fall on 03-23, after the window closed on 03-22.
        (utc(2026, 3, 20, 13), WEEK8_CLOSES_AT, utc(2026, 3, 20, 13)),
        # Nudge falls exactly on the closing instant.
        (utc(2026, 3, 7, 14), utc(2026, 3, 10, 13), utc(2026, 3, 7, 14)),
        # Nudge time was inside the window, but the window has closed by now.
        (utc(2026, 3, 7, 14), WEEK8_CLOSES_AT, WEEK8_CLOSES_AT),
    ],
)
def test_no_nudge_once_window_closes(sent_at, window_closes_at, now):
    assert nudge_due_at(sent_at, window_closes_at, NY, DEFAULTS, now) is None


def test_nudge_uses_clinic_send_hour_and_delay():
    clinic = ScheduleSettings(send_hour=17, nudge_after_days=1)
    due = nudge_due_at(utc(2026, 3, 7, 0), utc(2026, 4, 1), "Asia/Tokyo", clinic, utc(2026, 3, 7))
    assert due == utc(2026, 3, 8, 8)


def test_confirmation_goes_out_sustain_days_after_run_starts():
    due = confirmation_due_at(date(2026, 3, 6), 3, NY, 9, utc(2026, 3, 6, 20))
    assert due == utc(2026, 3, 9, 13)  # 09:00 EDT, the day after spring forward


def test_overdue_confirmation_is_due_now():
    now = utc(2026, 3, 12, 1)
    assert confirmation_due_at(date(2026, 3, 6), 3, NY, 9, now) == now


def test_confirmation_rejects_negative_sustain_days():
    with pytest.raises(ValueError, match="sustain_days"):
        confirmation_due_at(date(2026, 3, 6), -1, NY, 9, utc(2026, 3, 6))


# --- validate_timezone -------------------------------------------------------------


@pytest.mark.parametrize("name", [NY, "Asia/Kolkata", "UTC", "Pacific/Chatham"])
def test_known_zones_validate(name):
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "  ",
        "Mars/Olympus",
        "new york",
        "america/new_york",
        "America",
        "America/",
        "../etc/passwd",
        "/etc/localtime",
        "./UTC",
        "zone.tab",
        "America/New_York\x00",
        "localtime",
        None,
    ],
)
def test_unknown_or_pathlike_zones_are_rejected(name):
    with pytest.raises(ValueError, match="^Unknown time zone: "):
        validate_timezone(name)


# --- properties --------------------------------------------------------------------

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2040, 12, 31)
days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
zones = st.sampled_from(ZONES)
hours = st.integers(min_value=0, max_value=23)


@cache
def offset_change_days(zone_name: str) -> tuple[date, ...]:
    """List days around each UTC-offset change of the zone (uniform dates rarely hit one)."""
    zone = ZoneInfo(zone_name)

    def offset(day: date) -> timedelta:
        return datetime.combine(day, time(12), UTC).astimezone(zone).utcoffset()

    found, day = [], FIRST_DAY
    while day < LAST_DAY:
        following = day + timedelta(days=1)
        if offset(day) != offset(following):
            found += [day, following, following + timedelta(days=1)]
        day = following
    return tuple(found) or (FIRST_DAY,)


@st.composite
def zone_and_day(draw: st.DrawFn) -> tuple[str, date]:
    zone_name = draw(zones)
    return zone_name, draw(st.one_of(days, st.sampled_from(offset_change_days(zone_name))))


@PROPERTY
@given(zone_day=zone_and_day(), hour=hours)
def test_send_time_keeps_the_day_and_never_runs_early(zone_day, hour):
    zone_name, day = zone_day
    zone = ZoneInfo(zone_name)
    sent = local_send_time(day, hour, zone_name)
    assert sent.tzinfo is UTC
    local = sent.astimezone(zone)
    assert local.date() == day
    assert local.hour >= hour
    if wall_time_exists(day, hour, zone):
        assert (local.hour, local.minute, local.second) == (hour, 0, 0)
    else:
        assert local.hour > hour or local.minute > 0
    # It is the first instant at or after the wall time: a second earlier is still
    # before it (rules out the second occurrence of a repeated hour, and overshoot).
    just_before = (sent - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
    assert just_before < datetime.combine(day, time(hour))


@PROPERTY
@given(zone_day=zone_and_day())
def test_local_midnight_starts_the_local_day(zone_day):
    zone_name, day = zone_day
    zone = ZoneInfo(zone_name)
    start = local_midnight(day, zone_name)
    assert start.tzinfo is UTC
    assert start.astimezone(zone).date() == day
    assert (start - timedelta(microseconds=1)).astimezone(zone).date() < day


@PROPERTY
@given(
    zone_day=zone_and_day(),
    lands_on=st.sampled_from(DEFAULT_MILESTONE_WEEKS),
    minutes_after=st.integers(min_value=-30 * 1440, max_value=420 * 1440),
    hour=hours,
    before=st.integers(min_value=1, max_value=10),
    after=st.integers(min_value=0, max_value=30),
)
def test_plans_are_ordered_and_consistent(zone_day, lands_on, minutes_after, hour, before, after):
    # Count back from the drawn day so that one milestone is due on it (often a DST day).
    zone_name, day = zone_day
    treated_on = day - timedelta(weeks=lands_on)
    clinic = ScheduleSettings(send_hour=hour, window_before_days=before, window_after_days=after)
    now = datetime.combine(treated_on, time(), UTC) + timedelta(minutes=minutes_after)
    plans = plan_milestones(treated_on, zone_name, clinic, now)
    assert [p.milestone_weeks for p in plans] == list(DEFAULT_MILESTONE_WEEKS)
    assert [p.due_on for p in plans] == sorted(p.due_on for p in plans)
    for plan in plans:
        assert isinstance(plan, MilestonePlan)
        assert plan.due_on == treated_on + timedelta(days=7 * plan.milestone_weeks)
        assert plan.window_opens_on == plan.due_on - timedelta(days=before)
        assert plan.window_closes_on == plan.due_on + timedelta(days=after)
        for instant in (plan.due_at, plan.window_opens_at, plan.window_closes_at):
            assert instant.tzinfo is UTC
        assert (plan.status == "skipped") == (plan.window_closes_at <= now)
        if plan.status == "scheduled":
            assert plan.due_at >= now
            assert plan.window_opens_at < plan.due_at <= plan.window_closes_at
            on_time = local_send_time(plan.due_on, hour, zone_name)
            assert plan.due_at == max(on_time, now)
