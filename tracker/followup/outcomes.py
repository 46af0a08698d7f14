"""Work out what one treatment contributes to the outcome figures (docs/outcomes-and-reporting.md).

Pure rules over plain values: milestone answers, responder status, the durability record
(cohort or excluded; event, competing event or censoring day), onset and nadir days. The
caller loads the treatment, its check-ins, flags and outcome events; statistics over many
treatments live in outcome_summary and survival.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from tracker.followup.flags import (
    Baseline,
    Reading,
    Thresholds,
    baseline_checkin,
    choose_baseline,
    eligible_readings,
    scan_stiffness,
    shows_improvement,
    treatment_series,
)
from tracker.followup.schedule import MilestoneWindow, ScheduleSettings, milestone_window

ANSWERED = "answered"
MISSED = "missed"
PENDING = "pending"
# The series closed (a later treatment) before the window ended with no answer: the
# question was withdrawn, so it is neither missed nor still pending.
CLOSED = "closed"

PAIN_HALVED = "pain_halved"
OMERACT_OARSI = "omeract_oarsi"
RESPONDER_DEFINITIONS = (PAIN_HALVED, OMERACT_OARSI)

COHORT = "cohort"
NO_BASELINE = "no_baseline"
NEVER_RESPONDED = "never_responded"
EXCLUSION_REASONS = (NO_BASELINE, NEVER_RESPONDED)

EVENT = "event"
COMPETING_EVENT = "competing_event"
CENSORED = "censored"

KNEE_REPLACEMENT = "knee_replacement"
OSTEOTOMY = "osteotomy"
# Procedures that end the joint's story: after them the injected effect can no longer be lost.
COMPETING_EVENT_KINDS = frozenset({KNEE_REPLACEMENT, OSTEOTOMY})


@dataclass(frozen=True)
class OutcomeReading(Reading):
    function: int | None = None
    global_assessment: int | None = None


@dataclass(frozen=True)
class OutcomeBaseline(Baseline):
    function: int | None = None
    global_assessment: int | None = None


@dataclass(frozen=True)
class OutcomeEvent:
    kind: str  # knee_replacement | osteotomy | other_injection | other_surgery
    occurred_on: date


@dataclass(frozen=True)
class TreatmentFacts:
    treatment_id: int
    treated_on: date
    kind: str
    route: str
    kl_grade: int | None
    today: date  # the patient's today, in the patient's time zone
    baseline_pain: int | None = None
    baseline_stiffness: int | None = None
    baseline_function: int | None = None
    baseline_global_assessment: int | None = None
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)

    def __post_init__(self) -> None:
        if self.kl_grade is not None and not _in_range(self.kl_grade, 0, 4):
            raise ValueError(f"kl_grade must be 0-4 or None, got {self.kl_grade!r}")
        for name in (
            "baseline_pain",
            "baseline_stiffness",
            "baseline_function",
            "baseline_global_assessment",
        ):
            value = getattr(self, name)
            if value is not None and not _in_range(value, 0, 10):
                raise ValueError(f"{name} must be 0-10 or None, got {value!r}")
        if self.today < self.treated_on:
            raise ValueError(f"today ({self.today}) is before treated_on ({self.treated_on})")


@dataclass(frozen=True)
class TreatmentHistory:
    facts: TreatmentFacts
    # The patient's check-ins from 30 days before treatment on; the rest are ignored.
    checkins: tuple[OutcomeReading, ...]
    # run_started_on of each of the treatment's booster_window/relapse flags, any status.
    stiffness_runs_started_on: tuple[date, ...] = ()
    outcome_events: tuple[OutcomeEvent, ...] = ()
    series_closed_on: date | None = None  # the next treatment's date


@dataclass(frozen=True)
class MilestoneAnswer:
    milestone_weeks: int
    due_on: date
    window_opens_on: date
    window_closes_on: date
    status: str  # answered | missed | pending | closed
    answer: OutcomeReading | None
    # None when the treatment is not in that definition's denominator.
    pain_halved: bool | None
    omeract_oarsi: bool | None


@dataclass(frozen=True)
class Durability:
    status: str  # cohort | no_baseline | never_responded
    exit: str | None  # event | competing_event | censored, for the cohort only
    day: int | None  # days from treated_on to the exit


@dataclass(frozen=True)
class TreatmentOutcome:
    treatment_id: int
    treated_on: date
    kind: str
    route: str
    kl_grade: int | None
    baseline: OutcomeBaseline | None
    milestones: tuple[MilestoneAnswer, ...]
    durability: Durability
    onset_day: int | None  # first eligible check-in showing improvement
    nadir_day: int | None  # earliest eligible check-in with the series' lowest stiffness


def outcome_baseline(
    facts: TreatmentFacts, checkins: Iterable[OutcomeReading]
) -> OutcomeBaseline | None:
    """Return the flag rules' baseline, with function and global assessment from the same source."""
    checkins = list(checkins)
    chosen = choose_baseline(
        facts.baseline_pain, facts.baseline_stiffness, facts.treated_on, checkins
    )
    if chosen is None:
        return None
    if chosen.source == "treatment":
        return OutcomeBaseline(
            chosen.pain,
            chosen.stiffness,
            chosen.source,
            facts.baseline_function,
            facts.baseline_global_assessment,
        )
    latest = baseline_checkin(facts.treated_on, checkins)
    return OutcomeBaseline(
        chosen.pain,
        chosen.stiffness,
        chosen.source,
        getattr(latest, "function", None),
        getattr(latest, "global_assessment", None),
    )


def is_pain_halved(baseline: OutcomeBaseline | None, answer: Reading) -> bool | None:
    """Tell whether pain is at most half the baseline; None if baseline pain is missing or 0."""
    if baseline is None or baseline.pain is None or baseline.pain < 1:
        return None
    return 2 * answer.pain <= baseline.pain


def is_omeract_oarsi_responder(
    baseline: OutcomeBaseline | None, answer: OutcomeReading
) -> bool | None:
    """Apply the OMERACT-OARSI 2004 responder criteria on 0-10 scales; None without baseline."""
    if baseline is None:
        return None
    moderate = 0
    for before, after, may_be_high in (
        (baseline.pain, answer.pain, True),
        (baseline.function, answer.function, True),
        (baseline.global_assessment, answer.global_assessment, False),
    ):
        if before is None or after is None:
            continue  # missing on either side counts as not improved
        change = before - after
        # Integers only, so no rounding decides a responder: 50% is 2 x change >= baseline.
        if may_be_high and change >= 2 and 2 * change >= before:
            return True
        if change >= 1 and 5 * change >= before:
            moderate += 1
    return moderate >= 2


def milestone_answers(
    facts: TreatmentFacts,
    baseline: OutcomeBaseline | None,
    series: Sequence[OutcomeReading],
    series_closed_on: date | None,
) -> tuple[MilestoneAnswer, ...]:
    """Answer each milestone with the series' check-in closest to its due date."""
    days = [r.recorded_on for r in series]  # series is in (recorded_on, id) order
    answers = []
    for window in _windows(facts.treated_on, facts.schedule):
        inside = series[
            bisect_left(days, window.window_opens_on) : bisect_right(days, window.window_closes_on)
        ]
        # min keeps the first of equals, and the series is in order: the earlier on a tie.
        answer = min(inside, key=lambda r: abs((r.recorded_on - window.due_on).days), default=None)
        if answer is not None:
            status = ANSWERED
        elif series_closed_on is not None and series_closed_on <= window.window_closes_on:
            status = CLOSED
        elif facts.today > window.window_closes_on:
            status = MISSED
        else:
            status = PENDING
        answers.append(
            MilestoneAnswer(
                milestone_weeks=window.milestone_weeks,
                due_on=window.due_on,
                window_opens_on=window.window_opens_on,
                window_closes_on=window.window_closes_on,
                status=status,
                answer=answer,
                pain_halved=None if answer is None else is_pain_halved(baseline, answer),
                omeract_oarsi=None
                if answer is None
                else is_omeract_oarsi_responder(baseline, answer),
            )
        )
    return tuple(answers)


# A clinic treats many knees on the same day, so the same windows come up again and again.
@lru_cache(maxsize=4096)
def _windows(treated_on: date, schedule: ScheduleSettings) -> tuple[MilestoneWindow, ...]:
    return tuple(milestone_window(treated_on, w, schedule) for w in schedule.milestone_weeks)


def durability(
    facts: TreatmentFacts,
    baseline: Baseline | None,
    eligible: Sequence[Reading],
    history: TreatmentHistory,
    min_improvement: int,
) -> tuple[Durability, Reading | None]:
    """Place the treatment in the cohort with its exit, or exclude it; also return its onset."""
    if baseline is None:
        return Durability(NO_BASELINE, None, None), None
    onset = next((r for r in eligible if shows_improvement(r, baseline, min_improvement)), None)
    if onset is None:
        return Durability(NEVER_RESPONDED, None, None), None
    # A stiffness run before the first improvement is not a loss: there was no effect yet.
    loss_on = min(
        (d for d in history.stiffness_runs_started_on if d >= onset.recorded_on), default=None
    )
    closed_on = history.series_closed_on
    competing_on = min(
        (
            event.occurred_on
            for event in history.outcome_events
            if event.kind in COMPETING_EVENT_KINDS
            and event.occurred_on >= facts.treated_on
            and (closed_on is None or event.occurred_on < closed_on)
            and (loss_on is None or event.occurred_on < loss_on)
        ),
        default=None,
    )
    if competing_on is not None:
        exit_kind, exit_on = COMPETING_EVENT, competing_on
    elif loss_on is not None:
        exit_kind, exit_on = EVENT, loss_on
    else:
        exit_kind, exit_on = CENSORED, eligible[-1].recorded_on
    return Durability(COHORT, exit_kind, (exit_on - facts.treated_on).days), onset


def assess_treatment(history: TreatmentHistory, thresholds: Thresholds) -> TreatmentOutcome:
    """Work out one treatment's milestone answers, responder status, durability, onset and nadir."""
    facts = history.facts
    baseline = outcome_baseline(facts, history.checkins)
    series = treatment_series(facts.treated_on, history.series_closed_on, history.checkins)
    eligible = eligible_readings(facts.treated_on, series, thresholds.early_days)
    record, onset = durability(facts, baseline, eligible, history, thresholds.min_improvement)
    nadir = scan_stiffness(eligible, thresholds.rise_points).nadir
    return TreatmentOutcome(
        treatment_id=facts.treatment_id,
        treated_on=facts.treated_on,
        kind=facts.kind,
        route=facts.route,
        kl_grade=facts.kl_grade,
        baseline=baseline,
        milestones=milestone_answers(facts, baseline, series, history.series_closed_on),
        durability=record,
        onset_day=None if onset is None else (onset.recorded_on - facts.treated_on).days,
        nadir_day=None if nadir is None else (nadir.recorded_on - facts.treated_on).days,
    )


def _in_range(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def course_of(outcome: TreatmentOutcome, thresholds: Thresholds) -> str:
    """Improved, unchanged or worse at the latest answered milestone.

    The rules: docs/compliance.md, Periodic reports (the course of the treated patients).
    """
    answered = [m for m in outcome.milestones if m.status == ANSWERED and m.answer is not None]
    if not answered or outcome.baseline is None:
        return "not_known"
    latest = answered[-1]
    if latest.omeract_oarsi:
        return "improved"
    baseline, answer = outcome.baseline, latest.answer
    rise = thresholds.min_improvement
    if (baseline.pain is not None and answer.pain >= baseline.pain + rise) or (
        baseline.stiffness is not None and answer.stiffness >= baseline.stiffness + rise
    ):
        return "worse"
    return "unchanged"
