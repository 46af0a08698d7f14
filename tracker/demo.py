"""Demo data: a clinic with patients of every trajectory, so the worklist is not empty."""

DEMO_CLINIC = "Demo Regenerative Clinic"


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo clinic; return the logins (email, password, role)."""
    raise NotImplementedError
