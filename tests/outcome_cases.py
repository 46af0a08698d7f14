"""Treatments with known outcomes, made through the services as a clinic would record them."""

from datetime import timedelta

from tests import factories
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.outcome_events import record_outcome_event
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in


def treat(clinic, clinician, days_ago, baseline=(7, 6), checkins=(), **values):
    """Record a treatment days_ago with a (stiffness, pain) baseline and (day, stiffness, pain)
    check-ins entered in order, flags evaluated by the real code; return the treatment."""
    patient = values.pop("patient", None) or factories.PatientFactory(clinic=clinic)
    treated_on = today_in(patient.timezone) - timedelta(days=days_ago)
    stiffness, pain = baseline or (None, None)
    treatment = record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": treated_on,
            "kind": values.pop("kind", "adsc_cultured"),
            "route": values.pop("route", "intra_articular"),
            "site": "left knee",
            "kl_grade": values.pop("kl_grade", 2),
            "baseline_stiffness": stiffness,
            "baseline_pain": pain,
            **values,
        },
    )
    for day, stiffness, pain in checkins:
        record_checkin(
            patient,
            Actor(None, "patient"),
            {"recorded_on": treated_on + timedelta(days=day), "stiffness": stiffness, "pain": pain},
            source="portal",
        )
    return treatment


RELAPSING = [(14, 5, 5), (56, 2, 2), (84, 2, 2), (150, 4, 3), (158, 5, 3)]
LASTING = [(14, 5, 5), (56, 2, 2), (84, 2, 2), (180, 2, 1)]
UNCHANGED = [(14, 7, 6), (56, 7, 6), (84, 7, 6)]


def four_knees(clinic, clinician):
    """A relapse at day 150 (KL 4), a lasting response (KL 2, IV), a non-responder (KL 3,
    PRP), and a knee replaced on day 120 (KL 4); return them by name."""
    relapsed = treat(clinic, clinician, 200, checkins=RELAPSING, kl_grade=4)
    lasting = treat(clinic, clinician, 200, checkins=LASTING, route="iv", kl_grade=2)
    unchanged = treat(clinic, clinician, 200, checkins=UNCHANGED, kind="prp", kl_grade=3)
    replaced = treat(clinic, clinician, 200, checkins=LASTING[:3], kl_grade=4)
    record_outcome_event(
        replaced,
        Actor(clinician, "user"),
        {"kind": "knee_replacement", "occurred_on": replaced.treated_on + timedelta(days=120)},
    )
    return {"relapsed": relapsed, "lasting": lasting, "unchanged": unchanged, "replaced": replaced}
