"""One SMTP connection per batch, with a timeout and a verified TLS context."""

import smtplib
import ssl
import time
from functools import lru_cache

from flask import current_app
from flask_mail import (
    BadHeaderError,
    Connection,
    email_dispatched,
    sanitize_address,
)

from tracker.reminders.emails import is_plain_address
from tracker.vocabulary import ERROR_LIMIT

# The sender as the SMTP envelope writes it: the same for every message, so parsed once.
envelope_sender = lru_cache(maxsize=8)(sanitize_address)


def envelope_recipient(address) -> str:
    """A recipient as the SMTP envelope writes it: a plain address as it is, as Flask-Mail would."""
    return address if is_plain_address(address) else sanitize_address(address)


class TimedConnection(Connection):
    """Flask-Mail's connection, with a socket timeout and certificate checks on TLS."""

    def configure_host(self) -> smtplib.SMTP:
        # Read the settings at connect time, so the running app's config is the one truth.
        config = current_app.config
        server, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        timeout = config["MAIL_TIMEOUT_SECONDS"]
        if config["MAIL_USE_SSL"]:
            host = smtplib.SMTP_SSL(server, port, timeout=timeout, context=verified_tls())
        else:
            host = smtplib.SMTP(server, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            host.starttls(context=verified_tls())
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return host

    def send(self, message, envelope_from=None) -> None:
        """Send one message as Flask-Mail does, without parsing plain addresses again and again.

        (Nor does it reconnect after MAIL_MAX_EMAILS: a batch has one connection.)
        """
        if message.has_bad_headers():
            raise BadHeaderError
        if message.date is None:
            message.date = time.time()
        if self.host is not None:
            self.host.sendmail(
                envelope_sender(envelope_from or message.sender),
                [envelope_recipient(address) for address in message.send_to],
                message.as_bytes(),
                message.mail_options,
                message.rcpt_options,
            )
        email_dispatched.send(current_app._get_current_object(), message=message)

    def __exit__(self, exc_type, exc_value, tb) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            # The server went away mid-batch; the outcome of each message is recorded already.
            self.host.close()


def verified_tls() -> ssl.SSLContext:
    """A TLS context that checks the server's certificate (slow to load: only when used)."""
    return ssl.create_default_context()


def open_connection() -> TimedConnection:
    """Open one SMTP connection for a batch (use it as a context manager)."""
    return TimedConnection(current_app.extensions["mail"])


def smtp_code(error: BaseException) -> int | None:
    """The SMTP reply code of a failure, or None for a connection error or timeout."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    return getattr(error, "smtp_code", None)


def is_connection_failure(error: BaseException) -> bool:
    """Tell a failed connection, which every later message would meet too, from one message's."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    # SMTPException is an OSError too: a reply from the server concerns this message alone.
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def describe_failure(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for address, (code, message) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    if isinstance(error, BadHeaderError):
        return (
            "BadHeaderError: a line break in the subject or an address; "
            "correct the clinic's name or the patient's details, then retry."
        )
    return f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
