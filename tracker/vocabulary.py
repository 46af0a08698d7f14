"""The tracker's words: which kinds, statuses, languages and sizes a record may have.

One module every feature imports (models, domain core, services, forms, API schemas), so a
word is defined once. Plain values only: the domain core imports it too.
"""

# Languages of patients' and staff's pages and emails. Each has its name in English (what an
# export writes; clinic_words translates it for the pages) and its name in itself (what a
# language picker shows, so a reader finds their own language whatever the page's).
LANGUAGES = ("en", "ja")
LANGUAGE_NAMES = {"en": "English", "ja": "Japanese"}
OWN_LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}
LANGUAGE_CHOICES = [(code, OWN_LANGUAGE_NAMES[code]) for code in LANGUAGES]

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
