"""The words of the clinician side (kinds, statuses, flag evidence) in the reader's language.

The domain core and the models keep plain English codes; this is where a code becomes what a
clinician reads. Outside a request (the dispatcher), the caller picks the language with
force_locale.
"""

from flask_babel import gettext, lazy_gettext, lazy_pgettext

from tracker.followup.flags import STIFFNESS_KINDS
from tracker.messages import Message
from tracker.vocabulary import (
    ACKNOWLEDGED,
    ADVERSE_EVENT,
    BOOSTER_WINDOW,
    MISSED_MILESTONE,
    NON_RESPONDER,
    OPEN,
    OWN_LANGUAGE_NAMES,
    RELAPSE,
    RESOLVED,
)

TREATMENT_KIND_LABELS = {
    "adsc_cultured": lazy_gettext("Cultured adipose-derived stem cells"),
    "ucmsc": lazy_gettext("Umbilical-cord MSCs"),
    "bmac": lazy_gettext("Bone-marrow aspirate concentrate"),
    "prp": lazy_gettext("Platelet-rich plasma"),
    "other": lazy_gettext("Other"),
}
ROUTE_LABELS = {
    "intra_articular": lazy_gettext("Intra-articular"),
    "iv": lazy_gettext("Intravenous"),
    "intrathecal": lazy_gettext("Intrathecal"),
    "other": lazy_gettext("Other"),
}
# The one table of a flag's words: a label as is heads a row or a cell; inside a sentence or
# a worklist row it reads in lower case (flag_kind_words, flag_status_words).
FLAG_KIND_LABELS = {
    ADVERSE_EVENT: lazy_pgettext("flag", "Adverse event"),
    RELAPSE: lazy_gettext("Relapse"),
    BOOSTER_WINDOW: lazy_gettext("Booster window"),
    NON_RESPONDER: lazy_gettext("Non-responder"),
    MISSED_MILESTONE: lazy_gettext("Missed milestone"),
}
FLAG_STATUS_LABELS = {
    OPEN: lazy_pgettext("flag status", "Open"),
    ACKNOWLEDGED: lazy_gettext("Taken"),
    RESOLVED: lazy_gettext("Resolved"),
}
RESOLUTION_LABELS = {
    "booster_scheduled": lazy_gettext("Booster scheduled"),
    "booster_given": lazy_gettext("Booster given"),
    "monitor": lazy_gettext("Keep monitoring"),
    "dismissed": lazy_gettext("Dismissed"),
    "checked_in": lazy_gettext("Patient checked in"),
}
REMINDER_KIND_LABELS = {
    "milestone": lazy_gettext("Check-in"),
    "nudge": lazy_gettext("Nudge"),
    "confirmation": lazy_gettext("Confirmation check-in"),
    "portal_link": lazy_gettext("Portal link"),
    "adverse_event_alert": lazy_gettext("Adverse event alert"),
    "digest": lazy_gettext("Daily digest"),
    "staff_invitation": lazy_gettext("Staff invitation"),
    "password_reset": lazy_gettext("Password reset"),
    "email_change": lazy_gettext("Email address confirmation"),
    "report_reminder": lazy_gettext("Report reminder"),
}
REMINDER_STATUS_LABELS = {
    "scheduled": lazy_gettext("scheduled"),
    "sending": lazy_gettext("sending"),
    "sent": lazy_gettext("sent"),
    "retry": lazy_gettext("retrying"),
    "failed": lazy_gettext("failed"),
    "completed": lazy_gettext("answered"),
    "cancelled": lazy_gettext("cancelled"),
    "skipped": lazy_gettext("skipped"),
    "missed": lazy_gettext("missed"),
}
CHECKIN_SOURCE_LABELS = {
    "email_link": lazy_gettext("email link"),
    "portal": lazy_gettext("portal"),
    "clinician": lazy_gettext("by phone (clinician)"),
    "api": lazy_gettext("API"),
}
# vocabulary.LANGUAGE_NAMES in the reader's language (the msgids are written out for pybabel).
LANGUAGE_NAMES = {"en": lazy_gettext("English"), "ja": lazy_gettext("Japanese")}
MISSED_EMAIL_OUTCOMES = {
    "no_email": lazy_gettext("no email address on file"),
    "opted_out": lazy_gettext("the patient opted out of emails"),
    "window_closed_unsent": lazy_gettext("the email was not sent before the window closed"),
    "send_failed": lazy_gettext("the email could not be delivered"),
    "unanswered": lazy_gettext("the email was sent and not answered"),
}

# What the tracker writes in an outbox row's last_error when it cancels or skips an email.
SYSTEM_NOTES = {
    "A booster started a new series.": lazy_gettext("A booster started a new series."),
    "The treatment was rescheduled.": lazy_gettext("The treatment was rescheduled."),
    "The patient opted out of emails.": lazy_gettext("The patient opted out of emails."),
    "The patient has opted out of emails.": lazy_gettext("The patient has opted out of emails."),
    "The patient was archived.": lazy_gettext("The patient was archived."),
    "The check-in window closed.": lazy_gettext("The check-in window closed."),
    "The milestone was completed.": lazy_gettext("The milestone was completed."),
    "No email address on file: follow up by phone.": lazy_gettext(
        "No email address on file: follow up by phone."
    ),
    "The check-in window closed before it could be sent.": lazy_gettext(
        "The check-in window closed before it could be sent."
    ),
    "The clinician's account is inactive.": lazy_gettext("The clinician's account is inactive."),
}


def translated(message: str) -> str:
    """Show a service's English message in the reader's language (see tracker.messages)."""
    if isinstance(message, Message):
        values = {name: translated(value) for name, value in message.values.items()}
        return gettext(message.msgid, **values)
    return message


def word_for(labels: dict, code: str | None) -> str:
    """The reader's word for a stored code; a dash when there is none."""
    if code is None:
        return "—"
    return str(labels.get(code, code.replace("_", " ")))


def flag_kind_words(kind: str) -> str:
    """Name a flag's kind inside a sentence or a worklist row (lower case in English)."""
    return word_for(FLAG_KIND_LABELS, kind).lower()


def flag_status_words(status: str) -> str:
    """Name a flag's status inside a sentence (lower case in English)."""
    return word_for(FLAG_STATUS_LABELS, status).lower()


def evidence_text(kind: str, evidence: dict) -> str:
    """Describe a flag's evidence in the reader's words, dates in full (emails and the digest).

    The clinic pages say it shorter, naming each value's day: clinic.words.evidence_words.
    """
    try:
        return evidence_sentence(kind, evidence) or flag_kind_name(kind)
    except (KeyError, TypeError, AttributeError):
        # Old or hand-edited evidence must not take a whole page or digest down.
        return flag_kind_name(kind)


def flag_kind_name(kind: str) -> str:
    """A flag's kind as a name: its label, or the code in words for a kind the tracker dropped."""
    return str(FLAG_KIND_LABELS.get(kind, kind.replace("_", " ").capitalize()))


def evidence_sentence(kind: str, evidence: dict) -> str | None:
    if kind in STIFFNESS_KINDS:
        nadir, latest = evidence["nadir"], evidence["latest"]
        return gettext(
            "Stiffness %(best)s → %(latest)s since %(since)s, above the best of %(best)s on "
            "%(best_on)s (day %(day)s)",
            best=nadir["stiffness"],
            latest=latest["stiffness"],
            since=evidence["run_started_on"],
            best_on=nadir["recorded_on"],
            day=evidence["days_since_treatment"],
        )
    if kind == NON_RESPONDER:
        base = evidence["baseline"]
        if base["stiffness"] is not None and base["pain"] is not None:
            baseline = gettext(
                "stiffness %(stiffness)s, pain %(pain)s",
                stiffness=base["stiffness"],
                pain=base["pain"],
            )
        elif base["stiffness"] is not None:
            baseline = gettext("stiffness %(stiffness)s", stiffness=base["stiffness"])
        else:
            baseline = gettext("pain %(pain)s", pain=base["pain"])
        return gettext(
            "No improvement of %(points)s points after %(days)s days (baseline %(baseline)s)",
            points=evidence["min_improvement"],
            days=evidence["non_responder_days"],
            baseline=baseline,
        )
    if kind == ADVERSE_EVENT:
        if "days_since_treatment" in evidence and evidence["days_since_treatment"] is None:
            text = gettext(
                "Adverse event reported on %(day)s, before any treatment",
                day=evidence["recorded_on"],
            )
        else:
            text = gettext("Adverse event reported on %(day)s", day=evidence["recorded_on"])
        details = evidence.get("details")
        return gettext("%(text)s: %(details)s", text=text, details=details) if details else text
    if kind == MISSED_MILESTONE:
        text = gettext(
            "No check-in for the %(weeks)s-week milestone (window closed %(day)s)",
            weeks=evidence["milestone_weeks"],
            day=evidence["window_closes_on"],
        )
        outcome = MISSED_EMAIL_OUTCOMES.get(evidence.get("outcome"))
        return gettext("%(text)s: %(details)s", text=text, details=outcome) if outcome else text
    return None


def register_clinic_words(app) -> None:
    """Give templates the clinician side's labels."""
    app.jinja_env.globals.update(
        treatment_kind_label=lambda code: word_for(TREATMENT_KIND_LABELS, code),
        route_label=lambda code: word_for(ROUTE_LABELS, code),
        flag_kind_label=lambda code: word_for(FLAG_KIND_LABELS, code),
        flag_status_label=lambda code: word_for(FLAG_STATUS_LABELS, code),
        flag_kind_words=flag_kind_words,
        flag_status_words=flag_status_words,
        resolution_label=lambda code: word_for(RESOLUTION_LABELS, code),
        reminder_kind_label=lambda code: word_for(REMINDER_KIND_LABELS, code),
        reminder_status_label=lambda code: word_for(REMINDER_STATUS_LABELS, code),
        checkin_source_label=lambda code: word_for(CHECKIN_SOURCE_LABELS, code),
        language_name=lambda code: word_for(LANGUAGE_NAMES, code),
        own_language_name=lambda code: OWN_LANGUAGE_NAMES.get(code, code),
        system_note=lambda text: str(SYSTEM_NOTES.get(text, text)),
    )
