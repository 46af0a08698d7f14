"""The IANA time zones grouped by country, with country names in the reader's language."""

from functools import cache
from importlib import resources

from babel import Locale

from tracker.followup.schedule import validate_timezone


@cache
def zone_countries() -> dict[str, str]:
    """Map each zone of tzdata's zone.tab to its ISO 3166 country code."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_comment = line.split("\t")
            countries[zone] = code
    return countries


@cache
def zones_by_country(language: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Groups of (country name, ((zone, label), ...)), by country name; UTC last."""
    names = Locale.parse(language).territories
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone, code in zone_countries().items():
        try:
            validate_timezone(zone)
        except ValueError:
            continue  # listed in zone.tab but absent from this tzdata: never offer it
        label = zone.split("/", 1)[-1].replace("_", " ").replace("/", " / ")
        groups.setdefault(names.get(code, code), []).append((zone, label))
    ordered = tuple(
        (country, tuple(sorted(zones, key=lambda pair: pair[1])))
        for country, zones in sorted(groups.items())
    )
    return (*ordered, ("UTC", (("UTC", "UTC"),)))
