"""factory_boy factories for the models."""

from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory

from tracker.extensions import db
from tracker.models import Clinic, Patient, ProvisionPlan, Treatment, User

DEFAULT_PASSWORD = "correct horse battery staple"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ClinicFactory(BaseFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    timezone = "Asia/Tokyo"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    clinic = factory.SubFactory(ClinicFactory)
    email = factory.Sequence(lambda n: f"clinician{n}@example.org")
    name = factory.Sequence(lambda n: f"Clinician {n}")
    role = "clinician"
    password_hash = ""

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            db.session.commit()


class PatientFactory(BaseFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    external_id = factory.Sequence(lambda n: f"MRN-{1000 + n}")
    name = factory.Sequence(lambda n: f"Patient {n}")
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    timezone = factory.LazyAttribute(lambda patient: patient.clinic.timezone)
    language = "en"


class TreatmentFactory(BaseFactory):
    """A bare treatment row; use the record_treatment service when reminders matter."""

    class Meta:
        model = Treatment

    patient = factory.SubFactory(PatientFactory)
    clinic_id = factory.LazyAttribute(lambda treatment: treatment.patient.clinic_id)
    treated_on = date(2026, 1, 10)
    kind = "adsc_cultured"
    route = "intra_articular"
    site = "left knee"


class PlanFactory(BaseFactory):
    """A provision plan accepted on 1 February 2025 (plan years start each 1 February)."""

    class Meta:
        model = ProvisionPlan

    class Params:
        clinic = factory.SubFactory(ClinicFactory)

    clinic_id = factory.LazyAttribute(lambda plan: plan.clinic.id)
    plan_number = factory.Sequence(lambda n: f"PB31500{n:02d}")
    title = "Autologous adipose-derived MSCs for knee osteoarthritis"
    risk_class = 2
    committee_name = "Tokyo Regenerative Medicine Committee"
    committee_number = "NB3150010"
    submitted_on = date(2025, 1, 10)
    accepted_on = date(2025, 2, 1)
