"""Benchmark the exports: $everything for one patient, and $export and the check-ins CSV.

    python bench/exports.py [--backend sqlite|postgresql|both] [--pg-url URL]

$everything: a patient with 3 treatments and 200 check-ins, 50 calls after a warm-up, p95
(target < 300 ms on PostgreSQL). $export and checkins.csv: a clinic of 5,000 and then 20,000
patients (100,000 and 400,000 check-ins, built by bench/worklist.py's populate); each export
runs in a fresh subprocess that reads the whole streamed answer and reports its rate and its
peak RSS (resource.getrusage), so the two sizes can be compared: streaming keeps memory flat.
Always exits 0; a missed target prints MISSED.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path: keep the project root first instead.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry).resolve() != ROOT / "bench"]

from sqlalchemy import insert, select  # noqa: E402

from bench.worklist import LARGE, SMALL, percentiles, populate, setup_clinic  # noqa: E402
from config import TestConfig  # noqa: E402
from tests.scratch_databases import on_each_backend  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import CheckIn, Flag, Patient, Reminder, Treatment  # noqa: E402

EVERYTHING_CALLS, WARM_UP = 50, 5
EVERYTHING_P95_MS = 300.0
FLAT_MEMORY_RATIO = 1.25  # peak RSS of the larger clinic over that of the smaller
NOW = datetime.now(UTC)
EXPORTS = {
    "fhir": "/api/v1/fhir/$export",
    "csv": "/api/v1/exports/checkins.csv",
}


def bench_app(url: str):
    return create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def add_followed_patient(clinic_id: int) -> int:
    """Insert a patient with 3 treatments (one a booster), their milestones and 200 check-ins."""
    with db.engine.begin() as connection:
        patient_id = connection.execute(
            insert(Patient).returning(Patient.id),
            {"clinic_id": clinic_id, "external_id": "MRN-EVERYTHING", "name": "山田 花子"}
            | {"email": "hanako@example.jp", "timezone": "Asia/Tokyo", "language": "ja"}
            | {"frozen_doses": 2, "created_at": NOW, "updated_at": NOW},
        ).scalar_one()
        first_day = NOW.date() - timedelta(days=700)
        treatment_ids = []
        for number, offset in enumerate((0, 250, 500)):
            treatment_ids.append(
                connection.execute(
                    insert(Treatment).returning(Treatment.id),
                    {"clinic_id": clinic_id, "patient_id": patient_id}
                    | {"treated_on": first_day + timedelta(days=offset), "kind": "adsc_cultured"}
                    | {"route": "intra_articular", "site": "left knee", "notes": ""}
                    | {"booster_of_id": treatment_ids[0] if number == 1 else None}
                    | {"used_frozen_dose": number == 1, "cell_dose_million": 50}
                    | {"created_at": NOW, "updated_at": NOW},
                ).scalar_one()
            )
        reminders, checkins = [], []
        for treatment_id, offset in zip(treatment_ids, (0, 250, 500), strict=True):
            for weeks in (2, 8, 12, 52):
                due = datetime.combine(first_day, datetime.min.time(), UTC) + timedelta(
                    days=offset + 7 * weeks
                )
                reminders.append(
                    {"clinic_id": clinic_id, "patient_id": patient_id, "kind": "milestone"}
                    | {"treatment_id": treatment_id, "milestone_weeks": weeks, "due_at": due}
                    | {"next_attempt_at": due, "window_closes_at": due + timedelta(days=15)}
                    | {"status": "completed" if due < NOW else "scheduled", "attempts": 1}
                    | {"last_error": "", "created_at": NOW, "updated_at": NOW}
                )
        for day in range(200):
            treatment_id = treatment_ids[min(day * 3 // 200, 2)]
            checkins.append(
                {"clinic_id": clinic_id, "patient_id": patient_id, "treatment_id": treatment_id}
                | {"recorded_on": first_day + timedelta(days=3 * day + 1), "submitted_at": NOW}
                | {"source": "email_link", "pain": day % 8, "stiffness": day % 6}
                | {"morning_stiffness_minutes": 10 + day % 30, "swelling": day % 4}
                | {"adverse_event": False, "adverse_event_details": "", "notes": "膝は楽です"}
            )
        connection.execute(insert(Reminder), reminders)
        connection.execute(insert(CheckIn), checkins)
        connection.execute(
            insert(Flag),
            [
                {"clinic_id": clinic_id, "patient_id": patient_id, "treatment_id": treatment_id}
                | {"kind": "booster_window", "status": "resolved", "evidence": {"rise": 3}}
                | {"opened_at": NOW, "updated_at": NOW, "resolved_at": NOW, "note": ""}
                for treatment_id in treatment_ids[:2]
            ],
        )
    return patient_id


def measure_everything(name: str, client, token: str, patient_id: int) -> tuple:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/fhir/Patient/{patient_id}/$everything"
    samples, entries = [], 0
    for number in range(WARM_UP + EVERYTHING_CALLS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, body[:500]
        if number >= WARM_UP:
            samples.append(elapsed)
    entries = len(json.loads(body)["entry"])
    p50, p95 = percentiles(samples)
    met = p95 < EVERYTHING_P95_MS
    print(f"[{name}] $everything: {entries} resources, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    return (
        name,
        f"$everything ({entries} resources)",
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms",
        f"p95 < {EVERYTHING_P95_MS:.0f} ms",
        "ok" if met else "MISSED",
    )


def run_export_subprocess(url: str, token: str, export: str) -> dict:
    """Run one export in a fresh interpreter; return its count, seconds and peak RSS."""
    output = subprocess.run(
        [sys.executable, __file__, "--measure-export", export, "--db-url", url, "--token", token],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_export_here(url: str, token: str, export: str) -> None:
    """Read one whole streamed export through the app; print what it cost, as JSON."""
    app = bench_app(url)
    client = app.test_client()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(
        EXPORTS[export], headers={"Authorization": f"Bearer {token}"}, buffered=False
    )
    lines = size = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    count = lines - 1 if export == "csv" else lines  # the CSV's header is no record
    print(
        json.dumps(
            {"count": count, "seconds": seconds, "bytes": size}
            | {"rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024}
        )
    )


def export_lines(name: str, url: str, token: str, patients: int) -> dict[str, dict]:
    found = {}
    for export in EXPORTS:
        result = run_export_subprocess(url, token, export)
        unit = "resources" if export == "fhir" else "rows"
        print(
            f"[{name}] {EXPORTS[export]} at {patients:,} patients: {result['count']:,} {unit}"
            f" in {result['seconds']:.1f} s = {result['count'] / result['seconds']:,.0f} {unit}/s,"
            f" {result['bytes'] / 1e6:.0f} MB, peak RSS {result['peak_rss_mb']:.0f} MB"
            f" (after start-up {result['rss_before_mb']:.0f} MB)"
        )
        found[export] = result
    return found


def run_backend(name: str, url: str, small_size: int, large_size: int) -> list[tuple]:
    app = bench_app(url)
    results = []
    with app.app_context():
        db.create_all()
        clinic_id, owners, _, token = setup_clinic()
        started = time.perf_counter()
        populate(0, small_size, clinic_id, owners)
        print(f"[{name}] built {small_size:,} patients in {time.perf_counter() - started:.0f} s")
        small = export_lines(name, url, token, small_size)
        started = time.perf_counter()
        populate(small_size, large_size, clinic_id, owners)
        print(f"[{name}] built {large_size:,} patients in {time.perf_counter() - started:.0f} s")
        large = export_lines(name, url, token, large_size)
        patient_id = add_followed_patient(clinic_id)
        assert db.session.scalar(select(Patient.id).where(Patient.id == patient_id))
        results.append(measure_everything(name, app.test_client(), token, patient_id))
        for export in EXPORTS:
            grown = large[export]["peak_rss_mb"] - large[export]["rss_before_mb"]
            base = small[export]["peak_rss_mb"] - small[export]["rss_before_mb"]
            ratio = large[export]["peak_rss_mb"] / small[export]["peak_rss_mb"]
            results.append(
                (
                    name,
                    f"{export} peak RSS {large_size:,} vs {small_size:,}",
                    f"{small[export]['peak_rss_mb']:.0f} -> {large[export]['peak_rss_mb']:.0f} MB"
                    f" (+{base:.0f} / +{grown:.0f} MB over start-up)",
                    f"< {FLAT_MEMORY_RATIO}x",
                    "ok" if ratio < FLAT_MEMORY_RATIO else "MISSED",
                )
            )
            unit = "resources/s" if export == "fhir" else "rows/s"
            rate = large[export]["count"] / large[export]["seconds"]
            results.append(
                (name, f"{export} rate at {large_size:,}", f"{rate:,.0f} {unit}", "", "")
            )
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument(
        "--sizes",
        default=f"{SMALL},{LARGE}",
        help="the two clinic sizes in patients (default 5000,20000; a quick run: 1000,4000)",
    )
    parser.add_argument("--measure-export", choices=tuple(EXPORTS), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure_export:
        measure_export_here(options.db_url, options.token, options.measure_export)
        return 0
    small_size, large_size = (int(size) for size in options.sizes.split(","))
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = on_each_backend(
        options.backend,
        options.pg_url,
        "bench_exports",
        lambda name, url: run_backend(name, url, small_size, large_size),
    )
    print()
    for backend, measure, figures, target, result in results:
        print(f"{backend:<11}{measure:<34}{figures:<44}{target:<16}{result}")
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
