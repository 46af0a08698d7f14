"""Template filters: dates and times in the viewer's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user


def viewer_timezone() -> str:
    """The clinic's time zone for clinicians; UTC otherwise."""
    if getattr(current_user, "is_authenticated", False):
        return current_user.clinic.timezone
    return "UTC"


def local_datetime(moment: datetime | None, timezone: str | None = None) -> str:
    if moment is None:
        return "—"
    zone = ZoneInfo(timezone or viewer_timezone())
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def long_date(day: date | None) -> str:
    if day is None:
        return "—"
    return f"{day.day} {day.strftime('%b %Y')}"


def register_filters(app: Flask) -> None:
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(long_date, "long_date")
