"""Benchmark the hot requests over HTTP against a hello-world Flask app served the same way.

    python bench/http_load.py [--backend sqlite|postgresql|both] [--pg-url URL] [--seconds 10]
                              [--profile]

Builds a clinic of 2,000 patients (20 check-ins each, treatments, milestone reminders, flags) on
SQLite and, given TEST_DATABASE_URL or --pg-url, on a PostgreSQL database made for the run;
serves the tracker and bench/hello.py with gunicorn (2 sync workers) and loads each request
with wrk (-t2 -c16). Prints req/s, p50, p99 and the answers that were neither 2xx nor 3xx,
and each row's ratio to hello world measured in the same run. Always exits 0 when it ran;
a missed target prints MISSED and by how much. With --profile, each targeted request is also
run in process: its CPU time per request, and where that time goes (own time by package).
Needs Debian's wrk (apt-get install wrk).
"""

import argparse  # noqa: E402
import cProfile
import http.cookiejar
import json
import math
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.worklist import NOW, PASSWORD, STAMPS, TODAY, populate, setup_clinic  # noqa: E402
from config import DevelopmentConfig, TestConfig, psycopg_url  # noqa: E402
from tests.scratch_databases import on_each_backend  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.links import checkin_token  # noqa: E402
from tracker.models import CheckIn, Reminder  # noqa: E402

PATIENTS = 2_000
FORM_LINKS_PER_PATIENT = 5  # enough fresh links that no form POST answers a used one
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 (bench only)
USER_AGENT = "tracker-bench"
THREADS, CONNECTIONS, WORKERS = 2, 16, 2
TIMEOUT_SECONDS = 10
# The targets of the speed issue: each row's req/s as a share of hello world's.
TARGETS = {
    "POST /api/v1/patients/{id}/checkins": 0.15,
    "GET /api/v1/patients/{id}": 0.30,
    "GET /api/v1/flags?status=open": 0.30,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn with 2 sync workers serving one WSGI app on a free loopback port."""

    def __init__(self, app: str, environment: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn serving {app} did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(value) for value in values) + "}"


def wrk_script(method: str, paths: list[str], headers: dict[str, str], body: str = "") -> str:
    """A wrk script that spreads requests over paths, each thread taking its own turn."""
    header_lines = "".join(
        f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
        for name, value in headers.items()
    )
    return f"""
local paths = {lua_list(paths)}
local threads = 0
{header_lines}
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end
function init(args)
  counter = offset
end
function request()
  local path = paths[(counter - 1) % #paths + 1]
  counter = counter + {THREADS}
  return wrk.format({json.dumps(method)}, path, nil, {json.dumps(body) if body else "nil"})
end
"""


def parse_duration(text: str) -> float:
    """Turn wrk's '1.23ms' / '456.00us' / '1.20s' into milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, script: str, seconds: int) -> dict:
    """Load url with wrk and return req/s, p50 and p99 (ms) and the non-2xx/3xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                # A slow page on a busy machine is measured, not dropped at wrk's 2 s default.
                f"--timeout={TIMEOUT_SECONDS}s",
                "--latency",
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        # wrk prints no distribution when no request finished in time.
        "p50": parse_duration(latency["50"]) if "50" in latency else math.nan,
        "p99": parse_duration(latency["99"]) if "99" in latency else math.nan,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def add_form_links(clinic_id: int) -> list[str]:
    """Give each patient unanswered milestone reminders with open windows; return their paths."""
    rows = []
    for number in range(1, PATIENTS + 1):
        for offset in range(FORM_LINKS_PER_PATIENT):
            weeks = 100 + offset  # beside the 2/8/12/52 series, one reminder per "milestone"
            rows.append(
                {"clinic_id": clinic_id, "patient_id": number, "treatment_id": number}
                | {"kind": "milestone", "attempts": 1, "last_error": "", **STAMPS}
                | {"milestone_weeks": weeks, "status": "sent", "sent_at": NOW}
                | {"due_on": TODAY, "due_at": NOW, "next_attempt_at": NOW}
                | {"window_opens_on": TODAY - timedelta(days=3)}
                | {"window_closes_on": TODAY + timedelta(days=14)}
                | {"window_closes_at": NOW + timedelta(days=15)}
            )
    with db.engine.begin() as connection:
        connection.execute(insert(Reminder.__table__), rows)
    reminders = db.session.scalars(select(Reminder).where(Reminder.milestone_weeks >= 100)).all()
    # Interleave patients, so consecutive requests rarely wait on one patient's lock.
    reminders.sort(key=lambda reminder: (reminder.milestone_weeks, reminder.patient_id))
    return [f"/c/{checkin_token(reminder)}" for reminder in reminders]


def build_clinic(url: str) -> tuple[str, str, list[str]]:
    """Create the schema and a clinic of 2,000 patients; return the login, a token, form paths."""
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    config.SECRET_KEY = SECRET_KEY
    app = create_app(config)
    with app.app_context():
        db.create_all()
        clinic_id, owners, email, token = setup_clinic()
        populate(0, PATIENTS, clinic_id, owners)
        form_paths = add_form_links(clinic_id)
        db.session.remove()
        db.engine.dispose()
    return email, token, form_paths


def signed_in_session(base_url: str, email: str, form_path: str) -> tuple[str, str]:
    """Sign in as a browser would; return the Cookie header and a CSRF token for forms."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base_url + "/login").read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": csrf})
    opener.open(base_url + "/login", data=form.encode()).read()
    page = opener.open(base_url + form_path).read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf


def count_checkins(url: str) -> int:
    app = create_app(type("CountConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        count = len(db.session.scalars(select(CheckIn.id)).all())
        db.engine.dispose()
    return count


# Where a request's own time goes, by the package the time is spent in.
PACKAGES = (
    ("tracker", ("/tracker/",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("database driver", ("/psycopg/", "/psycopg_binary/", "sqlite3.")),
    ("flask, werkzeug", ("/flask/", "/werkzeug/", "/flask_login/", "/flask_babel/")),
    ("flask-limiter", ("/flask_limiter/",)),
    ("marshmallow, webargs, smorest", ("/marshmallow/", "/webargs/", "/flask_smorest/")),
    ("jinja", ("/jinja2/", "/markupsafe/")),
)
PROFILED_REQUESTS = 300


def package_of(filename: str, function: str) -> str:
    """The package of a profiled function (C functions are named by their type: sqlite3.Cursor)."""
    where = f"{filename}:{function}"
    for package, markers in PACKAGES:
        if any(marker in where for marker in markers):
            return package
    return "python, other"


def profile_requests(url: str, token: str) -> list[tuple[str, float, dict[str, float]]]:
    """Run each targeted request in process: CPU ms per request and its share per package."""
    config = type(
        "ProfiledConfig",
        (DevelopmentConfig,),
        {"SQLALCHEMY_DATABASE_URI": psycopg_url(url), "SECRET_KEY": SECRET_KEY},
    )
    app = create_app(config)
    client = app.test_client()
    api = {"Authorization": f"Bearer {token}"}
    checkin = {"pain": 4, "stiffness": 6, "morning_stiffness_minutes": 30}
    requests = {
        "POST /api/v1/patients/{id}/checkins": lambda n: client.post(
            f"/api/v1/patients/{n % PATIENTS + 1}/checkins", json=checkin, headers=api
        ),
        "GET /api/v1/patients/{id}": lambda n: client.get(
            f"/api/v1/patients/{n % PATIENTS + 1}", headers=api
        ),
        "GET /api/v1/flags?status=open": lambda n: client.get(
            "/api/v1/flags?status=open", headers=api
        ),
    }
    profiles = []
    for label, request in requests.items():
        for number in range(30):
            assert request(number).status_code < 300, label
        started = time.process_time()
        for number in range(PROFILED_REQUESTS):
            request(number)
        cpu_ms = (time.process_time() - started) / PROFILED_REQUESTS * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(PROFILED_REQUESTS):
            request(number)
        profiler.disable()
        own = {}
        for (filename, _, function), (_, _, own_time, _, _) in pstats.Stats(profiler).stats.items():
            package = package_of(filename, function)
            own[package] = own.get(package, 0.0) + own_time
        total = sum(own.values()) or 1.0
        profiles.append((label, cpu_ms, {k: v / total for k, v in own.items()}))
    with app.app_context():
        db.engine.dispose()
    return profiles


def measure_backend(name: str, url: str, seconds: int, profile: bool = False) -> list[tuple]:
    started = time.perf_counter()
    email, token, form_paths = build_clinic(url)
    print(
        f"[{name}] clinic of {PATIENTS:,} patients built in {time.perf_counter() - started:.0f} s"
    )
    results = []
    hello = Server("bench.hello:app", {})
    try:
        baseline = run_wrk(hello.url + "/", wrk_script("GET", ["/"], {}), seconds)
    finally:
        hello.stop()
    results.append((name, "hello world", baseline, None))
    environment = {
        "TRACKER_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "1000 per minute",
    }
    server = Server("wsgi:app", environment)
    try:
        cookie, csrf = signed_in_session(server.url, email, form_paths[-1])
        api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        browser = {"Cookie": cookie, "User-Agent": USER_AGENT}
        patients = [str(number) for number in range(1, PATIENTS + 1)]
        checkin = json.dumps({"pain": 4, "stiffness": 6, "morning_stiffness_minutes": 30})
        answers = {"pain": "3", "stiffness": "4", "adverse_event": "no", "csrf_token": csrf}
        rows = [
            (
                "POST /api/v1/patients/{id}/checkins",
                wrk_script(
                    "POST", [f"/api/v1/patients/{p}/checkins" for p in patients], api, checkin
                ),
            ),
            (
                "GET /api/v1/patients/{id}",
                wrk_script("GET", [f"/api/v1/patients/{p}" for p in patients], api),
            ),
            (
                "GET /api/v1/flags?status=open",
                wrk_script("GET", ["/api/v1/flags?status=open"], api),
            ),
            ("GET / (worklist page)", wrk_script("GET", ["/"], browser)),
            (
                "POST /c/{token} (check-in form)",
                wrk_script(
                    "POST",
                    form_paths[:-1],
                    browser | {"Content-Type": "application/x-www-form-urlencoded"},
                    urllib.parse.urlencode(answers),
                ),
            ),
        ]
        for label, script in rows:
            before = count_checkins(url) if label.startswith("POST") else 0
            figures = run_wrk(server.url, script, seconds)
            if label.startswith("POST"):
                figures["recorded"] = count_checkins(url) - before
            results.append((name, label, figures, baseline["rps"]))
    finally:
        server.stop()
    if profile:
        for label, cpu_ms, shares in profile_requests(url, token):
            results.append((name, label, {"cpu_ms": cpu_ms, "shares": shares}, None))
    return results


def print_results(results: list[tuple]) -> None:
    print()
    print(
        f"{'backend':<11}{'request':<38}{'req/s':>8}{'p50':>9}{'p99':>9}{'non-2xx':>9}"
        f"{'ratio':>7}  target"
    )
    profiles = [row for row in results if "cpu_ms" in row[2]]
    results = [row for row in results if "cpu_ms" not in row[2]]
    for backend, label, figures, hello_rps in results:
        ratio = "" if hello_rps is None else f"{figures['rps'] / hello_rps:.3f}"
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            met = (
                figures["rps"] / hello_rps >= target
                and figures["errors"] == 0
                and not figures["socket_errors"]
            )
            verdict = f">= {target:.2f} {'ok' if met else 'MISSED'}"
            if not met and figures["rps"]:
                needed = target * hello_rps
                verdict += f" (needs {needed:.0f} req/s, {needed / figures['rps']:.1f}x)"
        elif hello_rps is not None:
            verdict = "no non-2xx " + ("ok" if figures["errors"] == 0 else "MISSED")
        print(
            f"{backend:<11}{label:<38}{figures['rps']:>8.0f}{figures['p50']:>7.1f}ms"
            f"{figures['p99']:>7.1f}ms{figures['errors']:>9}{ratio:>7}  {verdict}"
        )
        if "recorded" in figures:
            print(f"{'':<11}  ({figures['requests']:,} sent, {figures['recorded']:,} recorded)")
        if figures["socket_errors"]:
            print(f"{'':<11}  socket errors: {figures['socket_errors']}")
    if profiles:
        print()
        print(
            f"In process, {PROFILED_REQUESTS} requests each (CPU ms per request; own time by package):"
        )
    for backend, label, figures, _ in profiles:
        shares = sorted(figures["shares"].items(), key=lambda item: -item[1])
        spread = ", ".join(f"{package} {share:.0%}" for package, share in shares if share >= 0.02)
        print(f"{backend:<11}{label:<38}{figures['cpu_ms']:>6.2f} ms  {spread}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--profile", action="store_true", help="also profile the targeted requests in process"
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print(
            "bench/http_load.py needs wrk: apt-get install wrk (the Makefile's bench installs it)."
        )
        return 1 if os.environ.get("CI", "").lower() == "true" else 0
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = on_each_backend(
        options.backend,
        options.pg_url,
        "bench_http",
        lambda name, url: measure_backend(name, url, options.seconds, options.profile),
    )
    print_results(results)
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
