"""Phone numbers kept in E.164 and shown for the reader's country; dates in the patient's locale."""

from datetime import date

import pytest
from babel.dates import format_date

from tracker.phones import InvalidPhone, format_phone, normalise_phone
from tracker.regions import country_of_timezone, patient_locale

NOV_27 = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("03-1234-5678", "JP", "+81312345678"),
        ("090 1234 5678", "JP", "+819012345678"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("(212) 555-0143", "US", "+12125550143"),
        ("0412 345 678", "AU", "+61412345678"),
        # A number typed with its country code is read as such, whatever the clinic's country.
        ("+44 20 7946 0018", "JP", "+442079460018"),
        ("+81 3 1234 5678", None, "+81312345678"),
    ],
)
def test_numbers_are_kept_in_e164(typed, country, e164):
    assert normalise_phone(typed, country) == e164


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("12345", "JP"),  # too short
        ("03-1234-5678", None),  # national, with no country to read it in
        ("not a number", "JP"),
        ("+81 3 1234 5678 9999 1", "JP"),  # too long
        ("+999 1234 5678", "JP"),  # no such country code
    ],
)
def test_invalid_numbers_are_refused_with_a_clear_message(typed, country):
    with pytest.raises(InvalidPhone, match="Not a valid phone number"):
        normalise_phone(typed, country)


def test_a_number_is_shown_nationally_at_home_and_with_its_country_code_abroad():
    assert format_phone("+81312345678", "JP") == "03-1234-5678"
    assert format_phone("+81312345678", "GB") == "+81 3-1234-5678"
    assert format_phone("+442079460018", "GB") == "020 7946 0018"
    assert format_phone("+12125550143", "US") == "(212) 555-0143"
    assert format_phone("+12125550143", None) == "+1 212-555-0143"
    assert format_phone(None, "JP") == ""


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Asia/Tokyo", "JP"),
        ("Europe/London", "GB"),
        ("America/New_York", "US"),
        ("US/Eastern", "US"),  # an alias
        ("Asia/Calcutta", "IN"),
        ("Australia/Sydney", "AU"),
        ("UTC", None),
        ("Etc/GMT+5", None),
        (None, None),
    ],
)
def test_a_time_zone_names_its_country(zone, country):
    assert country_of_timezone(zone) == country


@pytest.mark.parametrize(
    ("language", "zone", "locale", "written"),
    [
        ("en", "Europe/London", "en_GB", "27 Nov 2026"),
        ("en", "Australia/Sydney", "en_GB", "27 Nov 2026"),
        ("en", "Asia/Tokyo", "en_GB", "27 Nov 2026"),
        ("en", "UTC", "en_GB", "27 Nov 2026"),
        ("en", "America/New_York", "en_US", "Nov 27, 2026"),
        ("en", "America/Los_Angeles", "en_US", "Nov 27, 2026"),
        ("ja", "Asia/Tokyo", "ja", "2026/11/27"),
        ("ja", "America/New_York", "ja", "2026/11/27"),
    ],
)
def test_dates_follow_the_patients_locale(language, zone, locale, written):
    assert patient_locale(language, zone) == locale
    assert format_date(NOV_27, "medium", locale=locale) == written
