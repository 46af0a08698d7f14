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
# What an outbox row keeps of an error in last_error: an SMTP reply or a note, and a prefix.
ERROR_LIMIT = 500

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

# The outbox: every email is a row first (docs/outbox.md). Its kinds:
MILESTONE = "milestone"
NUDGE = "nudge"
CONFIRMATION = "confirmation"
PORTAL_LINK = "portal_link"
ADVERSE_EVENT_ALERT = "adverse_event_alert"
DIGEST = "digest"
STAFF_INVITATION = "staff_invitation"
PASSWORD_RESET = "password_reset"  # noqa: S105 (an email kind, not a password)
EMAIL_CHANGE = "email_change"
REPORT_REMINDER = "report_reminder"
# The patient's own follow-up: the emails that ask for a check-in (not clinician messages,
# portal links or account emails).
FOLLOW_UP_KINDS = (MILESTONE, NUDGE, CONFIRMATION)

# An outbox row's statuses.
SCHEDULED = "scheduled"
SENDING = "sending"
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
COMPLETED = "completed"
CANCELLED = "cancelled"
SKIPPED = "skipped"
MISSED = "missed"
OUTBOX_STATUSES = (SCHEDULED, SENDING, SENT, RETRY, FAILED, COMPLETED, CANCELLED, SKIPPED, MISSED)
# Not gone out yet, so rescheduling may move them and cancelling stops them.
PENDING_STATUSES = (SCHEDULED, RETRY)
# What the dispatcher claims when next_attempt_at comes; for SENDING that instant is the lease
# expiry, so a SENDING row is claimable again only after a crashed dispatcher left it behind.
CLAIMABLE_STATUSES = (SCHEDULED, RETRY, SENDING)
