"""Several web workers share one login counter when the limits live in Redis."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import IN_CI
from tests.login_worker import ACCOUNT_PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent
EMAIL = "doctor@example.org"


@pytest.fixture
def redis_key_prefix():
    """A key prefix of this test's own in the local Redis, its keys deleted afterwards."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.ConnectionError as error:
        connection.close()
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {REDIS_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    prefix = f"test-shared-limit-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def worker_signs_in(database: Path, storage_uri: str, prefix: str, *passwords: str) -> list[int]:
    """Run one web worker process; return the status of each sign-in it tried."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.login_worker", f"sqlite:///{database}", storage_uri, prefix]
        + [EMAIL, *passwords],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_workers_count_failed_sign_ins_against_one_shared_limit(tmp_path, redis_key_prefix):
    database = tmp_path / "tracker.db"

    first = worker_signs_in(database, REDIS_URL, redis_key_prefix, "wrong 1", "wrong 2", "wrong 3")
    second = worker_signs_in(
        database, REDIS_URL, redis_key_prefix, "wrong 4", "wrong 5", ACCOUNT_PASSWORD
    )

    assert first == [200, 200, 200]
    assert second == [200, 200, 429]


def test_memory_storage_gives_each_worker_its_own_counter(tmp_path):
    """Why production refuses memory:// with several workers: each forgets the other's failures."""
    database = tmp_path / "tracker.db"
    wrong = [f"wrong {attempt}" for attempt in range(5)]

    first = worker_signs_in(database, "memory://", "memory", *wrong)
    second = worker_signs_in(database, "memory://", "memory", *wrong)

    # Ten wrong passwords were checked against a limit of five.
    assert first == second == [200] * 5
