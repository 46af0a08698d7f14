"""Demo compliance data: a provision plan, reports with running clocks, a periodic report.

What it makes: docs/compliance.md, Demo data.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Clinic, Patient, ProvisionPlan
from tracker.services.actors import Actor
from tracker.services.adverse_events import (
    assess_adverse_event,
    clinic_today,
    create_adverse_event,
    record_reports,
)

DEMO_PLAN_NUMBER = "PB3250099"


def seed_plan(clinic: Clinic, now: datetime) -> ProvisionPlan:
    """The demo clinic's plan, accepted so that its first periodic report is due next month."""
    today = clinic_today(clinic, now)
    # Plan year 0 ends 60 days ago; its report is due 90 days after that, in about a month.
    accepted_on = today - timedelta(days=59 + 365)
    plan = ProvisionPlan(
        clinic_id=clinic.id,
        plan_number=DEMO_PLAN_NUMBER,
        title="自己脂肪由来間葉系幹細胞を用いた変形性膝関節症の治療",
        risk_class=2,
        committee_name="東京再生医療等委員会（デモ）",
        committee_number="NB3150099",
        submitted_on=accepted_on - timedelta(days=45),
        accepted_on=accepted_on,
        processing_facility="デモ細胞培養加工施設 FA3150099",
        status="active",
    )
    db.session.add(plan)
    db.session.commit()
    return plan


RECORDS = {
    "MRN-1007": (date(1956, 3, 14), "male", "右変形性膝関節症（KL分類 グレード2）"),
    "MRN-1002": (date(1961, 9, 2), "female", "Osteoarthritis of the left knee, KL grade 2"),
    "MRN-1005": (date(1968, 1, 20), "female", "Osteoarthritis of the right knee, KL grade 2"),
}


def seed_reports(clinic: Clinic, clinician: Actor, now: datetime) -> None:
    """An unassessed event due tomorrow and a 15-day report half filed."""
    patients = {
        patient.external_id: patient
        for patient in db.session.scalars(select(Patient).where(Patient.clinic_id == clinic.id))
    }
    for external_id, (born, sex, diagnosis) in RECORDS.items():
        patient = patients[external_id]
        patient.date_of_birth, patient.sex, patient.diagnosis = born, sex, diagnosis
    db.session.commit()
    today = clinic_today(clinic, now)
    # Learned of 5 days ago and not assessed: due as a 7-day report, tomorrow.
    create_adverse_event(
        patients["MRN-1007"],
        clinician,
        {
            "description": "電話で報告：注射した膝の腫れと37.8℃の発熱が2日間続いた。",
            "aware_on": today - timedelta(days=5),
            "onset_on": today - timedelta(days=6),
        },
        now=now,
    )
    # Hospitalised: a 15-day report, told to the committee, the minister still to do.
    event = create_adverse_event(
        patients["MRN-1002"],
        clinician,
        {
            "description": "Septic arthritis of the treated knee; admitted for IV antibiotics.",
            "aware_on": today - timedelta(days=6),
            "onset_on": today - timedelta(days=8),
        },
        now=now,
    )
    assess_adverse_event(
        event,
        clinician,
        {
            "seriousness": "hospitalisation",
            "causality": "possibly_related",
            "outcome": "recovering",
            "onset_on": today - timedelta(days=8),
        },
        now=now,
    )
    record_reports(
        event,
        clinician,
        {
            "reported_to_committee_on": today - timedelta(days=2),
            "processor_notified_on": today - timedelta(days=2),
        },
        now=now,
    )
