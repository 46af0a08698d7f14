"""How the clinic pages say flags, dates, waits and evidence, in the viewer's language."""

from datetime import date

from flask_babel import format_date, get_locale, gettext, ngettext

from tracker.clinic import bp
from tracker.clinic_words import MISSED_EMAIL_OUTCOMES, flag_kind_words
from tracker.compliance_text import day_month
from tracker.followup.flags import STIFFNESS_KINDS
from tracker.vocabulary import ADVERSE_EVENT, MISSED_MILESTONE, NON_RESPONDER

# Short names keep a worklist row on one line; the full name is in the cell's title.
TREATMENT_SHORT = {
    "adsc_cultured": "ADSC",
    "ucmsc": "UC-MSC",
    "bmac": "BMAC",
    "prp": "PRP",
}


def japanese() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "ja"


@bp.app_template_filter("short_date")
def short_date(day: date | None) -> str:
    """Write a date the one way the clinic pages do: 28 Mar 2026, or 2026年3月28日."""
    if day is None:
        return "—"
    return format_date(day, "y年M月d日" if japanese() else "d MMM y")


@bp.app_template_global()
def treatment_short(kind: str, label: str) -> str:
    return TREATMENT_SHORT.get(kind, label)


@bp.app_template_global()
def days_words(days: int | None) -> str:
    """Say a whole number of days briefly: "today", "1 day", "12 days"."""
    if days is None:
        return "—"
    if days < 1:
        return gettext("under a day")
    return ngettext("%(num)d day", "%(num)d days", days)


def _on(iso: str) -> date:
    return date.fromisoformat(iso)


def _day_of(on: date, treated_on: date | None) -> int | None:
    return (on - treated_on).days if treated_on is not None else None


def _when(on: date, treated_on: date | None) -> str:
    day = _day_of(on, treated_on)
    if day is None:
        return day_month(on)
    return gettext("day %(day)d (%(date)s)", day=day, date=day_month(on))


@bp.app_template_global()
def evidence_words(flag) -> str:
    """Describe a flag's evidence, saying which day each value was seen on (the clinic pages).

    Emails and the digest say it with full dates: clinic_words.evidence_text.
    """
    evidence = flag.evidence or {}
    treated_on = flag.treatment.treated_on if flag.treatment is not None else None
    try:
        if flag.kind in STIFFNESS_KINDS:
            nadir, latest = evidence["nadir"], evidence["latest"]
            return gettext(
                "best %(best)d on %(best_when)s; now %(now)d on %(now_when)s",
                best=nadir["stiffness"],
                best_when=_when(_on(nadir["recorded_on"]), treated_on),
                now=latest["stiffness"],
                now_when=_when(_on(latest["recorded_on"]), treated_on),
            )
        if flag.kind == NON_RESPONDER:
            base = evidence["baseline"]
            return gettext(
                "no %(points)d-point improvement by day %(day)d;"
                " baseline stiffness %(stiffness)s, pain %(pain)s",
                points=evidence["min_improvement"],
                day=evidence["days_since_treatment"],
                stiffness="—" if base["stiffness"] is None else base["stiffness"],
                pain="—" if base["pain"] is None else base["pain"],
            )
        if flag.kind == ADVERSE_EVENT:
            text = gettext(
                "reported on %(when)s", when=_when(_on(evidence["recorded_on"]), treated_on)
            )
            if treated_on is None:
                text = gettext("%(text)s, before any treatment", text=text)
            details = evidence.get("details")
            return f"{text}: {details}" if details else text
        if flag.kind == MISSED_MILESTONE:
            text = gettext(
                "%(weeks)d-week window closed %(date)s",
                weeks=evidence["milestone_weeks"],
                date=day_month(_on(evidence["window_closes_on"])),
            )
            outcome = MISSED_EMAIL_OUTCOMES.get(evidence.get("outcome"))
            return f"{text}: {outcome}" if outcome else text
    except (KeyError, TypeError, ValueError):
        pass  # old or hand-edited evidence must not take the whole worklist down
    return flag_kind_words(flag.kind)
