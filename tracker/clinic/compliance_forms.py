"""Forms of the compliance pages; the rules live in the services (docs/compliance.md)."""

from flask_babel import lazy_gettext as _l  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from tracker.compliance_text import CAUSALITY_LABELS, OUTCOME_LABELS, SERIOUSNESS_LABELS
from tracker.vocabulary import TEXT_LIMIT


def choices(labels: dict, blank=None) -> list:
    return ([("", blank)] if blank is not None else []) + list(labels.items())


class AdverseEventForm(FlaskForm):
    description = TextAreaField(
        _l("What happened"), validators=[Optional(), Length(max=TEXT_LIMIT)]
    )
    aware_on = DateField(_l("The clinic learned of it on"), validators=[Optional()])
    onset_on = DateField(_l("Onset"), validators=[Optional()])

    def values(self) -> dict:
        return {
            "description": self.description.data,
            "aware_on": self.aware_on.data,
            "onset_on": self.onset_on.data,
        }


class AssessmentForm(FlaskForm):
    seriousness = SelectField(
        _l("Seriousness"), choices=choices(SERIOUSNESS_LABELS, "—"), validate_choice=False
    )
    causality = SelectField(
        _l("Causality (relation to the treatment)"),
        choices=choices(CAUSALITY_LABELS, "—"),
        validate_choice=False,
    )
    outcome = SelectField(
        _l("Outcome"), choices=choices(OUTCOME_LABELS, "—"), validate_choice=False
    )
    onset_on = DateField(_l("Onset"), validators=[Optional()])

    def values(self) -> dict:
        return {
            "seriousness": self.seriousness.data or None,
            "causality": self.causality.data or None,
            "outcome": self.outcome.data or None,
            "onset_on": self.onset_on.data,
        }


class ReportedForm(FlaskForm):
    reported_to_committee_on = DateField(
        _l("Reported to the certified committee on"), validators=[Optional()]
    )
    reported_to_minister_on = DateField(
        _l("Reported to the Minister of Health, Labour and Welfare on"), validators=[Optional()]
    )
    processor_notified_on = DateField(
        _l("Cell processing facility notified on"), validators=[Optional()]
    )
    committee_opinion = TextAreaField(
        _l("The committee's opinion"), validators=[Optional(), Length(max=TEXT_LIMIT)]
    )

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PeriodicReportForm(FlaskForm):
    evaluation = TextAreaField(
        _l("Evaluation of safety and scientific validity"),
        validators=[Optional(), Length(max=20000)],
    )
    submitted_on = DateField(_l("Submitted on"), validators=[Optional()])

    def values(self) -> dict:
        return {"evaluation": self.evaluation.data, "submitted_on": self.submitted_on.data}


class PatientActionForm(FlaskForm):
    """An Archive or Delete button: only the CSRF token."""
