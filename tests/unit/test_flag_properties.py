import json
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracker.followup.flags import (
    Baseline,
    ExistingFlag,
    FlagChange,
    Reading,
    Thresholds,
    evaluate_treatment,
)

TREATED_ON = date(2026, 1, 1)
ACTIVE = {"open", "acknowledged"}
STIFFNESS_KINDS = {"booster_window", "relapse"}
MAX_CHECKIN_ID = 60  # small, so existing adverse_event flags often name a real check-in


def apply_changes(
    existing: list[ExistingFlag], changes: tuple[FlagChange, ...]
) -> list[ExistingFlag]:
    """Apply changes as the caller would: open a new flag, or replace the one named."""
    flags = {flag.id: flag for flag in existing}
    next_id = max(flags, default=0) + 1
    for change in changes:
        if change.action == "open":
            assert change.flag_id is None
            flags[next_id] = ExistingFlag(next_id, change.kind, "open", change.evidence)
            next_id += 1
        else:
            assert change.action in {"update", "escalate"}
            old = flags[change.flag_id]
            assert old.status in ACTIVE, "a resolved flag must never be modified"
            if old.kind == "relapse":
                assert change.kind == "relapse", "a relapse must never de-escalate"
            flags[change.flag_id] = replace(old, kind=change.kind, evidence=change.evidence)
    return sorted(flags.values(), key=lambda flag: flag.id)


def active_stiffness_flags(flags: list[ExistingFlag]) -> list[ExistingFlag]:
    return [f for f in flags if f.kind in STIFFNESS_KINDS and f.status in ACTIVE]


def reading(day_range: tuple[int, int], adverse: st.SearchStrategy[bool]) -> st.SearchStrategy:
    return st.builds(
        Reading,
        checkin_id=st.integers(1, MAX_CHECKIN_ID),
        recorded_on=st.integers(*day_range).map(lambda d: TREATED_ON + timedelta(days=d)),
        pain=st.integers(0, 10),
        stiffness=st.integers(0, 10),
        adverse_event=adverse,
        adverse_event_details=st.none() | st.sampled_from(["Swelling", "Fever"]),
    )


def series_in(day_range=(0, 400), adverse=None) -> st.SearchStrategy[list[Reading]]:
    adverse = st.booleans() if adverse is None else adverse
    return st.lists(reading(day_range, adverse), max_size=30, unique_by=lambda r: r.checkin_id)


thresholds = st.builds(
    Thresholds,
    early_days=st.integers(0, 30),
    min_improvement=st.integers(0, 4),
    rise_points=st.integers(1, 4),
    sustain_days=st.integers(0, 21),
    severe_pain=st.integers(0, 11),
    non_responder_days=st.integers(0, 200),
)

baselines = st.none() | st.builds(
    Baseline,
    pain=st.none() | st.integers(0, 10),
    stiffness=st.none() | st.integers(0, 10),
    source=st.sampled_from(["treatment", "checkin"]),
)

# run_started_on drawn from the same days as check-ins, so resolved flags sometimes match.
run_dates = st.integers(0, 400).map(lambda d: (TREATED_ON + timedelta(d)).isoformat())
evidence_for_kind = {
    "booster_window": st.fixed_dictionaries({"run_started_on": run_dates}),
    "adverse_event": st.fixed_dictionaries({"checkin_id": st.integers(1, MAX_CHECKIN_ID)}),
    "non_responder": st.just({}),
}
evidence_for_kind["relapse"] = evidence_for_kind["booster_window"]


@st.composite
def existing_flags(draw) -> list[ExistingFlag]:
    """Flags already on file, keeping the invariant of one active booster_window/relapse."""
    flags = []
    has_active_stiffness = False
    for flag_id in range(1, draw(st.integers(0, 5)) + 1):
        kind = draw(st.sampled_from(sorted(evidence_for_kind)))
        status = draw(st.sampled_from(["open", "acknowledged", "resolved"]))
        if kind in STIFFNESS_KINDS and status in ACTIVE:
            if has_active_stiffness:
                status = "resolved"
            has_active_stiffness = True
        flags.append(ExistingFlag(flag_id, kind, status, draw(evidence_for_kind[kind])))
    return flags


def evaluate(series, baseline, limits, existing, pending):
    return evaluate_treatment(TREATED_ON, baseline, series, limits, existing, pending)


@given(series_in(), baselines, thresholds, existing_flags(), st.booleans())
def test_never_two_active_booster_window_or_relapse_flags(series, baseline, limits, flags, pending):
    result = evaluate(series, baseline, limits, flags, pending)
    after = apply_changes(flags, result.changes)
    assert len(active_stiffness_flags(after)) <= 1


@given(series_in(), baselines, thresholds, existing_flags(), st.booleans(), st.randoms())
def test_input_order_does_not_change_the_evaluation(
    series, baseline, limits, flags, pending, random
):
    shuffled_series, shuffled_flags = list(series), list(flags)
    random.shuffle(shuffled_series)
    random.shuffle(shuffled_flags)
    assert evaluate(shuffled_series, baseline, limits, shuffled_flags, pending) == evaluate(
        series, baseline, limits, flags, pending
    )


@given(series_in(), baselines, thresholds, existing_flags(), st.booleans())
def test_re_evaluating_after_applying_changes_changes_nothing(
    series, baseline, limits, flags, pending
):
    first = evaluate(series, baseline, limits, flags, pending)
    after = apply_changes(flags, first.changes)
    assert evaluate(series, baseline, limits, after, pending).changes == ()


@given(series_in(), baselines, thresholds, existing_flags(), st.booleans())
def test_evidence_is_json_serialisable(series, baseline, limits, flags, pending):
    for change in evaluate(series, baseline, limits, flags, pending).changes:
        assert json.loads(json.dumps(change.evidence)) == change.evidence


@given(st.data(), baselines, thresholds, existing_flags(), st.booleans())
def test_flare_window_only_series_yields_nothing(data, baseline, limits, flags, pending):
    if limits.early_days == 0:
        limits = replace(limits, early_days=1)
    series = data.draw(series_in((0, limits.early_days - 1), adverse=st.just(False)))
    result = evaluate(series, baseline, limits, flags, pending)
    assert result.changes == ()
    assert result.confirmation_on is None
