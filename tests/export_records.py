"""Records the export tests share: a Japanese patient's treatment, booster, check-ins and flag."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests import factories
from tests.helpers import make_flag
from tracker.extensions import db
from tracker.models import AdverseEvent, CheckIn
from tracker.services.actors import Actor
from tracker.services.adverse_events import assess_adverse_event
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment


def follow_up_records(clinic, clinician) -> dict:
    """A patient with a treatment, its booster, three check-ins (the last reporting a side
    effect, assessed), a resolved flag and the side effect's flag; return them."""
    actor = Actor(clinician, "user")
    patient = factories.PatientFactory(
        clinic=clinic,
        external_id="MRN-0042",
        name="山田 花子",
        email="hanako@example.jp",
        language="ja",
        date_of_birth=date(1958, 4, 3),
        sex="female",
        phone="+819012345678",
        address="東京都新宿区西新宿2-8-1",
    )
    treatment = record_treatment(
        patient,
        actor,
        {
            "treated_on": date(2025, 1, 10),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "左膝",
            "cell_dose_million": 50,
            "kl_grade": 2,
        },
    )
    checkins = [
        record_checkin(patient, actor, values, source=source)[0]
        for values, source in (
            ({"recorded_on": date(2025, 1, 24), "pain": 5, "stiffness": 4}, "email_link"),
            (
                {
                    "recorded_on": date(2025, 3, 7),
                    "pain": 2,
                    "stiffness": 1,
                    "morning_stiffness_minutes": 10,
                    "swelling": 1,
                    "notes": "=1+1 膝は楽です",
                },
                "portal",
            ),
        )
    ]
    booster = record_treatment(
        patient,
        actor,
        {
            "treated_on": date(2025, 9, 1),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "左膝",
            "booster_of": treatment.id,
        },
    )
    checkins.append(
        record_checkin(
            patient,
            actor,
            {"recorded_on": date(2025, 9, 20), "pain": 3, "stiffness": 2, "swelling": 0}
            | {"adverse_event": True, "adverse_event_details": "膝が熱を持って腫れています"},
            source="clinician",
        )[0]
    )
    flag = make_flag(patient, treatment, kind="booster_window", status="resolved")
    adverse_event = db.session.scalars(
        select(AdverseEvent).where(AdverseEvent.checkin_id == checkins[-1].id)
    ).one()
    assess_adverse_event(
        adverse_event,
        actor,
        {"seriousness": "hospitalisation", "causality": "possibly_related"}
        | {"outcome": "recovering", "onset_on": date(2025, 9, 19)},
    )
    return {
        "patient": patient,
        "treatment": treatment,
        "booster": booster,
        "checkins": checkins,
        "flag": flag,
        "adverse_event": adverse_event,
    }


def other_clinic_records(other_clinic, other_clinician) -> dict:
    """The other clinic's patient, with a treatment and a check-in."""
    actor = Actor(other_clinician, "user")
    patient = factories.PatientFactory(
        clinic=other_clinic, external_id="MRN-OTHER", name="Other Person"
    )
    treatment = record_treatment(
        patient,
        actor,
        {"treated_on": date(2025, 2, 1), "kind": "prp", "route": "iv", "site": "OTHER-SITE"},
    )
    record_checkin(
        patient, actor, {"recorded_on": date(2025, 2, 20), "pain": 9, "stiffness": 9}, "portal"
    )
    make_flag(patient, treatment, kind="relapse")
    return {"patient": patient, "treatment": treatment}


def add_checkins(patient, count: int) -> None:
    """Insert count bare check-ins for the patient in one statement."""
    db.session.execute(
        CheckIn.__table__.insert(),
        [
            {
                "clinic_id": patient.clinic_id,
                "patient_id": patient.id,
                "recorded_on": date(2025, 1, 1) + timedelta(days=number % 300),
                "submitted_at": datetime(2025, 1, 1, tzinfo=UTC),
                "source": "portal",
                "pain": number % 11,
                "stiffness": (number * 3) % 11,
                "adverse_event": False,
                "adverse_event_details": "",
                "notes": f"=cmd|' /C calc'!A{number}" if number % 7 == 0 else "",
            }
            for number in range(count)
        ],
    )
    db.session.commit()
