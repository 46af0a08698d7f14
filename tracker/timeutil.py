"""The one clock of the application."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today_in(timezone: str) -> date:
    """Return today's calendar date in an IANA time zone."""
    return now_utc().astimezone(ZoneInfo(timezone)).date()


def isoformat_z(moment: datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 UTC with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
