"""The words of the compliance records and clocks, in the reader's language (English or Japanese).

The records and clocks: docs/compliance.md.
"""

from datetime import date

from flask_babel import format_date, get_locale, gettext, lazy_gettext, ngettext

from tracker.clinic_words import word_for

SERIOUSNESS_LABELS = {
    "death": lazy_gettext("Death"),
    "life_threatening": lazy_gettext("Life-threatening"),
    "hospitalisation": lazy_gettext("Hospitalisation (admission or a longer stay)"),
    "disability": lazy_gettext("Disability"),
    "possible_disability": lazy_gettext("Possible disability"),
    "serious_other": lazy_gettext("Other serious event"),
    "congenital_anomaly": lazy_gettext("Congenital anomaly in offspring"),
    "non_serious": lazy_gettext("Not serious"),
}
CAUSALITY_LABELS = {
    "related": lazy_gettext("Related"),
    "possibly_related": lazy_gettext("Possibly related"),
    "unlikely": lazy_gettext("Unlikely to be related"),
    "unrelated": lazy_gettext("Unrelated"),
}
OUTCOME_LABELS = {
    "recovered": lazy_gettext("Recovered"),
    "recovering": lazy_gettext("Recovering"),
    "not_recovered": lazy_gettext("Not recovered"),
    "recovered_with_sequelae": lazy_gettext("Recovered with sequelae"),
    "fatal": lazy_gettext("Fatal"),
    "unknown": lazy_gettext("Unknown"),
}
STATUS_LABELS = {
    "to_assess": lazy_gettext("To assess"),
    "to_report": lazy_gettext("To report"),
    "reported": lazy_gettext("Reported"),
    "not_reportable": lazy_gettext("Not reportable"),
}
CATEGORY_LABELS = {
    "seven_day": lazy_gettext("7-day report"),
    "fifteen_day": lazy_gettext("15-day report"),
    "periodic_batch": lazy_gettext("60-day batch report"),
}
PLAN_STATUS_LABELS = {
    "active": lazy_gettext("Active"),
    "suspended": lazy_gettext("Suspended"),
    "ended": lazy_gettext("Ended"),
}
REGIME_LABELS = {
    "none": lazy_gettext("None"),
    "jp_asrm": lazy_gettext("Japan: Act on the Safety of Regenerative Medicine"),
}
SEX_LABELS = {
    "female": lazy_gettext("Female"),
    "male": lazy_gettext("Male"),
    "other": lazy_gettext("Other"),
}
COURSE_LABELS = {
    "improved": lazy_gettext("Improved"),
    "unchanged": lazy_gettext("Unchanged"),
    "worse": lazy_gettext("Worse"),
    "not_known": lazy_gettext("Not known yet"),
}


# The reader's words for a stored word (a dash when there is none): the clinic pages' own.
label = word_for


def day_month(day: date | None) -> str:
    """A day without its year: "3 Dec", or "12月3日" in Japanese."""
    if day is None:
        return "—"
    return format_date(day, "M月d日" if str(get_locale() or "en").startswith("ja") else "d MMM")


def days_left_text(days: int | None) -> str:
    """Say how far a due date is: "2 days left", "due today", "3 days overdue"."""
    if days is None:
        return ""
    if days == 0:
        return gettext("due today")
    if days > 0:
        return ngettext("%(num)d day left", "%(num)d days left", days)
    return ngettext("%(num)d day overdue", "%(num)d days overdue", -days)


def clock_text(clock) -> str:
    """The worklist's words for an event's clock: "assess by 3 Dec: 2 days left"."""
    if clock is None or clock.due_on is None:
        return ""
    if clock.event.status == "to_assess":
        action = gettext("assess by %(day)s", day=day_month(clock.due_on))
    else:
        action = gettext("report by %(day)s", day=day_month(clock.due_on))
    return f"{action}: {days_left_text(clock.days_left)}"


def register_compliance_words(app) -> None:
    """Give templates the labels and clock words."""
    app.jinja_env.globals.update(
        seriousness_label=lambda word: label(SERIOUSNESS_LABELS, word),
        causality_label=lambda word: label(CAUSALITY_LABELS, word),
        outcome_label=lambda word: label(OUTCOME_LABELS, word),
        event_status_label=lambda word: label(STATUS_LABELS, word),
        category_label=lambda word: label(CATEGORY_LABELS, word),
        plan_status_label=lambda word: label(PLAN_STATUS_LABELS, word),
        sex_label=lambda word: label(SEX_LABELS, word),
        course_label=lambda word: label(COURSE_LABELS, word),
        clock_text=clock_text,
        days_left_text=days_left_text,
        day_month=day_month,
    )
