"""The Outcomes page's figures in plain words, and the published claims beside them."""

from flask_babel import gettext as _

from tracker.clinic.outcome_charts import DAYS_PER_MONTH


def months(days: float | None) -> str:
    return "—" if days is None else f"{days / DAYS_PER_MONTH:.0f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f}"


def summary_sentences(figures: dict) -> list[str]:
    """Say the page's main figures in plain words."""
    durability = figures["durability"]
    cohort = durability["cohort"]
    sentences = []
    if not cohort:
        sentences.append(
            _("No knee has improved yet, so how long the benefit lasts cannot be told.")
        )
    elif durability["median_days"] is not None:
        low, high = durability["median_ci95"]
        sentences.append(
            _(
                "Of %(cohort)d knees that responded, half still had the benefit at %(months)s"
                " months (95%% CI %(low)s-%(high)s).",
                cohort=cohort,
                months=months(durability["median_days"]),
                low=months(low),
                high=_("not reached") if high is None else months(high),
            )
        )
    elif durability["survival_at"]["365"] is not None:
        sentences.append(
            _(
                "Of %(cohort)d knees that responded, %(share)s%% still had the benefit at 12"
                " months; fewer than half have lost it so far.",
                cohort=cohort,
                share=percent(durability["survival_at"]["365"]),
            )
        )
    else:
        sentences.append(
            _(
                "Of %(cohort)d knees that responded, fewer than half have lost the benefit;"
                " none has been followed for a year yet.",
                cohort=cohort,
            )
        )
    rated = [row for row in figures["milestones"] if row["rates"]["omeract_oarsi"]]
    if rated:
        row = rated[-1]
        rate = row["rates"]["omeract_oarsi"]
        sentences.append(
            _(
                "At %(weeks)d weeks, %(n)d of %(total)d knees that answered were responders"
                " (OMERACT-OARSI): %(share)s%%, 95%% CI %(low)s-%(high)s%%.",
                weeks=row["weeks"],
                n=row["responders"]["omeract_oarsi"],
                total=row["denominators"]["omeract_oarsi"],
                share=percent(rate["value"]),
                low=percent(rate["ci95"][0]),
                high=percent(rate["ci95"][1]),
            )
        )
    onset = figures["onset_days"]["median"]
    if onset is not None:
        sentences.append(
            _(
                "Improvement began at a median of %(weeks)s weeks after treatment.",
                weeks=f"{onset / 7:.0f}",
            )
        )
    return sentences


def group_figures(figures: dict, key: str) -> dict | None:
    return next((group for group in figures["groups"] if group["key"] == key), None)


def durability_words(group: dict | None) -> str:
    """Say a group's durability briefly: its median, else its 12-month survival."""
    if group is None or not group["durability"]["cohort"]:
        return _("no responding knees yet")
    durability = group["durability"]
    if durability["median_days"] is not None:
        return _(
            "half lost the benefit by %(months)s months (%(cohort)d knees)",
            months=months(durability["median_days"]),
            cohort=durability["cohort"],
        )
    if durability["survival_at"]["365"] is not None:
        return _(
            "%(share)s%% still had the benefit at 12 months (%(cohort)d knees)",
            share=percent(durability["survival_at"]["365"]),
            cohort=durability["cohort"],
        )
    return _("followed for under a year so far (%(cohort)d knees)", cohort=durability["cohort"])


def published_expectations(figures: dict, by_grade: dict, by_route: dict) -> list[tuple]:
    """Pair each published claim with the clinic's own figure.

    The claims: docs/outcomes-and-reporting.md, Published expectations.
    """
    onset, nadir = figures["onset_days"], figures["nadir_days"]

    def spread(quartiles: dict, unit_days: float, unit: str) -> str:
        if quartiles["median"] is None:
            return _("not enough data yet")
        return _(
            "median %(median)s %(unit)s (IQR %(q1)s-%(q3)s)",
            median=f"{quartiles['median'] / unit_days:.0f}",
            q1=f"{quartiles['q1'] / unit_days:.0f}",
            q3=f"{quartiles['q3'] / unit_days:.0f}",
            unit=unit,
        )

    return [
        (_("Onset of improvement"), _("2-8 weeks"), spread(onset, 7, _("weeks"))),
        (
            _("Peak (stiffness at its lowest)"),
            _("3-6 months"),
            spread(nadir, DAYS_PER_MONTH, _("months")),
        ),
        (
            _("Knee OA, KL grade 2-3"),
            _("relief for years"),
            durability_words(group_figures(by_grade, "2-3")),
        ),
        (
            _("Knee OA, KL grade 4"),
            _("often 6-12 months"),
            durability_words(group_figures(by_grade, "4")),
        ),
        (
            _("Intravenous route"),
            _("benefits taper after 12-18 months"),
            durability_words(group_figures(by_route, "iv")),
        ),
        (_("Boosters"), _("every 1-2 years"), "—"),
    ]
