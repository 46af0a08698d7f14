"""Milestone, nudge and confirmation timing in the patient's own time zone.

Pure functions: no clock, no database. Every caller passes `now` (an aware
datetime); every returned instant is an aware UTC datetime. Calendar arithmetic
is done on `date`s and each day is converted to UTC on its own, so a DST change
between two days never shifts a send time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.vocabulary import PENDING_STATUSES, SCHEDULED, SKIPPED

DEFAULT_MILESTONE_WEEKS = (2, 8, 12, 52)


@dataclass(frozen=True)
class ScheduleSettings:
    milestone_weeks: tuple[int, ...] = DEFAULT_MILESTONE_WEEKS
    send_hour: int = 9
    window_before_days: int = 3
    window_after_days: int = 14
    nudge_after_days: int = 3

    def __post_init__(self) -> None:
        # Clinics store weeks as a list; keep a sorted, de-duplicated tuple so the
        # settings stay hashable and plans come out in milestone order.
        weeks = tuple(self.milestone_weeks)
        if any(not _is_int(w) or w < 1 for w in weeks):
            raise ValueError(f"Milestone weeks must be positive integers: {weeks!r}")
        object.__setattr__(self, "milestone_weeks", tuple(sorted(set(weeks))))
        _check_send_hour(self.send_hour)
        for name in ("window_before_days", "window_after_days", "nudge_after_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


@dataclass(frozen=True)
class MilestoneWindow:
    milestone_weeks: int
    due_on: date
    window_opens_on: date  # both days are inside the window
    window_closes_on: date


@dataclass(frozen=True)
class MilestonePlan:
    milestone_weeks: int
    due_on: date
    due_at: datetime
    window_opens_on: date
    window_closes_on: date
    window_opens_at: datetime
    window_closes_at: datetime
    status: str  # "scheduled" | "skipped"


class CheckinWindow(Protocol):
    milestone_weeks: int
    window_opens_on: date
    window_closes_on: date


def validate_timezone(name: str) -> str:
    """Return the IANA zone name unchanged, or raise ValueError if it cannot be loaded."""
    _load_zone(name)
    return name


def local_send_time(day: date, send_hour: int, timezone: str | ZoneInfo) -> datetime:
    """Return send_hour:00 on the patient-local day as an aware UTC datetime."""
    _check_send_hour(send_hour)
    return _resolve_wall_time(datetime.combine(day, time(send_hour)), _zone(timezone))


def local_midnight(day: date, timezone: str | ZoneInfo) -> datetime:
    """Return the first instant of the patient-local day as an aware UTC datetime."""
    return _resolve_wall_time(datetime.combine(day, time(0)), _zone(timezone))


def local_date(moment: datetime, timezone: str | ZoneInfo) -> date:
    """Return the patient-local calendar day of an aware instant."""
    return _require_aware(moment, "moment").astimezone(_zone(timezone)).date()


def plan_milestones(
    treated_on: date, timezone: str, settings: ScheduleSettings, now: datetime
) -> list[MilestonePlan]:
    """Plan one milestone reminder per configured milestone, in ascending milestone order."""
    zone = _zone(timezone)
    now = _require_aware(now, "now")
    return [_plan_one(weeks, treated_on, zone, settings, now) for weeks in settings.milestone_weeks]


def replan_milestones(
    pending_weeks: Iterable[int],
    treated_on: date,
    timezone: str,
    settings: ScheduleSettings,
    now: datetime,
) -> dict[int, MilestonePlan]:
    """Recompute plans for the still-pending milestones after a treatment date or zone change."""
    zone = _zone(timezone)
    now = _require_aware(now, "now")
    return {w: _plan_one(w, treated_on, zone, settings, now) for w in sorted(set(pending_weeks))}


def is_pending(status: str) -> bool:
    """Tell whether a reminder in this status may still be rescheduled."""
    return status in PENDING_STATUSES


def milestone_for_checkin(
    plans_or_windows: Iterable[CheckinWindow], recorded_on: date
) -> int | None:
    """Return the milestone_weeks whose window contains recorded_on, or None."""
    best: tuple[int, int] | None = None
    for window in plans_or_windows:
        opens_on, closes_on = window.window_opens_on, window.window_closes_on
        if not opens_on <= recorded_on <= closes_on:
            continue
        due_on = getattr(window, "due_on", None)
        # Distances in half-days; bare windows carry no due date, so their middle
        # is the closest stand-in.
        if due_on is None:
            doubled_due = opens_on.toordinal() + closes_on.toordinal()
        else:
            doubled_due = 2 * due_on.toordinal()
        key = (abs(2 * recorded_on.toordinal() - doubled_due), window.milestone_weeks)
        if best is None or key < best:
            best = key
    return None if best is None else best[1]


def nudge_due_at(
    sent_at: datetime,
    window_closes_at: datetime,
    timezone: str,
    settings: ScheduleSettings,
    now: datetime,
) -> datetime | None:
    """Return when to nudge about an unanswered milestone reminder, or None if too late."""
    zone = _zone(timezone)
    now = _require_aware(now, "now")
    window_closes_at = _require_aware(window_closes_at, "window_closes_at")
    nudge_on = local_date(sent_at, zone) + timedelta(days=settings.nudge_after_days)
    due_at = max(local_send_time(nudge_on, settings.send_hour, zone), now)
    # A nudge that could only go out once the window has shut cannot complete the
    # milestone any more, so it is not sent at all (this covers "due now" too).
    if due_at >= window_closes_at:
        return None
    return due_at


def confirmation_due_at(
    run_first_on: date, sustain_days: int, timezone: str, send_hour: int, now: datetime
) -> datetime:
    """Return when to ask for a confirmation reading of a suspected stiffness rise."""
    if not _is_int(sustain_days) or sustain_days < 0:
        raise ValueError(f"sustain_days must be a non-negative integer, got {sustain_days!r}")
    now = _require_aware(now, "now")
    confirm_on = run_first_on + timedelta(days=sustain_days)
    return max(local_send_time(confirm_on, send_hour, timezone), now)


def milestone_window(treated_on: date, weeks: int, settings: ScheduleSettings) -> MilestoneWindow:
    """Return a milestone's due date and the first and last day of its window."""
    due_on = treated_on + timedelta(weeks=weeks)
    return MilestoneWindow(
        milestone_weeks=weeks,
        due_on=due_on,
        window_opens_on=due_on - timedelta(days=settings.window_before_days),
        window_closes_on=due_on + timedelta(days=settings.window_after_days),
    )


def _plan_one(
    weeks: int, treated_on: date, zone: ZoneInfo, settings: ScheduleSettings, now: datetime
) -> MilestonePlan:
    window = milestone_window(treated_on, weeks, settings)
    due_on, opens_on, closes_on = window.due_on, window.window_opens_on, window.window_closes_on
    due_at = local_send_time(due_on, settings.send_hour, zone)
    opens_at = local_midnight(opens_on, zone)
    # The last day is included, so the window ends where the next local day starts.
    closes_at = local_midnight(closes_on + timedelta(days=1), zone)
    status = SCHEDULED
    if closes_at <= now:
        status = SKIPPED
    elif due_at < now:
        # Backdated treatment: the window is still open, so ask straight away.
        due_at = now
    return MilestonePlan(
        milestone_weeks=weeks,
        due_on=due_on,
        due_at=due_at,
        window_opens_on=opens_on,
        window_closes_on=closes_on,
        window_opens_at=opens_at,
        window_closes_at=closes_at,
        status=status,
    )


def _resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """Convert a naive patient-local wall time to UTC with fold=0 (RFC 5545 section 3.3.5).

    A repeated time takes its first occurrence; a time inside a DST gap is read with the
    offset in force before the gap, so it moves forward by the gap's length (02:30 in a
    one-hour gap is 03:30). docs/schedule-and-flags.md, exact readings.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _zone(timezone: str | ZoneInfo) -> ZoneInfo:
    return timezone if isinstance(timezone, ZoneInfo) else _load_zone(timezone)


def _load_zone(name: str) -> ZoneInfo:
    # "localtime" loads the server's own zone, which says nothing about the patient.
    if not isinstance(name, str) or not name.strip() or name == "localtime":
        raise ValueError(f"Unknown time zone: {name}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as exc:
        # OSError covers IsADirectoryError ("America") and unreadable files.
        raise ValueError(f"Unknown time zone: {name}") from exc


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def _check_send_hour(send_hour: int) -> None:
    if not _is_int(send_hour) or not 0 <= send_hour <= 23:
        raise ValueError(f"send_hour must be an integer 0-23, got {send_hour!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
