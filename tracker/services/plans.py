"""Provision plans (再生医療等提供計画) as a clinic's admin keeps them."""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import Clinic, ProvisionPlan, Treatment
from tracker.models.plan import PLAN_STATUSES, RISK_CLASSES
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.scope import MAX_ID, clinic_select
from tracker.services.validation import N_, Checker, Conflict

TEXT_FIELDS = {
    "plan_number": (True, 64),
    "title": (True, 300),
    "committee_name": (True, 300),
    "committee_number": (True, 64),
    "processing_facility": (False, 300),
}
PLAN_FIELDS = (*TEXT_FIELDS, "risk_class", "submitted_on", "accepted_on", "status")
TAKEN = N_("This clinic has a plan with this number already.")


def read_day(check: Checker, field: str, value) -> date | None:
    """Read an optional calendar day, a date or ISO text."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            check.fail(field, N_("Must be a date (YYYY-MM-DD)."))
            return None
    if isinstance(value, datetime) or not isinstance(value, date):
        check.fail(field, N_("Must be a date (YYYY-MM-DD)."))
        return None
    return value


def check_plan_values(values: dict) -> dict:
    """Validate a plan's fields; return the cleaned values or raise InvalidInput."""
    check = Checker()
    cleaned: dict = {}
    for field, (required, max_length) in TEXT_FIELDS.items():
        cleaned[field] = check.text(
            field, values.get(field) or "", required=required, max_length=max_length
        )
    risk_class = values.get("risk_class")
    if isinstance(risk_class, str) and risk_class.strip().isdigit():
        risk_class = int(risk_class.strip())
    if isinstance(risk_class, bool) or risk_class not in RISK_CLASSES:
        check.fail("risk_class", N_("Must be 1, 2 or 3."))
    cleaned["risk_class"] = risk_class
    cleaned["submitted_on"] = read_day(check, "submitted_on", values.get("submitted_on"))
    cleaned["accepted_on"] = read_day(check, "accepted_on", values.get("accepted_on"))
    if cleaned["accepted_on"] and not cleaned["submitted_on"]:
        check.fail("submitted_on", N_("A plan accepted by the committee was submitted first."))
    elif (
        cleaned["accepted_on"]
        and cleaned["submitted_on"]
        and cleaned["accepted_on"] < cleaned["submitted_on"]
    ):
        check.fail("accepted_on", N_("Cannot be before the plan was submitted."))
    cleaned["status"] = check.choice("status", values.get("status") or "active", PLAN_STATUSES)
    check.done()
    return cleaned


def number_taken(clinic_id: int, plan_number: str, except_id: int | None = None) -> bool:
    query = select(ProvisionPlan.id).where(
        ProvisionPlan.clinic_id == clinic_id, ProvisionPlan.plan_number == plan_number
    )
    if except_id is not None:
        query = query.where(ProvisionPlan.id != except_id)
    return db.session.scalar(query) is not None


def create_plan(clinic: Clinic, actor: Actor, values: dict) -> ProvisionPlan:
    """Record a provision plan of the clinic and commit."""
    cleaned = check_plan_values(values)
    if number_taken(clinic.id, cleaned["plan_number"]):
        raise Conflict("plan_number", TAKEN)
    plan = ProvisionPlan(clinic_id=clinic.id, **cleaned)
    db.session.add(plan)
    try:
        db.session.flush()
        record_audit(clinic.id, "plan.create", "provision_plan", plan.id, actor.user, actor.kind)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict("plan_number", TAKEN) from error
    return plan


def update_plan(plan: ProvisionPlan, actor: Actor, values: dict) -> ProvisionPlan:
    """Change a plan's details or status and commit; the clocks follow its new dates."""
    cleaned = check_plan_values({**plan_values(plan), **values})
    if number_taken(plan.clinic_id, cleaned["plan_number"], except_id=plan.id):
        raise Conflict("plan_number", TAKEN)
    changed = {}
    for field, value in cleaned.items():
        if getattr(plan, field) != value:
            before = getattr(plan, field)
            changed[field] = [v.isoformat() if isinstance(v, date) else v for v in (before, value)]
            setattr(plan, field, value)
    record_audit(
        plan.clinic_id,
        "plan.update",
        "provision_plan",
        plan.id,
        actor.user,
        actor.kind,
        {"changed": changed},
    )
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict("plan_number", TAKEN) from error
    return plan


def plan_values(plan: ProvisionPlan) -> dict:
    return {field: getattr(plan, field) for field in PLAN_FIELDS}


def plans_of(clinic_id: int) -> list[ProvisionPlan]:
    """The clinic's plans, active first, then by number."""
    plans = db.session.scalars(clinic_select(ProvisionPlan, clinic_id))
    order = {status: position for position, status in enumerate(PLAN_STATUSES)}
    return sorted(plans, key=lambda plan: (order[plan.status], plan.plan_number, plan.id))


def check_treatment_plan(
    check: Checker, clinic: Clinic, value, editing: Treatment | None = None
) -> int | None:
    """Read a treatment's plan_id: required under jp_asrm, a plan of the clinic, active.

    A treatment keeps the plan it was given under even once that plan is suspended or ended;
    a new treatment cannot be given under a plan that is not active.
    """
    if value in (None, ""):
        if clinic.regulatory_regime == "jp_asrm":
            check.fail(
                "plan_id",
                N_(
                    "Under Japan's regenerative-medicine act every treatment names its provision plan."
                ),
            )
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        check.fail("plan_id", N_("Must be the id of one of the clinic's provision plans."))
        return None
    plan = db.session.scalar(
        clinic_select(ProvisionPlan, clinic.id).where(ProvisionPlan.id == value)
    )
    if plan is None:
        check.fail("plan_id", N_("Must be the id of one of the clinic's provision plans."))
        return None
    kept = editing is not None and editing.plan_id == plan.id
    if plan.status != "active" and not kept:
        check.fail(
            "plan_id",
            N_(
                "Plan %(number)s is %(status)s: no new treatment under it.",
                number=plan.plan_number,
                status=plan.status,
            ),
        )
        return None
    return plan.id
