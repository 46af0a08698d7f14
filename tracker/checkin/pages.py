"""What every patient page shares: the patient's language and friendly pages for bad links."""

from collections.abc import Callable

from flask import Blueprint, g, render_template, request
from flask_babel import get_locale, refresh
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

from tracker.links import LinkError, LinkExpired, LinkUsed
from tracker.models import Patient
from tracker.regions import patient_locale
from tracker.vocabulary import LANGUAGES


def use_language(language: str | None, locale: str | None = None) -> None:
    """Speak this language for the rest of the request (en or ja; else the browser's).

    locale, when given, is the language as the patient writes dates (en_GB, en_US, ja).
    """
    if language in LANGUAGES:
        g.locale = locale or language
    else:
        g.pop("locale", None)
    # Flask-Babel and Flask-WTF cache what they chose on first use; choose again.
    refresh()
    request.__dict__.pop("wtforms_translations", None)


def use_patient_language(patient: Patient) -> None:
    use_language(patient.language, patient_locale(patient.language, patient.timezone))


def language_from_query() -> None:
    """Follow ?lang=ja on pages reached before we know who the patient is."""
    use_language(request.args.get("lang"))


def current_language() -> str:
    """The language spoken (en or ja), whichever way it writes dates."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def link_problem_page(error: LinkError, link_kind: str):
    """Answer a link that cannot be used: 400 if it is not genuine, 410 if it is over."""
    if error.patient is not None:
        use_patient_language(error.patient)
    if isinstance(error, LinkUsed):
        problem, status = "used", 410
    elif isinstance(error, LinkExpired):
        problem, status = "expired", 410
    else:
        problem, status = "invalid", 400
    clinic = error.patient.clinic if error.patient is not None else None
    return (
        render_template(
            "checkin/link_problem.html", problem=problem, link_kind=link_kind, clinic=clinic
        ),
        status,
    )


def register_patient_pages(
    bp: Blueprint, link_kind: str, find_patient: Callable[[], Patient | None]
) -> None:
    """Give a patient blueprint its language handling and its friendly error pages.

    find_patient names the patient behind the request, if it can, without raising: the CSRF
    check runs before any view, so its error page has to look for the patient itself.
    """

    @bp.before_request
    def start_in_browser_language():
        use_language(None)

    @bp.context_processor
    def inject_html_lang():
        return {"html_lang": current_language()}

    @bp.errorhandler(LinkError)
    def link_error(error: LinkError):
        return link_problem_page(error, link_kind)

    @bp.errorhandler(CSRFError)
    def form_expired(error: CSRFError):
        patient = find_patient()
        if patient is not None:
            use_patient_language(patient)
        return render_template("checkin/problem.html", problem="form_expired"), 400

    @bp.errorhandler(TooManyRequests)
    def too_many_requests(error: TooManyRequests):
        language_from_query()
        return render_template("checkin/problem.html", problem="too_many"), 429
