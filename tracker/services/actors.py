"""Who acts on the clinic's data: the audit log and every use case name them."""

from dataclasses import dataclass

from tracker.models import User


@dataclass
class Actor:
    """Who is acting: a user through the UI or the API, a patient, or the system."""

    user: User | None
    kind: str  # "user" | "api" | "patient" | "system"
