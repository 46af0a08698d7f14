"""The tracker's words: which kinds, statuses, languages and sizes a record may have.

One module every feature imports (models, domain core, services, forms, API schemas), so a
word is defined once. Plain values only: the domain core imports it too.
"""

# Languages of patients' and staff's pages and emails.
LANGUAGES = ("en", "ja")

# Free text (notes, descriptions, details): enough for a careful paragraph or two.
TEXT_LIMIT = 4000

# Who entered a check-in.
CHECKIN_SOURCES = ("email_link", "portal", "clinician", "api")

# Flags, in worklist order (docs/schedule-and-flags.md, decisions on flags).
ADVERSE_EVENT = "adverse_event"
RELAPSE = "relapse"
BOOSTER_WINDOW = "booster_window"
NON_RESPONDER = "non_responder"
MISSED_MILESTONE = "missed_milestone"
FLAG_KINDS = (ADVERSE_EVENT, RELAPSE, BOOSTER_WINDOW, NON_RESPONDER, MISSED_MILESTONE)
OPEN = "open"
ACKNOWLEDGED = "acknowledged"  # a clinician took it: still active, not yet decided
RESOLVED = "resolved"
FLAG_STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)
FLAG_RESOLUTIONS = ("booster_scheduled", "booster_given", "monitor", "dismissed", "checked_in")

# The outbox: every email is a row first (docs/outbox.md).
OUTBOX_KINDS = (
    "milestone",
    "nudge",
    "confirmation",
    "portal_link",
    "adverse_event_alert",
    "digest",
    "staff_invitation",
    "password_reset",
    "email_change",
    "report_reminder",
)
OUTBOX_STATUSES = (
    "scheduled",
    "sending",
    "sent",
    "retry",
    "failed",
    "completed",
    "cancelled",
    "skipped",
    "missed",
)
