"""`make run`: the web app, the scheduler and a local SMTP sink together; Ctrl-C stops all three."""

import os
import signal
import subprocess
import sys
import time

PROCESSES = {
    "smtp": [
        sys.executable,
        "-m",
        "tracker.devmail",
        "--port",
        "8025",
        "--folder",
        "instance/mailbox",
    ],
    "scheduler": [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
    "web": [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        "5000",
    ],
}


def stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C (SIGINT) or a SIGTERM stops all three, even when started from a script.
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    env = {**os.environ, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "8025", "PYTHONUNBUFFERED": "1"}
    running: dict[str, subprocess.Popen] = {}
    try:
        for name, command in PROCESSES.items():
            running[name] = subprocess.Popen(command, env=env)  # noqa: S603
            time.sleep(0.5)
        print(
            "\nFollow-up tracker: http://127.0.0.1:5000  (mailbox: /dev/mailbox)  Ctrl-C stops.\n",
            flush=True,
        )
        while all(process.poll() is None for process in running.values()):
            time.sleep(0.5)
        stopped = [name for name, process in running.items() if process.poll() is not None]
        print(f"{', '.join(stopped)} stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
