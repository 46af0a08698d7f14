"""Demo outcomes: about 150 treated knees over three years, so the Outcomes page means something.

Deterministic (a seeded generator, days counted back from today). How long the benefit lasts
follows the published expectations (docs/outcomes-and-reporting.md, Published expectations):
KL grade 1-3 knees keep it for years, grade 4 for 6-12 months, intravenous treatments taper
after 12-18 months. Everything goes through the services, so flags come from the real
evaluation of the check-ins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Clinic, Flag
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.flagging import resolve_flag
from tracker.services.outcome_events import record_outcome_event
from tracker.services.patients import create_patient
from tracker.services.treatments import record_treatment

COHORT_SIZE = 150
SEED = 2026
FIRST_NAMES = [
    "Hiroshi",
    "Keiko",
    "Takeshi",
    "Yumiko",
    "Satoshi",
    "Naoko",
    "Kazuo",
    "Michiko",
    "Akira",
    "Sachiko",
    "Minoru",
    "Emiko",
    "Tadashi",
    "Fumiko",
    "Osamu",
    "Reiko",
]
FAMILY_NAMES = [
    "Sato",
    "Suzuki",
    "Takahashi",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kato",
    "Yoshida",
    "Yamada",
    "Sasaki",
    "Yamaguchi",
    "Matsumoto",
    "Inoue",
]
KINDS = ["adsc_cultured", "adsc_cultured", "ucmsc", "bmac", "prp", "prp"]
# Milestone check-ins (days) and the later ones a followed patient sends about every quarter.
MILESTONE_DAYS = (14, 56, 84, 364)
LATER_DAYS = (182, 273, 455, 546, 637, 728, 819, 910, 1001, 1092)
MISSED_SHARE = 0.15  # of milestone check-ins the patient never sent
DECIDED_AFTER_DAYS = 45  # older stiffness flags were decided by a clinician long ago


@dataclass
class Knee:
    number: int
    days_ago: int
    kind: str
    route: str
    kl_grade: int
    baseline: tuple[int, int]  # (stiffness, pain)
    responds: bool
    lasts_days: int  # from treatment to returning stiffness
    checkins: list[tuple[int, int, int]] = field(default_factory=list)  # (day, stiffness, pain)
    booster_after: int | None = None  # days after the loss
    replaced_on_day: int | None = None


def lasting_days(rng: random.Random, kl_grade: int, route: str) -> int:
    """How long the benefit lasts, by the published expectations."""
    if route == "iv":
        return rng.randint(365, 545)
    if kl_grade == 4:
        return rng.randint(180, 365)
    return rng.randint(700, 1500)


def plan_knee(rng: random.Random, number: int) -> Knee:
    kind = rng.choice(KINDS)
    route = "iv" if kind in ("ucmsc", "adsc_cultured") and rng.random() < 0.3 else "intra_articular"
    kl_grade = rng.choices([1, 2, 3, 4], weights=[15, 30, 30, 25])[0]
    stiffness, pain = rng.randint(6, 8), rng.randint(5, 7)
    responds = rng.random() < (0.7 if kl_grade == 4 else 0.88)
    knee = Knee(
        number=number,
        days_ago=rng.randint(20, 3 * 365),
        kind=kind,
        route=route,
        kl_grade=kl_grade,
        baseline=(stiffness, pain),
        responds=responds,
        lasts_days=lasting_days(rng, kl_grade, route),
    )
    knee.checkins = course(rng, knee)
    loss_seen = knee.responds and knee.lasts_days + 8 <= knee.days_ago
    if loss_seen and rng.random() < 0.4:
        knee.booster_after = rng.randint(15, 40)
    return knee


def course(rng: random.Random, knee: Knee) -> list[tuple[int, int, int]]:
    """The check-ins the patient sent, up to today: improvement, a plateau, maybe a return."""
    stiffness, pain = knee.baseline
    nadir = max(1, stiffness - rng.randint(3, 5)) if knee.responds else stiffness - 1
    nadir_pain = max(1, pain - rng.randint(2, 4)) if knee.responds else pain
    days = list(MILESTONE_DAYS) + [d for d in LATER_DAYS if rng.random() < 0.7]
    readings = []
    for milestone in sorted(days):
        day = milestone + (rng.randint(-2, 2) if milestone > 14 else 0)
        # Plateau check-ins stop well before the loss, so the rise is one unbroken run.
        if day > knee.days_ago or (knee.responds and day + 3 >= knee.lasts_days):
            continue
        if milestone in MILESTONE_DAYS and milestone > 14 and rng.random() < MISSED_SHARE:
            continue
        if milestone == 14:
            early = stiffness - rng.randint(1, 2) if knee.responds else stiffness
            readings.append((day, early, pain - 1 if knee.responds else pain))
        else:
            # Best at three to six months; within one point of the nadir, since a rise of
            # two would be returning stiffness.
            best = nadir if milestone >= 84 else nadir + 1
            readings.append(
                (day, best + rng.randint(0, 1) * (milestone > 182), nadir_pain + rng.randint(0, 1))
            )
    loss = knee.lasts_days
    if knee.responds and loss + 8 <= knee.days_ago:
        rise = nadir + 3
        readings += [(loss, rise, nadir_pain + 2), (loss + 8, min(10, rise + 1), nadir_pain + 2)]
    return readings


def local_moment(day: date, hour: int, timezone: str, not_after: datetime) -> datetime:
    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(timezone))
    return min(local.astimezone(UTC), not_after)


def seed_outcome_cohort(
    clinic: Clinic, clinician: Actor, now: datetime, plan_id: int | None = None
) -> int:
    """Record the demo cohort through the services (under the clinic's provision plan, if any);
    return how many knees were treated."""
    rng = random.Random(SEED)
    knees = [plan_knee(rng, number) for number in range(1, COHORT_SIZE + 1)]
    # One grade 4 knee whose benefit had not faded was replaced after eight months.
    replaced = next(k for k in knees if k.kl_grade == 4 and k.responds and k.days_ago > 400)
    replaced.lasts_days, replaced.replaced_on_day = 400, 240
    replaced.checkins = [c for c in course(rng, replaced) if c[0] < 240]
    replaced.booster_after = None
    for knee in knees:
        record_knee(knee, clinic, clinician, rng, now, plan_id)
    decide_old_flags(clinic, clinician, now)
    return len(knees)


def record_knee(
    knee: Knee,
    clinic: Clinic,
    clinician: Actor,
    rng: random.Random,
    now: datetime,
    plan_id: int | None,
):
    zone = clinic.timezone
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(FAMILY_NAMES)}"
    patient = create_patient(
        clinic,
        clinician,
        {
            "external_id": f"MRN-2{knee.number:03d}",
            "name": name,
            "email": f"patient{knee.number}@demo-patients.example.jp",
            "timezone": zone,
            "language": "ja" if knee.number % 5 else "en",
            "frozen_doses": 2 if knee.kind == "adsc_cultured" else 0,
        },
    )
    today = now.astimezone(ZoneInfo(zone)).date()
    treated_on = today - timedelta(days=knee.days_ago)
    stiffness, pain = knee.baseline
    treatment = record_treatment(
        patient,
        clinician,
        {
            "treated_on": treated_on,
            "kind": knee.kind,
            "route": knee.route,
            "site": "left knee" if knee.number % 2 else "right knee",
            "kl_grade": knee.kl_grade,
            "cell_dose_million": 50 if knee.kind in ("adsc_cultured", "ucmsc") else None,
            "baseline_stiffness": stiffness,
            "baseline_pain": pain,
            "baseline_function": min(10, pain + 1),
            "baseline_global_assessment": pain,
            "baseline_morning_stiffness_minutes": stiffness * 6,
            "plan_id": plan_id,
        },
        # Knees treated long ago are entered as history: their closed windows are skipped.
        now=now if knee.days_ago > 120 else local_moment(treated_on, 11, zone, now),
    )
    for day, stiff, hurt in sorted(knee.checkins):
        recorded_on = treated_on + timedelta(days=day)
        record_checkin(
            patient,
            Actor(None, "patient"),
            {
                "recorded_on": recorded_on,
                "stiffness": stiff,
                "pain": hurt,
                "morning_stiffness_minutes": stiff * 6,
                "function": min(10, hurt + rng.randint(0, 1)),
                "global_assessment": (stiff + hurt) // 2,
                "adverse_event": False,
            },
            source="email_link",
            now=local_moment(recorded_on, 20, zone, now),
        )
    if knee.replaced_on_day is not None:
        record_outcome_event(
            treatment,
            clinician,
            {
                "kind": "knee_replacement",
                "occurred_on": treated_on + timedelta(days=knee.replaced_on_day),
                "note": "Total knee arthroplasty at the regional hospital.",
            },
        )
    if knee.booster_after is not None:
        booster_on = treated_on + timedelta(days=knee.lasts_days + knee.booster_after)
        if booster_on <= today:
            record_booster(
                patient, treatment, booster_on, knee, clinician, rng, today, now, plan_id
            )


def record_booster(
    patient, treatment, booster_on, knee, clinician, rng, today, now, plan_id=None
) -> None:
    """A booster restores the result: its own series improves again."""
    zone = patient.timezone
    record_treatment(
        patient,
        clinician,
        {
            "treated_on": booster_on,
            "kind": knee.kind,
            "route": knee.route,
            "site": treatment.site,
            "kl_grade": knee.kl_grade,
            "booster_of": treatment.id,
            "used_frozen_dose": patient.frozen_doses > 0,
            "baseline_stiffness": knee.baseline[0] - 1,
            "baseline_pain": knee.baseline[1] - 1,
            "plan_id": plan_id,
        },
        now=now if (today - booster_on).days > 120 else local_moment(booster_on, 11, zone, now),
    )
    for day in (14, 56, 84, 182, 364):
        recorded_on = booster_on + timedelta(days=day)
        if recorded_on > today or rng.random() < MISSED_SHARE:
            continue
        stiff = max(1, knee.baseline[0] - 4 + rng.randint(0, 1))
        record_checkin(
            patient,
            Actor(None, "patient"),
            {"recorded_on": recorded_on, "stiffness": stiff, "pain": max(1, stiff - 1)},
            source="email_link",
            now=local_moment(recorded_on, 20, zone, now),
        )


def decide_old_flags(clinic: Clinic, clinician: Actor, now: datetime) -> None:
    """Old stiffness and non-responder flags were decided at the time: keep the worklist real."""
    old = db.session.scalars(
        select(Flag).where(
            Flag.clinic_id == clinic.id,
            Flag.status == "open",
            Flag.kind.in_(("booster_window", "relapse", "non_responder")),
            Flag.opened_at < now - timedelta(days=DECIDED_AFTER_DAYS),
        )
    ).all()
    for flag in old:
        resolve_flag(flag, clinician, "monitor", "Discussed at the follow-up call.", now)
