"""Commands of the reminder processes: one dispatch pass, and the scheduler."""

from flask import Flask


def register_reminder_commands(app: Flask) -> None:
    """Register send-due and scheduler."""
