"""Admin pages of provision plans: list, create, edit, change status."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from tracker.admin import bp
from tracker.admin.plan_forms import PlanForm, PlanStatusForm
from tracker.clinic.forms import copy_errors
from tracker.extensions import db
from tracker.models import ProvisionPlan
from tracker.services.actors import Actor
from tracker.services.periodic_reports import next_report
from tracker.services.plans import create_plan, plans_of, update_plan
from tracker.services.scope import get_for_clinic
from tracker.services.validation import Conflict, InvalidInput


def acting_admin() -> Actor:
    return Actor(current_user, "user")


@bp.route("/plans")
def plans():
    listed = [(plan, next_report(plan)) for plan in plans_of(current_user.clinic_id)]
    return render_template("admin/plans.html", plans=listed, status_form=PlanStatusForm())


@bp.route("/plans/new", methods=["GET", "POST"])
def new_plan():
    form = PlanForm()
    if form.validate_on_submit():
        try:
            plan = create_plan(current_user.clinic, acting_admin(), form.values())
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Plan %(number)s recorded.", number=plan.plan_number), "success")
            return redirect(url_for("admin.plans"))
    return render_template("admin/plan_form.html", form=form, plan=None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
def edit_plan(plan_id: int):
    plan = get_for_clinic(ProvisionPlan, plan_id, current_user.clinic_id)
    form = PlanForm(obj=plan)
    if not form.is_submitted():
        form.risk_class.data = str(plan.risk_class)
    if form.validate_on_submit():
        try:
            update_plan(plan, acting_admin(), form.values())
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Plan %(number)s saved.", number=plan.plan_number), "success")
            return redirect(url_for("admin.plans"))
    return render_template("admin/plan_form.html", form=form, plan=plan)


@bp.route("/plans/<int:plan_id>/status", methods=["POST"])
def plan_status(plan_id: int):
    plan = get_for_clinic(ProvisionPlan, plan_id, current_user.clinic_id)
    form = PlanStatusForm()
    if not form.validate_on_submit():
        abort(400)
    update_plan(plan, acting_admin(), {"status": form.status.data})
    flash(gettext("Plan %(number)s saved.", number=plan.plan_number), "success")
    return redirect(url_for("admin.plans"))
