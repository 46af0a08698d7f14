"""Rules on input shared by the forms and the API, with messages a person can act on."""

from datetime import date

from email_validator import EmailNotValidError, validate_email

from tracker.followup.schedule import validate_timezone

# No record of this tracker predates regenerative treatments; older dates are typing mistakes.
EARLIEST_DATE = date(1950, 1, 1)


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

    def text(self, field: str, value, *, required: bool, max_length: int) -> str | None:
        value = (value or "").strip() if isinstance(value, str | type(None)) else value
        if not isinstance(value, str):
            self.fail(field, "Must be text.")
            return None
        if required and not value:
            self.fail(field, "This field is required.")
        elif "\x00" in value:
            # PostgreSQL cannot store NUL in text: refuse it here rather than fail on write.
            self.fail(field, "Must not contain NUL characters.")
        elif len(value) > max_length:
            self.fail(field, f"Must be at most {max_length} characters.")
        return value

    def score(
        self, field: str, value, *, required: bool, low: int = 0, high: int = 10
    ) -> int | None:
        if value is None or value == "":
            if required:
                self.fail(field, "This field is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"Must be a whole number from {low} to {high}.")
            return None
        if not low <= value <= high:
            self.fail(field, f"Must be between {low} and {high}.")
            return None
        return value

    def timezone(self, field: str, value) -> str | None:
        try:
            return validate_timezone(value)
        except (ValueError, TypeError):
            self.fail(field, f"Unknown time zone: {value!r}. Use an IANA name such as Asia/Tokyo.")
            return None

    def email(self, field: str, value) -> str | None:
        if value in (None, ""):
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            self.fail(field, f"Not a valid email address: {error}")
            return None

    def language(self, field: str, value) -> str | None:
        if value not in ("en", "ja"):
            self.fail(field, "Must be en (English) or ja (Japanese).")
            return None
        return value

    def past_date(self, field: str, value, today: date) -> date | None:
        if value is None:
            self.fail(field, "This field is required.")
            return None
        if value > today:
            self.fail(field, f"Cannot be in the future (today is {today.isoformat()}).")
            return None
        if value < EARLIEST_DATE:
            self.fail(field, f"Must be on or after {EARLIEST_DATE.isoformat()}.")
            return None
        return value

    def choice(self, field: str, value, choices) -> str | None:
        if value not in choices:
            self.fail(field, "Must be one of: " + ", ".join(choices) + ".")
            return None
        return value
