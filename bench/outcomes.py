"""Benchmark GET /api/v1/outcomes?group_by=kl_grade at 5,000 and 20,000 patients.

    python bench/outcomes.py [--backend sqlite|postgresql|both] [--pg-url URL]

Builds the clinic with bench/worklist.py's bulk builder (20 check-ins per patient: 400,000 at
20,000 patients, function and global assessment answered; about one patient in seven has a
flag, many of them booster-window or relapse flags), in a temporary SQLite file and, given
TEST_DATABASE_URL or --pg-url, a PostgreSQL database created for the run and dropped after.
Three states are timed: the first read after the clinic was built (every patient's
treatments are assessed), "warm", the same figures read again with no record changed (the
service reuses figures computed from the very same records), and "cold", each read after a
check-in was recorded through the API (that patient is assessed again, the figures summed
again from every treatment).
Always exits 0; a missed target prints MISSED.
"""

import argparse
import importlib.util
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, bench/ comes first on the path: keep imports resolving from the root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))


def load_worklist_bench():
    """Import bench/worklist.py by its path: its bulk builder makes the clinic."""
    spec = importlib.util.spec_from_file_location("worklist_bench", HERE / "worklist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worklist = load_worklist_bench()
LARGE, SMALL = worklist.LARGE, worklist.SMALL
build, print_results, report = worklist.build, worklist.print_results, worklist.report
setup_clinic, time_requests = worklist.setup_clinic, worklist.time_requests
percentiles = worklist.percentiles

from config import TestConfig  # noqa: E402
from tests.scratch_databases import on_each_backend  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402

REQUESTS = 20  # of each state at each size
P95_MS, RATIO = 1500.0, 1.5
URL = "/api/v1/outcomes?group_by=kl_grade"


def run_backend(name: str, url: str) -> list[tuple]:
    """Build 5,000 patients, measure, grow to 20,000, measure again; return report lines."""
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        clinic_id, owners, _, token = setup_clinic()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        picks = random.Random(11)

        def warm(_):
            return client.get(URL, headers=headers)

        def cold(_):
            # A check-in arrived since the last read: the figures are computed again.
            patient = picks.randint(1, patients)
            body = {"pain": 4, "stiffness": 3}
            posted = client.post(f"/api/v1/patients/{patient}/checkins", json=body, headers=headers)
            assert posted.status_code == 201, posted.get_data(as_text=True)[:300]
            started = time.perf_counter()
            response = client.get(URL, headers=headers)
            cold_samples.append((time.perf_counter() - started) * 1000)
            return response

        results = []
        measured = {}
        for patients, start in ((SMALL, 0), (LARGE, SMALL)):
            build(name, start, patients, clinic_id, owners)
            # The first read after the records grew by thousands of patients assesses every
            # one of them: timed on its own, not among the reads after a single check-in.
            started = time.perf_counter()
            assert warm(None).status_code == 200
            first = (time.perf_counter() - started) * 1000
            results.append(report(name, f"first read at {patients:,} (all assessed)", first, first))
            cold_samples: list[float] = []
            for _ in range(REQUESTS):
                cold(None)
            measured["cold", patients] = percentiles(cold_samples)
            measured["warm", patients] = time_requests(REQUESTS, warm)
        cohort = warm(0).get_json()["durability"]["cohort"]
        print(f"[{name}] cohort at {LARGE:,} patients: {cohort:,} treatments")
        for state, words in (("warm", "unchanged"), ("cold", "after a check-in")):
            small, large = measured[state, SMALL], measured[state, LARGE]
            ratio = large[1] / small[1]
            results += [
                report(name, f"{state} at {SMALL:,} ({words})", *small),
                report(
                    name,
                    f"{state} at {LARGE:,} ({words})",
                    *large,
                    f"p95 < {P95_MS:.0f} ms",
                    large[1] < P95_MS,
                ),
                report(
                    name, f"{state} p95 ratio 20k/5k", ratio, None, f"< {RATIO}x", ratio < RATIO
                ),
            ]
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = on_each_backend(options.backend, options.pg_url, "bench_outcomes", run_backend)
    print_results(results)
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
