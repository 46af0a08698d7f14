"""Benchmark the outbox dispatcher against plain smtplib, and the claim pass on a large table.

Prints messages per second for 5,000 due reminders sent through the dispatcher to a local SMTP
sink, and, in the same run, for plain smtplib sending equally sized prebuilt messages over one
connection to the same sink, a batch of each in turn (target: at least 0.6 of that rate). Then the time of one claim pass
with 100,000 scheduled rows of which 1,000 are due (target: under 50 ms), on SQLite and, when
TEST_DATABASE_URL (or --pg-url) is given, on PostgreSQL.
"""

import argparse  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import smtplib  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, update  # noqa: E402

from config import TestConfig  # noqa: E402
from tests.scratch_databases import create_database, drop_database  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Clinic, Patient, Reminder  # noqa: E402
from tracker.reminders.dispatch import build_message, claim_due, dispatch_due  # noqa: E402

NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
MESSAGES = 5_000
CLAIM_TABLE = 100_000
CLAIM_DUE = 1_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen, int]:
    port = free_port()
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(__file__).with_name("sink.py")), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def make_app(url: str, port: int):
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "DISPATCH_BATCH_SIZE": 500,
        },
    )
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def add_patients(count: int, clinic_id: int) -> list[int]:
    db.session.execute(
        insert(Patient),
        [
            {
                "clinic_id": clinic_id,
                "external_id": f"B-{n}",
                "name": f"Bench Patient {n}",
                "email": f"bench{n}@example.org",
                "timezone": "Asia/Tokyo",
                "language": "en",
                "frozen_doses": 0,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(count)
        ],
    )
    return list(db.session.scalars(select(Patient.id).where(Patient.clinic_id == clinic_id)))


def reminder_rows(patient_ids, due_at, count):
    return [
        {
            "clinic_id": 1,
            "patient_id": patient_ids[n % len(patient_ids)],
            "kind": "confirmation",
            "due_on": due_at.date(),
            "due_at": due_at,
            "next_attempt_at": due_at,
            "status": "scheduled",
            "window_closes_at": due_at + timedelta(days=14),
            "attempts": 0,
            "last_error": "",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(count)
    ]


def bench_dispatch(app, port: int, profile: str | None = None) -> None:
    with app.app_context():
        clinic = Clinic(name="Bench Clinic", timezone="Asia/Tokyo")
        db.session.add(clinic)
        db.session.commit()
        patient_ids = add_patients(MESSAGES, clinic.id)
        db.session.execute(insert(Reminder), reminder_rows(patient_ids, NOW, MESSAGES))
        db.session.commit()
        sample = build_message(db.session.scalars(select(Reminder).limit(1)).one(), NOW)
        sample_bytes = sample.as_bytes()
        db.session.rollback()

        profiler = cProfile.Profile() if profile else None
        # Each pass of the dispatcher alternates with plain smtplib sending as many messages,
        # so that both meet the same load on a shared machine.
        dispatcher_seconds = raw_seconds = dispatcher_cpu = raw_cpu = 0.0
        sent = 0
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
            while True:
                started, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                result = dispatch_due(NOW)
                if profiler:
                    profiler.disable()
                dispatcher_seconds += time.perf_counter() - started
                dispatcher_cpu += time.process_time() - cpu
                if result.claimed == 0:
                    break
                started, cpu = time.perf_counter(), time.process_time()
                for n in range(sent, sent + result.claimed):
                    smtp.sendmail("followup@localhost", [f"bench{n}@example.org"], sample_bytes)
                raw_seconds += time.perf_counter() - started
                raw_cpu += time.process_time() - cpu
                sent += result.sent
        if profiler:
            profiler.dump_stats(profile)
        assert sent == MESSAGES, f"sent {sent}"

    dispatcher_rate = MESSAGES / dispatcher_seconds
    raw_rate = MESSAGES / raw_seconds
    ratio = dispatcher_rate / raw_rate
    print(
        f"  dispatcher: {MESSAGES} messages in {dispatcher_seconds:.2f} s = "
        f"{dispatcher_rate:.0f} msg/s (message size {len(sample_bytes)} bytes)"
    )
    print(f"  plain smtplib, prebuilt, one connection: {raw_rate:.0f} msg/s")
    # CPU time of this process alone (not the sink's nor the database server's): what the
    # dispatcher costs whatever else the machine runs.
    print(
        f"  this process's CPU per message: dispatcher {dispatcher_cpu / MESSAGES * 1000:.3f} ms, "
        f"plain smtplib {raw_cpu / MESSAGES * 1000:.3f} ms"
    )
    print(f"  ratio {ratio:.2f} (target >= 0.60: {'met' if ratio >= 0.6 else 'MISSED'})")


def bench_claim(app) -> None:
    with app.app_context():
        db.session.execute(update(Reminder).values(status="sent"))
        db.session.commit()
        patient_ids = list(db.session.scalars(select(Patient.id)))
        later = NOW + timedelta(days=30)
        rows = reminder_rows(patient_ids, later, CLAIM_TABLE - CLAIM_DUE)
        rows += reminder_rows(patient_ids, NOW, CLAIM_DUE)
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(Reminder), rows[start : start + 10_000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE reminder"))
            db.session.commit()
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            claimed = claim_due(NOW, limit=CLAIM_DUE, lease_seconds=300)
            timings.append((time.perf_counter() - started) * 1000)
            assert len(claimed) == CLAIM_DUE, len(claimed)
            db.session.execute(
                update(Reminder)
                .where(Reminder.id.in_(claimed))
                .values(status="scheduled", next_attempt_at=NOW, attempts=0)
            )
            db.session.commit()
        median = statistics.median(timings)
        print(
            f"  claim pass, {CLAIM_TABLE} scheduled rows, {CLAIM_DUE} due: median {median:.1f} ms "
            f"(min {min(timings):.1f}, max {max(timings):.1f}; target < 50 ms: "
            f"{'met' if median < 50 else 'MISSED'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--dispatch-only", action="store_true", help="skip the claim pass on a large table"
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="write cProfile stats of the dispatcher to PREFIX-sqlite.prof / PREFIX-postgresql.prof",
    )
    args = parser.parse_args()
    sink, port = start_sink()
    try:
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as folder:
                print("SQLite")
                app = make_app(f"sqlite:///{folder}/bench.db", port)
                bench_dispatch(app, port, args.profile and f"{args.profile}-sqlite.prof")
                if not args.dispatch_only:
                    bench_claim(app)
        if args.backend == "sqlite":
            pass
        elif args.pg_url:
            print("PostgreSQL")
            url = create_database(args.pg_url, "tracker_bench")
            try:
                app = make_app(url, port)
                bench_dispatch(app, port, args.profile and f"{args.profile}-postgresql.prof")
                if not args.dispatch_only:
                    bench_claim(app)
                with app.app_context():
                    db.engine.dispose()
            finally:
                drop_database(args.pg_url, url)
        else:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL or --pg-url)")
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
