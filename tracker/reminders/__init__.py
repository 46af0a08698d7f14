"""The outbox: dispatching due reminders over SMTP, rendering emails, the scheduler process."""
