"""One web worker process for the shared-limit tests: sign in with each password, print statuses.

Run as `python -m tests.login_worker DATABASE_URL STORAGE_URI KEY_PREFIX EMAIL PASSWORD...`.
Each run is its own process with its own app, as each gunicorn worker is; only the rate-limit
storage is shared between them.
"""

import json
import re
import sys

from sqlalchemy import select

from config import TestConfig
from tracker import create_app
from tracker.extensions import db
from tracker.models import Clinic, User

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACCOUNT_PASSWORD = "correct horse battery staple"


def ensure_account(email: str) -> None:
    """Create the schema and the account the first time a worker runs against the database."""
    db.create_all()
    if db.session.scalar(select(User).where(User.email == email)) is None:
        clinic = Clinic(name="Shared Limit Clinic", timezone="Asia/Tokyo")
        user = User(clinic=clinic, email=email, name="Dr Shared")
        user.set_password(ACCOUNT_PASSWORD)
        db.session.add(user)
        db.session.commit()


def sign_in_statuses(app, email: str, passwords: list[str]) -> list[int]:
    client = app.test_client()
    statuses = []
    for password in passwords:
        page = client.get("/login").get_data(as_text=True)
        token = CSRF_PATTERN.search(page).group(1)
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )
        statuses.append(response.status_code)
    return statuses


def main(database_url: str, storage_uri: str, key_prefix: str, email: str, *passwords: str):
    config = type(
        "WorkerConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_KEY_PREFIX": key_prefix,
        },
    )
    app = create_app(config)
    with app.app_context():
        ensure_account(email)
    print(json.dumps(sign_in_statuses(app, email, list(passwords))))


if __name__ == "__main__":
    main(*sys.argv[1:])
