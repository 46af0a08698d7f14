"""How long a patient's records must be kept (docs/compliance.md, Records kept).

Pure: the caller passes the clinic's regime, the patient's last treatment day and today.
"""

from datetime import date

RETENTION_YEARS = 10


def retention_ends_on(last_treated_on: date) -> date:
    """Return the first day a patient's records may go: 10 years after the last treatment.

    A last treatment on 29 February is kept until 1 March, never a day short.
    """
    try:
        return last_treated_on.replace(year=last_treated_on.year + RETENTION_YEARS)
    except ValueError:
        return date(last_treated_on.year + RETENTION_YEARS, 3, 1)


def must_keep(regime: str, last_treated_on: date | None, today: date) -> bool:
    """Tell whether the law forbids deleting the patient's records today."""
    if regime != "jp_asrm" or last_treated_on is None:
        return False
    return today < retention_ends_on(last_treated_on)
