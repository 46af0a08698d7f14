"""Template filters: dates and times in the viewer's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import get_date_format
from flask import Flask
from flask_babel import format_datetime, get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from tracker.phones import format_phone
from tracker.regions import country_of_timezone
from tracker.reminders.emails import milestone_title
from tracker.timeutil import now_utc


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


def zoned_time(moment: datetime | None, timezone: str, with_date: bool = True) -> str:
    """Write a moment in one named zone, in the viewer's locale; the zone is named elsewhere."""
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(timezone))
    pattern = "HH:mm"
    if with_date:
        pattern = get_date_format("medium", locale=get_locale()).pattern + " " + pattern
    # rebase=False: the moment is in the zone asked for, not Flask-Babel's default one.
    return format_datetime(local, pattern, rebase=False)


def zone_label(timezone: str) -> str:
    """Name a zone with its current abbreviation where it has one: Asia/Tokyo (JST)."""
    abbreviation = now_utc().astimezone(ZoneInfo(timezone)).tzname() or ""
    if abbreviation and not abbreviation.lstrip("+-").isdigit():
        return f"{timezone} ({abbreviation})"
    return timezone


def long_date(day: date | None) -> str:
    """A day as "27 Nov 2026", or "2026年11月27日" for a Japanese reader."""
    if day is None:
        return "—"
    if page_language() == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%b %Y')}"


def page_language() -> str:
    """The language this page is written in (en or ja), for <html lang>."""
    return get_locale().language if get_locale() else "en"


def tel_link(e164: str | None, country: str | None) -> Markup:
    """Link a stored number for a tap to call, written as a caller in country dials it."""
    if not e164:
        return Markup("")
    return Markup('<a class="tel" href="tel:{}">{}</a>').format(
        escape(e164), format_phone(e164, country)
    )


def register_filters(app: Flask) -> None:
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(tel_link, "tel_link")
    app.add_template_filter(country_of_timezone, "country")
    app.add_template_global(milestone_title, "milestone_title")
    app.add_template_filter(long_date, "long_date")
    app.add_template_global(page_language, "page_language")
    app.add_template_filter(zoned_time, "zoned_time")
    app.add_template_filter(zone_label, "zone_label")
