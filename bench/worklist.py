"""Benchmark the worklist page and check-in POSTs at 5,000 and 20,000 patients.

    python bench/worklist.py [--backend sqlite|postgresql|both] [--pg-url URL]

Builds one clinic with 20 check-ins per patient (400,000 at 20,000 patients) and one flag on
about one patient in seven (2,000 open at 20,000) with SQLAlchemy Core executemany, in a
temporary SQLite file and, given TEST_DATABASE_URL or --pg-url, a PostgreSQL database created
for the run and dropped after. Times are measured around the Flask test client, in process.
Always exits 0; a missed target prints MISSED. p95 of in-process timings moves with whatever
else the machine runs, so the load average is printed too.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from config import TestConfig  # noqa: E402
from tests.scratch_databases import on_each_backend  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import CheckIn, Clinic, Flag, Patient, Reminder, Treatment, User  # noqa: E402
from tracker.services.api_tokens import issue_token  # noqa: E402

SMALL, LARGE = 5_000, 20_000
CHECKINS_PER_PATIENT = 20
PAGE_REQUESTS, CHECKIN_REQUESTS, WARM_UP = 100, 100, 5
WORKLIST_P95_MS, WORKLIST_RATIO, CHECKIN_P95_MS = 150.0, 1.5, 30.0
PASSWORD = "bench-password-not-secret"
ZONE = "Asia/Tokyo"
TODAY = datetime.now(UTC).date() - timedelta(days=1)  # safely in the past in every zone
NOW = datetime.now(UTC)
TABLES = {
    "patient": Patient.__table__,
    "treatment": Treatment.__table__,
    "reminder": Reminder.__table__,
    "checkin": CheckIn.__table__,
    "flag": Flag.__table__,
}
FLAG_KINDS = ("booster_window", "booster_window", "relapse", "non_responder", "missed_milestone")


def rise_evidence(treated_on: date, nadir: int, latest: int) -> dict:
    first_on, latest_on = TODAY - timedelta(days=14), TODAY - timedelta(days=3)
    point = {"stiffness": latest, "pain": 4}
    return {
        "baseline": {"pain": 7, "stiffness": 8, "source": "treatment"},
        "nadir": {"stiffness": nadir, "recorded_on": (treated_on + timedelta(days=30)).isoformat()},
        "run_started_on": first_on.isoformat(),
        "first": {**point, "recorded_on": first_on.isoformat()},
        "latest": {**point, "recorded_on": latest_on.isoformat()},
        "rise": latest - nadir,
        "days_since_treatment": (latest_on - treated_on).days,
    }


def flag_row(number: int, clinic_id: int, treated_on: date, owners: list[int]) -> dict | None:
    """About one patient in seven has a flag: open, acknowledged or (older) resolved."""
    if number % 10 == 0:
        status, owner = "open", None
    elif number % 25 == 3:
        status, owner = "acknowledged", owners[number % len(owners)]
    elif number % 33 == 7:
        status, owner = "resolved", owners[number % len(owners)]
    else:
        return None
    kind = FLAG_KINDS[number % len(FLAG_KINDS)]
    evidence = rise_evidence(treated_on, 2, 5)
    if kind == "missed_milestone":
        evidence = {"milestone_weeks": 12, "window_closes_on": TODAY.isoformat()}
    elif kind == "non_responder":
        evidence = {
            "baseline": {"pain": 6, "stiffness": 6, "source": "treatment"},
            "min_improvement": 2,
            "non_responder_days": 84,
            "recorded_on": TODAY.isoformat(),
            "days_since_treatment": (TODAY - treated_on).days,
        }
    return {
        "clinic_id": clinic_id,
        "patient_id": number,
        "treatment_id": number,
        "kind": kind,
        "status": status,
        "evidence": evidence,
        "opened_at": NOW - timedelta(hours=number % 500),
        "updated_at": NOW,
        "owner_id": owner,
        "resolution": "monitor" if status == "resolved" else None,
        "note": "",
    }


# Column values that every bulk row of a table shares; the builder adds what varies.
STAMPS = {"created_at": NOW, "updated_at": NOW}
TREATMENT = {"kind": "adsc_cultured", "route": "intra_articular", "notes": "", **STAMPS}
MILESTONE = {"kind": "milestone", "attempts": 0, "last_error": "", **STAMPS}
CHECKIN = {"submitted_at": NOW, "source": "email_link", "adverse_event_details": "", "notes": ""}


def patient_rows(start: int, stop: int, clinic_id: int, owners: list[int]) -> dict[str, list]:
    """Rows for patients start+1..stop, each with one treatment, reminders and check-ins."""
    rows: dict[str, list] = {name: [] for name in TABLES}
    random_days = random.Random(start)
    for number in range(start + 1, stop + 1):
        treated_on = TODAY - timedelta(days=random_days.randint(60, 420))
        mine = {"clinic_id": clinic_id, "patient_id": number}
        rows["patient"].append(
            {"id": number, "clinic_id": clinic_id, "external_id": f"MRN-{number:06d}", **STAMPS}
            | {"name": f"Patient {number:06d}", "email": f"patient{number}@example.org"}
            | {"timezone": ZONE, "language": "en" if number % 4 else "ja"}
            | {"frozen_doses": number % 4}
            # As if written through the app: each patient's records raised its version once.
            | {"outcome_version": number}
        )
        rows["treatment"].append(
            {"id": number, **mine, **TREATMENT, "treated_on": treated_on}
            | {"site": "left knee" if number % 2 else "right knee", "used_frozen_dose": False}
            | {"baseline_pain": 7, "baseline_stiffness": 8}
            | {"baseline_function": 6, "baseline_global_assessment": 7}
        )
        for weeks in (2, 8, 12, 52):
            due_on = treated_on + timedelta(weeks=weeks)
            due_at = datetime.combine(due_on, clock(0), UTC)
            rows["reminder"].append(
                {**mine, **MILESTONE, "treatment_id": number, "milestone_weeks": weeks}
                | {"due_on": due_on, "due_at": due_at, "next_attempt_at": due_at}
                | {"window_opens_on": due_on - timedelta(days=3)}
                | {"window_closes_on": due_on + timedelta(days=14)}
                | {"window_closes_at": due_at + timedelta(days=15)}
                | {"status": "completed" if due_on < TODAY else "scheduled"}
            )
        span = (TODAY - treated_on).days
        for index in range(CHECKINS_PER_PATIENT):
            # One patient in ten has stiffness coming back over the last three check-ins.
            rising = number % 10 == 0 and index >= CHECKINS_PER_PATIENT - 3
            day = 1 + index * (span - 1) // CHECKINS_PER_PATIENT
            rows["checkin"].append(
                {**mine, **CHECKIN, "treatment_id": number, "adverse_event": False}
                | {"recorded_on": treated_on + timedelta(days=day)}
                | {"pain": 3 + index % 3, "stiffness": 5 if rising else 2 + index % 2}
                | {"function": 2 + index % 4, "global_assessment": 3 + index % 3}
            )
        flag = flag_row(number, clinic_id, treated_on, owners)
        if flag is not None:
            rows["flag"].append(flag)
    return rows


def populate(start: int, stop: int, clinic_id: int, owners: list[int]) -> None:
    """Insert patients start+1..stop with Core executemany, in batches of 2,000 patients."""
    for batch_start in range(start, stop, 2_000):
        rows = patient_rows(batch_start, min(batch_start + 2_000, stop), clinic_id, owners)
        with db.engine.begin() as connection:
            for name, table in TABLES.items():
                if rows[name]:
                    connection.execute(insert(table), rows[name])
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Explicit ids do not move the sequences; later ORM inserts must not collide.
            for name in TABLES:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                        f" (SELECT max(id) FROM {name}))"
                    )
                )
            connection.execute(
                text(
                    "SELECT setval('patient_outcome_version_seq',"
                    " (SELECT max(outcome_version) FROM patient))"
                )
            )
        connection.execute(text("ANALYZE"))  # as autovacuum (PostgreSQL) or a DBA would


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def time_requests(count: int, make_request) -> tuple[float, float]:
    """Return p50 and p95 in milliseconds of count requests, after a warm-up."""
    for number in range(WARM_UP):
        make_request(number)
    samples = []
    for number in range(WARM_UP, WARM_UP + count):
        started = time.perf_counter()
        response = make_request(number)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
    return percentiles(samples)


def log_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "bench login failed"


def setup_clinic() -> tuple[int, list[int], str, str]:
    """Create the clinic, three clinicians and an API token; return their handles."""
    clinic = Clinic(name="Bench Clinic", timezone=ZONE)
    db.session.add(clinic)
    db.session.flush()
    users = []
    for number in range(3):
        user = User(clinic_id=clinic.id, email=f"bench{number}@example.org", name=f"Dr {number}")
        user.set_password(PASSWORD)
        db.session.add(user)
        users.append(user)
    db.session.flush()
    token = issue_token(users[0])
    db.session.commit()
    return clinic.id, [user.id for user in users], users[0].email, token


def report(backend: str, measure: str, p50: float, p95: float | None, target="", met=None):
    """One line of the report: p95 None means p50 is a ratio, not a time."""
    return (backend, measure, p50, p95, target, "" if met is None else "ok" if met else "MISSED")


def build(name: str, start: int, stop: int, clinic_id: int, owners: list[int]) -> None:
    started = time.perf_counter()
    populate(start, stop, clinic_id, owners)
    checkins = db.session.scalar(select(func.count()).select_from(CheckIn))
    open_flags = db.session.scalar(select(func.count()).where(Flag.status == "open"))
    print(
        f"[{name}] {stop:,} patients ({checkins:,} check-ins, {open_flags:,} open flags),"
        f" {stop - start:,} of them built in {time.perf_counter() - started:.1f} s"
    )


def measure_checkins(name: str, client, token: str) -> tuple:
    """POST check-ins through the API to patients picked at random, flags evaluated."""
    headers = {"Authorization": f"Bearer {token}"}
    picks = random.Random(7).sample(range(1, LARGE + 1), CHECKIN_REQUESTS + WARM_UP)

    def post_checkin(number: int):
        body = {"pain": 4, "stiffness": 6, "morning_stiffness_minutes": 30}
        return client.post(f"/api/v1/patients/{picks[number]}/checkins", json=body, headers=headers)

    p50, p95 = time_requests(CHECKIN_REQUESTS, post_checkin)
    target = f"p95 < {CHECKIN_P95_MS:.0f} ms"
    return report(name, f"POST check-in at {LARGE:,}", p50, p95, target, p95 < CHECKIN_P95_MS)


def run_backend(name: str, url: str) -> list[tuple]:
    """Build the 5,000 state, measure, grow to 20,000, measure again; return report lines."""
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        clinic_id, owners, email, token = setup_clinic()
        client = app.test_client()
        log_in(client, email)

        build(name, 0, SMALL, clinic_id, owners)
        small = time_requests(PAGE_REQUESTS, lambda _: client.get("/"))
        build(name, SMALL, LARGE, clinic_id, owners)
        large = time_requests(PAGE_REQUESTS, lambda _: client.get("/"))
        deep = time_requests(PAGE_REQUESTS // 2, lambda _: client.get("/?page=40&owner=unowned"))
        ratio = large[1] / small[1]
        results = [
            report(name, f"GET / at {SMALL:,} patients", *small),
            report(
                name,
                f"GET / at {LARGE:,} patients",
                *large,
                f"p95 < {WORKLIST_P95_MS:.0f} ms",
                large[1] < WORKLIST_P95_MS,
            ),
            report(name, "GET / p95 ratio 20k/5k", ratio, None, "< 1.5x", ratio < WORKLIST_RATIO),
            report(name, "GET / p50 ratio 20k/5k", large[0] / small[0], None),
            report(name, f"GET /?page=40 at {LARGE:,}", *deep),
            measure_checkins(name, client, token),
        ]
        db.session.remove()
        db.engine.dispose()
    return results


def print_results(results: list[tuple]) -> None:
    print()
    print(f"{'backend':<11}{'measure':<30}{'p50':>10}{'p95':>10}  {'target':<16}result")
    for backend, measure, p50, p95, target, result in results:
        ratio = p95 is None
        figures = f"{p50:>9.2f}x{'':>10}" if ratio else f"{p50:>8.1f}ms{p95:>8.1f}ms"
        print(f"{backend:<11}{measure:<30}{figures}  {target:<16}{result}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    options = parser.parse_args()
    # In-process timings suffer from other work on the machine; say how busy it was.
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = on_each_backend(options.backend, options.pg_url, "bench_worklist", run_backend)
    print_results(results)
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
