"""A clinic's schedule and flag settings, as its admin changes them."""

import phonenumbers

from tracker.extensions import db
from tracker.followup.flags import Thresholds
from tracker.followup.schedule import ScheduleSettings
from tracker.models import Clinic, User
from tracker.models.clinic import REGIMES
from tracker.regions import country_of_timezone
from tracker.services.audit import record_audit
from tracker.services.validation import N_, Checker, InvalidInput

MILESTONE_WEEKS_RANGE = (1, 260)
# Each whole-number setting and the values a clinic may choose (docs/schedule-and-flags.md).
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "send_hour": (0, 23),
    "window_before_days": (0, 30),
    "window_after_days": (1, 60),
    "nudge_after_days": (1, 30),
    "early_days": (0, 60),
    "min_improvement": (1, 10),
    "rise_points": (1, 10),
    "sustain_days": (1, 60),
    "severe_pain": (1, 10),
    "non_responder_days": (14, 365),
}
SETTINGS = ("timezone", "milestone_weeks", *NUMBER_RANGES)
CONTACT_SETTINGS = ("country", "phone", "contact_email")


def whole_number(check: Checker, field: str, value, low: int, high: int) -> int | None:
    """Read an int (or its decimal digits as text) and check its range."""
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            value = int(text)
        elif text:
            check.fail(
                field, N_("Must be a whole number from %(low)s to %(high)s.", low=low, high=high)
            )
            return None
    return check.score(field, value, required=True, low=low, high=high)


def milestone_weeks(check: Checker, value) -> list[int] | None:
    """Read "2, 8, 12, 52" (or a list of ints) as distinct weeks, in ascending order."""
    low, high = MILESTONE_WEEKS_RANGE
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        parts = [part for part in parts if part]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        parts = []
    if not parts:
        check.fail("milestone_weeks", N_("Give at least one milestone, in weeks after treatment."))
        return None
    weeks = []
    for part in parts:
        number = int(part) if isinstance(part, str) and part.isdigit() else part
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            check.fail(
                "milestone_weeks",
                N_(
                    "Each milestone must be a whole number of weeks from %(low)s to %(high)s: "
                    "%(part)s is not.",
                    low=low,
                    high=high,
                    part=str(part),
                ),
            )
            return None
        weeks.append(number)
    duplicates = sorted({week for week in weeks if weeks.count(week) > 1})
    if duplicates:
        check.fail(
            "milestone_weeks",
            N_(
                "Each milestone may appear once: %(weeks)s repeats.",
                weeks=", ".join(map(str, duplicates)),
            ),
        )
        return None
    return sorted(weeks)


def check_contact(check: Checker, values: dict, timezone: str | None) -> dict:
    """Read how patients reach the clinic; a form that leaves them out keeps them as they are."""
    cleaned: dict = {}
    if "country" in values:
        country = (values.get("country") or "").strip().upper() or None
        if country is not None and country not in phonenumbers.SUPPORTED_REGIONS:
            check.fail(
                "country", N_("Unknown country. Use a two-letter ISO code such as JP or GB.")
            )
        cleaned["country"] = country
    if "phone" in values:
        country = cleaned.get("country") or country_of_timezone(timezone)
        cleaned["phone"] = check.phone("phone", values.get("phone"), country)
    if "contact_email" in values:
        cleaned["contact_email"] = check.email("contact_email", values.get("contact_email"))
    return cleaned


def check_clinic_settings(values: dict) -> dict:
    """Validate every setting; return the cleaned values or raise InvalidInput."""
    check = Checker()
    cleaned: dict = {
        "timezone": check.timezone("timezone", (values.get("timezone") or "").strip()),
        "milestone_weeks": milestone_weeks(check, values.get("milestone_weeks")),
    }
    for name, (low, high) in NUMBER_RANGES.items():
        cleaned[name] = whole_number(check, name, values.get(name), low, high)
    if values.get("regulatory_regime") is not None:  # left out, the regime stays as it is
        cleaned["regulatory_regime"] = check.choice(
            "regulatory_regime", values["regulatory_regime"], REGIMES
        )
    cleaned.update(check_contact(check, values, cleaned["timezone"]))
    check.done()
    # The domain core has its own guards; a value it refuses must never reach the database.
    try:
        ScheduleSettings(
            milestone_weeks=tuple(cleaned["milestone_weeks"]),
            send_hour=cleaned["send_hour"],
            window_before_days=cleaned["window_before_days"],
            window_after_days=cleaned["window_after_days"],
            nudge_after_days=cleaned["nudge_after_days"],
        )
        Thresholds(**{name: cleaned[name] for name in Thresholds.__dataclass_fields__})
    except ValueError as error:
        raise InvalidInput({"settings": str(error)}) from error
    return cleaned


def update_clinic_settings(clinic: Clinic, actor: User, values: dict) -> Clinic:
    """Save the clinic's settings (they apply to treatments recorded afterwards) and commit."""
    cleaned = check_clinic_settings(values)
    changes = {
        name: [getattr(clinic, name), value]
        for name, value in cleaned.items()
        if getattr(clinic, name) != value
    }
    for name, value in cleaned.items():
        setattr(clinic, name, value)
    record_audit(
        clinic.id,
        "clinic.settings",
        "clinic",
        clinic.id,
        actor,
        "user",
        details={"changed": changes},
    )
    db.session.commit()
    return clinic
