"""Post-treatment follow-up tracker: the application factory."""

import logging
import re
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from config import Config, ProductionConfig, config_for_environment
from tracker.vocabulary import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent

# The register_* steps import the app's modules inside their bodies, on purpose: importing a
# pure module such as tracker.followup.flags runs this file first, and must not load the web app.


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Create and configure the application."""
    config_class = config_class or config_for_environment()
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    register_security_headers(app)
    configure_logging(app)
    return app


def register_extensions(app: Flask) -> None:
    from tracker import models  # noqa: F401  (so Alembic and create_all see every table)
    from tracker.database import configure_engine_events
    from tracker.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from tracker.services.outcome_changes import watch_outcome_changes

    db.init_app(app)
    watch_outcome_changes()
    with app.app_context():
        configure_engine_events(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "tracker" / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def select_locale() -> str:
    """Use the language chosen for this request (a patient's), else the signed-in user's,
    else the browser's."""
    chosen = getattr(g, "locale", None)
    if chosen:
        return chosen
    if not has_request_context():
        return "en"  # a command or the dispatcher: messages are rendered in force_locale
    if current_user and current_user.is_authenticated and current_user.language:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or "en"


def register_blueprints(app: Flask) -> None:
    from tracker.account import bp as account_bp
    from tracker.admin import bp as admin_bp
    from tracker.api import register_api
    from tracker.auth import bp as auth_bp
    from tracker.checkin import bp as checkin_bp
    from tracker.clinic import bp as clinic_bp
    from tracker.ops import bp as ops_bp
    from tracker.portal import bp as portal_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(clinic_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(checkin_bp)
    app.register_blueprint(portal_bp)
    if app.config.get("DEV_MAILBOX_ENABLED"):
        from tracker.dev import bp as dev_bp

        app.register_blueprint(dev_bp)
    register_api(app)


def register_error_handlers(app: Flask) -> None:
    """Answer errors with pages; the API blueprint answers its own in JSON."""
    from tracker.errors import handle_http_error

    app.register_error_handler(HTTPException, handle_http_error)


def register_template_helpers(app: Flask) -> None:
    from tracker.templating import register_filters

    register_filters(app)  # Flask-Login already gives templates current_user
    from tracker.compliance_text import register_compliance_words

    register_compliance_words(app)
    from tracker.clinic_words import register_clinic_words

    register_clinic_words(app)


def register_cli(app: Flask) -> None:
    from tracker.cli import register_commands

    register_commands(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class PlainTextFormatter(logging.Formatter):
    """Drop terminal colour codes (the dev server colours its request lines) from log text."""

    COLOUR = re.compile(r"\x1b\[[0-9;]*m")

    def format(self, record: logging.LogRecord) -> str:
        return self.COLOUR.sub("", super().format(record))


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            # A terminal shows colours; a file or a pipe would keep them as escape codes.
            if not (stream is not None and stream.isatty()):
                handler.setFormatter(PlainTextFormatter(LOG_FORMAT))
