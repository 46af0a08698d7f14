"""The provision plan form of the admin pages; the rules live in tracker.services.plans."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from tracker.compliance_text import PLAN_STATUS_LABELS


class PlanForm(FlaskForm):
    plan_number = StringField(_l("Plan number"))
    title = StringField(_l("Title of the regenerative medicine"))
    risk_class = SelectField(
        _l("Risk class"),
        choices=[("1", _l("Class 1")), ("2", _l("Class 2")), ("3", _l("Class 3"))],
    )
    committee_name = StringField(_l("Certified committee"))
    committee_number = StringField(_l("Committee number"))
    submitted_on = DateField(_l("Submitted on"), validators=[Optional()])
    accepted_on = DateField(_l("Accepted on"), validators=[Optional()])
    processing_facility = StringField(_l("Cell processing facility"))
    status = SelectField(_l("Status"), choices=list(PLAN_STATUS_LABELS.items()))

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PlanStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=list(PLAN_STATUS_LABELS.items()))
