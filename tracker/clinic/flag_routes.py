"""Decisions on flags, check-ins taken by phone, and the charts of the clinician UI."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from tracker.auth.routes import safe_next_url
from tracker.clinic import bp, charts
from tracker.clinic.flag_forms import AcknowledgeForm, CheckinForm, ResolveForm
from tracker.clinic.forms import copy_errors, validate_with_rules
from tracker.clinic_words import flag_kind_words, translated
from tracker.extensions import db
from tracker.models import Flag, Patient
from tracker.services import flagging
from tracker.services.actors import Actor
from tracker.services.checkins import check_checkin_values, record_checkin
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput
from tracker.templating import long_date
from tracker.timeutil import now_utc, today_in
from tracker.vocabulary import RESOLVED


def acting_user() -> Actor:
    return Actor(current_user, "user")


@bp.route("/flags/<int:flag_id>/acknowledge", methods=["POST"])
def acknowledge_flag(flag_id: int):
    flag = get_for_clinic(Flag, flag_id, current_user.clinic_id)
    form = AcknowledgeForm()
    form.validate_on_submit()  # CSRF was checked before the view; this reads next_url
    try:
        flagging.acknowledge_flag(flag, acting_user(), now_utc())
    except flagging.FlagClosed as error:
        flash(translated(error.args[0]), "error")
    else:
        flash(
            gettext(
                "The %(kind)s flag of %(name)s is yours now.",
                kind=flag_kind_words(flag.kind),
                name=flag.patient.name,
            ),
            "success",
        )
    return redirect(safe_next_url(form.next_url.data))


@bp.route("/flags/<int:flag_id>/resolve", methods=["GET", "POST"])
def resolve_flag(flag_id: int):
    flag = get_for_clinic(Flag, flag_id, current_user.clinic_id)
    form = ResolveForm()
    if request.method == "GET":
        form.next_url.data = request.args.get("next", "")
    if flag.status == RESOLVED:
        flash(gettext("This flag is resolved already."), "info")
        return redirect(url_for("clinic.patient", patient_id=flag.patient_id))
    if form.validate_on_submit():
        try:
            flagging.resolve_flag(
                flag, acting_user(), form.resolution.data, form.note.data or "", now_utc()
            )
        except flagging.FlagClosed as error:
            flash(translated(error.args[0]), "error")
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
            return render_resolve_form(flag, form)
        else:
            choice = dict(form.resolution.choices)[form.resolution.data]
            flash(
                gettext(
                    "The %(kind)s flag of %(name)s is resolved: %(decision)s.",
                    kind=flag_kind_words(flag.kind),
                    name=flag.patient.name,
                    decision=choice,
                ),
                "success",
            )
        return redirect(safe_next_url(form.next_url.data))
    return render_resolve_form(flag, form)


def render_resolve_form(flag: Flag, form: ResolveForm):
    return render_template(
        "clinic/resolve_form.html",
        flag=flag,
        form=form,
    )


@bp.route("/patients/<int:patient_id>/checkins/new", methods=["GET", "POST"])
def new_checkin(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    form = CheckinForm()
    today = today_in(patient.timezone)
    if request.method == "GET":
        form.recorded_on.data = today
    if validate_with_rules(form, lambda: check_checkin_values(patient, form.values())):
        try:
            checkin, opened = record_checkin(
                patient, acting_user(), form.values(), source="clinician"
            )
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            message = gettext("Check-in of %(day)s recorded.", day=long_date(checkin.recorded_on))
            if opened:
                kinds = ", ".join(flag_kind_words(flag.kind) for flag in opened)
                message += " " + gettext("Flag opened: %(kinds)s.", kinds=kinds)
            flash(message, "warning" if opened else "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/checkin_form.html", form=form, patient=patient, today=today)


@bp.app_template_global()
def acknowledge_flag_form() -> AcknowledgeForm:
    """Return an empty acknowledge form, for the buttons on the worklist and patient page."""
    return AcknowledgeForm(formdata=None)


@bp.app_template_global()
def resolve_flag_form() -> ResolveForm:
    """Return an empty resolve form, for the inline decisions on the worklist."""
    return ResolveForm(formdata=None)


@bp.app_template_global()
def worklist_sparkline(row) -> charts.Sparkline | None:
    """Lay out the sparkline of one worklist row's treatment series."""
    treatment = row.flag.treatment
    return charts.sparkline(treatment.treated_on, row.readings) if treatment else None
