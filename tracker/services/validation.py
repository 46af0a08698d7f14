"""Rules on input shared by the forms and the API, with messages a person can act on."""

import re
from datetime import date
from decimal import Decimal
from zoneinfo import available_timezones

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from tracker.followup.schedule import validate_timezone
from tracker.messages import N_, Message  # noqa: F401  (services import both from here)
from tracker.phones import INVALID_PHONE, InvalidPhone, normalise_phone
from tracker.vocabulary import LANGUAGES

# No record of this tracker predates regenerative treatments; older dates are typing mistakes.
EARLIEST_DATE = date(1950, 1, 1)

# Characters no single-line value may hold: C0 and C1 controls (CR, LF, NUL, tab, NEL...) and
# the Unicode line and paragraph separators. One of them in a name or an ID ends up in an
# email header or a CSV row, where it breaks the line. Written as JSON Schema, Python and
# Rust regexes all read them, so the OpenAPI document states the very rule the API applies.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# What str.strip() removes besides the controls above: a value of these alone is blank.
BLANK_CHARACTERS = r" \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
SINGLE_LINE_PATTERN = (
    f"^[^{CONTROL_CHARACTERS}]*[^{CONTROL_CHARACTERS}{BLANK_CHARACTERS}][^{CONTROL_CHARACTERS}]*$"
)
# Multi-line text keeps its line breaks; PostgreSQL cannot store NUL in text.
MULTI_LINE_PATTERN = r"^[^\x00]*$"
# Everything str.strip() removes: required multi-line text must hold something else.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
REQUIRED_TEXT_PATTERN = f"^[^\\x00]*[^\\x00{WHITESPACE}][^\\x00]*$"
SINGLE_LINE_MESSAGE = N_("Must be one line without control characters (line breaks, tabs, NUL).")
NUL_MESSAGE = N_("Must not contain NUL characters.")
# The longest phone number as people type it: 15 digits (E.164) with spaces, dashes, brackets.
PHONE_MAX_LENGTH = 40
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def text_pattern(max_length: int, *, required: bool) -> str:
    """Spell Checker.text's rule for one line as a regex: blanks around, 1..max_length between."""
    blank = f"[{BLANK_CHARACTERS}]*"
    edge = f"[^{CONTROL_CHARACTERS}{BLANK_CHARACTERS}]"
    core = f"{edge}(?:[^{CONTROL_CHARACTERS}]{{0,{max_length - 2}}}{edge})?"
    return f"^{blank}{core}{blank}$" if required else f"^{blank}(?:{core})?{blank}$"


def any_case(word: str) -> str:
    """Spell a word as a regex matching it in any letter case (JSON Schema has no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# What validate_email() asks of a domain beyond the email format: a dot, a last label ending in a
# letter, and no special-use name such as .test or .local (no mail is ever delivered there).
RESERVED_DOMAINS = "|".join(any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = f"^[^@]+@(?![^@]*\\.(?:{RESERVED_DOMAINS})$)[^@]+\\.[^@]*[A-Za-z]$"

# The zones a patient or clinic may be in ("localtime" is the server's own, not an IANA name).
IANA_ZONES = tuple(sorted(available_timezones() - {"localtime"}))
ZONE_MESSAGE = N_("Unknown time zone. Use an IANA name such as Asia/Tokyo.")

# A cell dose is stored to two decimals (Numeric(10, 2)): anything smaller would be kept as 0.
DOSE_PLACES = Decimal("0.01")
SMALLEST_DOSE = Decimal("0.01")
LARGEST_DOSE = Decimal("100000")


def single_line_error(value: str) -> str | None:
    """Return why a single-line value is refused (a control character), or None."""
    return SINGLE_LINE_MESSAGE if _CONTROL.search(value) else None


def multi_line_error(value: str) -> str | None:
    """Return why a multi-line value is refused (a NUL character), or None."""
    return NUL_MESSAGE if "\x00" in value else None


class InvalidInput(Exception):
    """One or more values break a rule; errors maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class Conflict(Exception):
    """The request collides with data that exists (a duplicate external_id)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: message}


class Checker:
    """Collect every broken rule of one request before answering."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)

    def text(
        self, field: str, value, *, required: bool, max_length: int, multi_line: bool = False
    ) -> str | None:
        if not isinstance(value, str | None):
            self.fail(field, N_("Must be text."))
            return None
        # Before stripping: a trailing line break is as much a control character as any.
        value = value or ""
        refusal = multi_line_error(value) if multi_line else single_line_error(value)
        value = value.strip()
        if required and not value:
            self.fail(field, N_("This field is required."))
        elif refusal:
            self.fail(field, refusal)
        elif len(value) > max_length:
            self.fail(field, N_("Must be at most %(count)s characters.", count=max_length))
        return value

    def score(
        self, field: str, value, *, required: bool, low: int = 0, high: int = 10
    ) -> int | None:
        if value is None or value == "":
            if required:
                self.fail(field, N_("This field is required."))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(
                field, N_("Must be a whole number from %(low)s to %(high)s.", low=low, high=high)
            )
            return None
        if not low <= value <= high:
            self.fail(field, N_("Must be between %(low)s and %(high)s.", low=low, high=high))
            return None
        return value

    def timezone(self, field: str, value) -> str | None:
        try:
            return validate_timezone(value)
        except (ValueError, TypeError):
            self.fail(
                field,
                N_(
                    "Unknown time zone: %(zone)s. Use an IANA name such as Asia/Tokyo.",
                    zone=repr(value),
                ),
            )
            return None

    def email(self, field: str, value) -> str | None:
        if value in (None, ""):
            return None
        if isinstance(value, str) and single_line_error(value):
            self.fail(
                field, N_("Not a valid email address: %(reason)s", reason=SINGLE_LINE_MESSAGE)
            )
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            self.fail(field, N_("Not a valid email address: %(reason)s", reason=str(error)))
            return None

    def phone(self, field: str, value, country: str | None) -> str | None:
        """Read a phone number (national numbers in the country) as E.164; blank is None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            self.fail(field, N_("Must be text."))
            return None
        if single_line_error(value) or len(value) > PHONE_MAX_LENGTH:
            self.fail(field, INVALID_PHONE)
            return None
        try:
            return normalise_phone(value, country)
        except InvalidPhone as error:
            self.fail(field, error.args[0] if error.args else N_(INVALID_PHONE))
            return None

    def language(self, field: str, value) -> str | None:
        if value not in LANGUAGES:
            self.fail(field, N_("Must be en (English) or ja (Japanese)."))
            return None
        return value

    def past_date(self, field: str, value, today: date) -> date | None:
        if value is None:
            self.fail(field, N_("This field is required."))
            return None
        if value > today:
            self.fail(
                field, N_("Cannot be in the future (today is %(today)s).", today=today.isoformat())
            )
            return None
        if value < EARLIEST_DATE:
            self.fail(field, N_("Must be on or after %(day)s.", day=EARLIEST_DATE.isoformat()))
            return None
        return value

    def choice(self, field: str, value, choices) -> str | None:
        if value not in choices:
            self.fail(field, N_("Must be one of: %(choices)s.", choices=", ".join(choices)))
            return None
        return value
