"""Where a person is, as far as a time zone tells: the country, and the locale dates follow."""

from babel.core import get_global

# Zones babel keeps under another name (Asia/Calcutta for Asia/Kolkata, US/Eastern...).
_ALIASES = get_global("zone_aliases")
_TERRITORIES = get_global("zone_territories")
# Where English dates read "Nov 27, 2026"; everywhere else English reads "27 Nov 2026".
MONTH_FIRST_COUNTRIES = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM"})


def country_of_timezone(timezone: str | None) -> str | None:
    """Return the ISO 3166 country of an IANA zone (Asia/Tokyo -> JP), or None (UTC, Etc/*)."""
    if not timezone:
        return None
    territory = _TERRITORIES.get(timezone) or _TERRITORIES.get(_ALIASES.get(timezone, ""))
    # "001" (the world) and "ZZ" (unknown) name no country.
    if territory and len(territory) == 2 and territory.isalpha() and territory != "ZZ":
        return territory
    return None


def patient_locale(language: str, timezone: str | None) -> str:
    """Return the locale a patient's dates are written in: ja, en_US, or en_GB.

    English speakers outside the United States write the day first (27 Nov 2026): en_GB
    stands for all of them, as a British, Irish or Australian patient would expect.
    """
    if language == "ja":
        return "ja"
    return "en_US" if country_of_timezone(timezone) in MONTH_FIRST_COUNTRIES else "en_GB"
