"""Demo data: a clinic with patients of every trajectory, so the first worklist is not empty."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tracker.demo_cohort import seed_outcome_cohort
from tracker.demo_compliance import seed_plan, seed_reports
from tracker.extensions import db
from tracker.models import Clinic, Patient, Reminder, User
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.patients import create_patient
from tracker.services.treatments import record_treatment
from tracker.services.windows import close_windows
from tracker.timeutil import now_utc
from tracker.vocabulary import FOLLOW_UP_KINDS, MILESTONE, SCHEDULED, SENT

DEMO_CLINIC = "Demo Regenerative Clinic"
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 (printed for the demo)
LOGINS = [
    ("admin@demo.clinic", "Dr Aiko Mori (admin)", "admin"),
    ("clinician@demo.clinic", "Dr Kenji Sato", "clinician"),
]


@dataclass
class Story:
    """One demo patient: who they are and what happened to them, in days since treatment."""

    external_id: str
    name: str
    timezone: str
    language: str
    email: str | None
    days_ago: int
    baseline: tuple[int, int] | None  # (stiffness, pain)
    checkins: list[tuple[int, int, int]] = field(default_factory=list)  # (day, stiffness, pain)
    frozen_doses: int = 0
    adverse_event_on_day: int | None = None
    booster_days_ago: int | None = None
    # Its 2-week reminder goes out at the scheduler's first pass, for the README's walk-through.
    reminded_now: bool = False


STORIES = [
    Story(
        "MRN-1001",
        "Yuki Tanaka",
        "Asia/Tokyo",
        "ja",
        "yuki.tanaka@example.jp",
        130,
        (7, 6),
        [(14, 5, 5), (56, 3, 3), (84, 2, 2), (112, 2, 1)],
        frozen_doses=2,
    ),
    Story(
        "MRN-1002",
        "Margaret Collins",
        "Europe/London",
        "en",
        "m.collins@example.co.uk",
        200,
        (7, 6),
        [(14, 5, 5), (56, 2, 2), (84, 2, 2), (150, 4, 3), (158, 5, 3), (165, 5, 3)],
        frozen_doses=3,
    ),
    Story(
        "MRN-1003",
        "Robert Hughes",
        "America/New_York",
        "en",
        "rhughes@example.com",
        300,
        (6, 6),
        [(14, 4, 4), (56, 2, 2), (84, 2, 2), (260, 5, 5), (270, 7, 7)],
        frozen_doses=1,
    ),
    Story(
        "MRN-1004",
        "Chen Wei",
        "Asia/Singapore",
        "en",
        "chen.wei@example.sg",
        100,
        (6, 6),
        [(14, 6, 6), (56, 6, 5), (84, 6, 6), (90, 6, 6)],
    ),
    Story(
        "MRN-1005",
        "Olivia Brown",
        "Australia/Sydney",
        "en",
        "olivia.b@example.com.au",
        10,
        (5, 6),
        [],
        adverse_event_on_day=3,
        frozen_doses=2,
    ),
    Story(
        "MRN-1006",
        "Daniel Garcia",
        "America/Los_Angeles",
        "en",
        "dgarcia@example.com",
        40,
        (6, 5),
        [],
    ),
    Story(
        "MRN-1007",
        "Haruto Suzuki",
        "Asia/Tokyo",
        "ja",
        "haruto.suzuki@example.jp",
        95,
        (6, 6),
        [(14, 4, 4), (56, 2, 2), (84, 2, 2), (92, 4, 3)],
        frozen_doses=2,
    ),
    Story(
        "MRN-1008",
        "Sophie Martin",
        "Europe/London",
        "en",
        "sophie.martin@example.co.uk",
        5,
        (6, 7),
        [],
    ),
    Story(
        "MRN-1009",
        "Kenta Watanabe",
        "Asia/Tokyo",
        "ja",
        "kenta.w@example.jp",
        14,
        (7, 7),
        [],
        frozen_doses=2,
        reminded_now=True,
    ),
    Story(
        "MRN-1010",
        "Ellen Clarke",
        "America/New_York",
        "en",
        None,
        60,
        (6, 6),
        [(14, 5, 5), (56, 3, 3)],
    ),
    Story(
        "MRN-1011",
        "James Wilson",
        "Australia/Sydney",
        "en",
        "jwilson@example.com.au",
        400,
        (7, 7),
        [(14, 5, 5), (56, 2, 2), (84, 2, 2), (364, 2, 2)],
        frozen_doses=2,
        booster_days_ago=30,
    ),
    Story(
        "MRN-1012",
        "Emma Thompson",
        "America/Chicago",
        "en",
        "emma.t@example.com",
        14,
        (5, 6),
        [],
        reminded_now=True,
    ),
]


def moment(day: date, hour: int, timezone: str, not_after: datetime) -> datetime:
    """The UTC instant of a local hour on a day, never later than not_after."""
    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(timezone))
    return min(local.astimezone(UTC), not_after)


def seed_demo(now: datetime | None = None) -> list[tuple[str, str, str]]:
    """Create the demo clinic and its patients; return the logins (email, password, role)."""
    now = now or now_utc()
    clinic = Clinic(name=DEMO_CLINIC, timezone="Asia/Tokyo", regulatory_regime="jp_asrm")
    db.session.add(clinic)
    db.session.flush()
    users = []
    for email, name, role in LOGINS:
        user = User(clinic_id=clinic.id, email=email, name=name, role=role)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        users.append(user)
    db.session.commit()
    clinician = Actor(users[1], "user")
    plan = seed_plan(clinic, now)
    for story in STORIES:
        tell(story, clinic, clinician, now, plan.id)
    seed_outcome_cohort(clinic, clinician, now, plan.id)
    mark_past_reminders_sent(now)
    remind_now([story.external_id for story in STORIES if story.reminded_now], clinic.id, now)
    close_windows(now)
    seed_reports(clinic, clinician, now)
    return [(email, DEMO_PASSWORD, role) for email, _, role in LOGINS]


def tell(story: Story, clinic: Clinic, clinician: Actor, now: datetime, plan_id: int) -> None:
    """Create one demo patient's treatment and check-ins as they happened, in order."""
    patient = create_patient(
        clinic,
        clinician,
        {
            "external_id": story.external_id,
            "name": story.name,
            "email": story.email,
            "timezone": story.timezone,
            "language": story.language,
            "frozen_doses": story.frozen_doses + (1 if story.booster_days_ago else 0),
        },
    )
    today = now.astimezone(ZoneInfo(story.timezone)).date()
    treated_on = today - timedelta(days=story.days_ago)
    stiffness, pain = story.baseline or (None, None)
    treatment = record_treatment(
        patient,
        clinician,
        {
            "treated_on": treated_on,
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee" if int(story.external_id[-1]) % 2 else "right knee",
            "kl_grade": 2,
            "cell_dose_million": 50,
            "baseline_stiffness": stiffness,
            "baseline_pain": pain,
            "baseline_morning_stiffness_minutes": 40 if stiffness else None,
            "plan_id": plan_id,
        },
        now=moment(treated_on, 11, story.timezone, now),
    )
    for day, stiffness, pain in story.checkins:
        recorded_on = treated_on + timedelta(days=day)
        record_checkin(
            patient,
            Actor(None, "patient"),
            {
                "recorded_on": recorded_on,
                "stiffness": stiffness,
                "pain": pain,
                "morning_stiffness_minutes": stiffness * 6,
            },
            source="email_link" if patient.email else "clinician",
            now=moment(recorded_on, 20, story.timezone, now),
        )
    if story.adverse_event_on_day is not None:
        recorded_on = treated_on + timedelta(days=story.adverse_event_on_day)
        record_checkin(
            patient,
            Actor(None, "patient"),
            {
                "recorded_on": recorded_on,
                "stiffness": 6,
                "pain": 7,
                "swelling": 7,
                "adverse_event": True,
                "adverse_event_details": "The injected knee is hot and swollen since yesterday evening.",
            },
            source="email_link",
            now=moment(recorded_on, 8, story.timezone, now),
        )
    if story.booster_days_ago is not None:
        booster_on = today - timedelta(days=story.booster_days_ago)
        record_treatment(
            patient,
            clinician,
            {
                "treated_on": booster_on,
                "kind": "adsc_cultured",
                "route": "intra_articular",
                "site": treatment.site,
                "booster_of": treatment.id,
                "used_frozen_dose": True,
                "cell_dose_million": 30,
                "plan_id": plan_id,
            },
            now=moment(booster_on, 11, story.timezone, now),
        )


def mark_past_reminders_sent(now: datetime) -> None:
    """Demo history: reminders that were due before today went out when they were due."""
    for reminder in db.session.scalars(
        select(Reminder).where(
            Reminder.status == SCHEDULED,
            Reminder.kind.in_(FOLLOW_UP_KINDS),
            Reminder.due_at < now - timedelta(hours=1),
        )
    ):
        reminder.status = SENT
        reminder.sent_at = reminder.due_at
        reminder.attempts = 1
    db.session.commit()


def remind_now(external_ids: list[str], clinic_id: int, now: datetime) -> None:
    """Make these patients' 2-week reminders due now, so a first run's mailbox has them."""
    reminders = db.session.scalars(
        select(Reminder)
        .join(Patient, Patient.id == Reminder.patient_id)
        .where(
            Patient.clinic_id == clinic_id,
            Patient.external_id.in_(external_ids),
            Reminder.kind == MILESTONE,
            Reminder.milestone_weeks == 2,
        )
    )
    for reminder in reminders:
        reminder.status = SCHEDULED
        reminder.due_at = reminder.next_attempt_at = now
        reminder.sent_at = None
        reminder.attempts = 0
    db.session.commit()
