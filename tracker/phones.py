"""Telephone numbers: read as a person types them, kept in E.164, shown for the reader's country."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from tracker.messages import N_

INVALID_PHONE = N_(
    "Not a valid phone number. Enter it with its country code (+44 20 7946 0018) "
    "or as dialled in the clinic's country."
)


class InvalidPhone(ValueError):
    """The text is not a telephone number that can be dialled."""


def normalise_phone(text: str, country: str | None) -> str:
    """Return the number as E.164 (+81312345678); national numbers are read in the country."""
    try:
        number = phonenumbers.parse(text, country)
    except NumberParseException as error:
        raise InvalidPhone(INVALID_PHONE) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(INVALID_PHONE)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164: str | None, country: str | None) -> str:
    """Write a stored number as a reader in that country dials it: nationally if it is theirs."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number)
    layout = (
        PhoneNumberFormat.NATIONAL
        if country and home == country
        else PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, layout)
