"""Shared fixtures: the app on SQLite and (with TEST_DATABASE_URL) PostgreSQL, clients, users."""

import os
import re
import smtplib

import pytest
from hypothesis import settings
from sqlalchemy import text

from config import TestConfig, psycopg_url
from tests import factories
from tests.helpers import IsolatedClient
from tests.scratch_databases import create_database, drop_database
from tests.smtp import smtp_server  # noqa: F401  (a fixture for every test module)
from tracker import create_app
from tracker.extensions import db, limiter
from tracker.services.outcome_ledger import forget_assessed
from tracker.services.remembered import forget_remembered

# Speed is the benchmarks' business: no example fails for taking long on a busy machine.
settings.register_profile("tracker", deadline=None)
settings.load_profile("tracker")

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEFAULT_PASSWORD = "correct horse battery staple"

if IN_CI and not POSTGRES_URL:
    raise pytest.UsageError(
        "CI=true needs TEST_DATABASE_URL: the suite must run on PostgreSQL too."
    )


def pytest_collection_modifyitems(config, items):
    """Run a test marked postgres_only on PostgreSQL alone: its SQLite twin is not collected."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def postgres_url(url: str) -> str:
    return psycopg_url(url)


def create_postgres_database(prefix: str) -> str:
    """Create an empty PostgreSQL database beside TEST_DATABASE_URL's; return its URL."""
    return create_database(POSTGRES_URL, prefix)


def drop_postgres_database(url: str) -> None:
    drop_database(POSTGRES_URL, url)


@pytest.fixture(scope="session", params=backends())
def database_url(request, tmp_path_factory):
    """An empty database of each backend under test, for the whole session."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.db'}"
        return
    url = create_postgres_database("tracker_test")
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def app_for_backend(database_url):
    config = type("BackendTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})
    app = create_app(config)
    # Each request gets its own app context (and so its own g and session), as in production.
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_tables() -> None:
    """Delete every row, children first, so each test starts from an empty database."""
    # What the app remembers of records it saw is forgotten with them (ids start again at 1).
    forget_assessed()
    forget_remembered()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def app(app_for_backend):
    """The app with an empty database and fresh rate limits, inside an app context."""
    with app_for_backend.app_context():
        limiter.reset()
        yield app_for_backend
        db.session.remove()
        empty_tables()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def cli(app, runner):
    """Run a command as `flask --app wsgi ...` would: in an app context of its own."""

    def invoke(*args: str, input: str | None = None):
        with app.app_context():
            result = runner.invoke(args=list(args), input=input)
        db.session.expire_all()
        return result

    return invoke


@pytest.fixture(autouse=True)
def no_unexpected_smtp(monkeypatch, request):
    """Fail any SMTP connection except to a server a test started itself on 127.0.0.1."""
    allowed_ports: set[int] = set()
    request.node.allowed_smtp_ports = allowed_ports
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost") or int(port) not in allowed_ports:
            raise AssertionError(f"Unexpected SMTP connection to {host}:{port} in a test")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)
    return allowed_ports


@pytest.fixture
def clinic(app):
    return factories.ClinicFactory(name="Tokyo Knee Clinic", timezone="Asia/Tokyo")


@pytest.fixture
def other_clinic(app):
    return factories.ClinicFactory(name="Other Clinic", timezone="Europe/London")


@pytest.fixture
def clinician(clinic):
    return factories.UserFactory(clinic=clinic, email="doctor@example.org", name="Dr Sato")


@pytest.fixture
def admin(clinic):
    return factories.UserFactory(
        clinic=clinic, email="admin@example.org", name="Admin", role="admin"
    )


@pytest.fixture
def other_clinician(other_clinic):
    return factories.UserFactory(clinic=other_clinic, email="other@example.org", name="Dr Other")


def csrf_token_from(response) -> str:
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client, email: str, password: str = DEFAULT_PASSWORD):
    token = csrf_token_from(client.get("/login"))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def logged_in(client, clinician):
    """A test client signed in as the clinician."""
    response = log_in(client, clinician.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_form(client, url: str, data: dict, follow_redirects: bool = False):
    """GET the page for its CSRF token, then POST the form as a browser would."""
    token = csrf_token_from(client.get(url))
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=follow_redirects)


@pytest.fixture
def api_token(clinician):
    from tracker.services.api_tokens import issue_token

    token = issue_token(clinician)
    db.session.commit()
    return token


@pytest.fixture
def api(client, api_token):
    """Call the API as the clinician: api.get(path), api.post(path, json=...)."""
    return ApiClient(client, api_token)


class ApiClient:
    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs):
        return self.client.post(path, headers=self.headers, **kwargs)
