"""`make run`: the web app, the scheduler and a local SMTP sink together; Ctrl-C stops all three.

WEB_PORT (5000) and MAIL_PORT (8025) choose the ports, so two checkouts can run side by side.
"""

import os
import signal
import subprocess
import sys
import time


def web_port() -> str:
    return os.environ.get("WEB_PORT", "5000")


def mail_port() -> str:
    return os.environ.get("MAIL_PORT", "8025")


def commands() -> dict[str, list[str]]:
    """The three processes, in start order."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    return {
        "smtp": [
            sys.executable,
            "-m",
            "tracker.devmail",
            "--port",
            mail_port(),
            "--folder",
            "instance/mailbox",
        ],
        "scheduler": [*flask, "scheduler"],
        "web": [*flask, "run", "--host", "127.0.0.1", "--port", web_port()],
    }


def mail_environment() -> dict[str, str]:
    """The environment of the three: the app sends to the sink, output is never buffered."""
    return {
        **os.environ,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mail_port(),
        "PYTHONUNBUFFERED": "1",
    }


def stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C (SIGINT) or a SIGTERM stops all three, even when started from a script.
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    env = mail_environment()
    running: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands().items():
            running[name] = subprocess.Popen(command, env=env)  # noqa: S603
            time.sleep(0.5)
        print(
            f"\nFollow-up tracker: http://127.0.0.1:{web_port()}"
            f"  (mailbox: http://127.0.0.1:{web_port()}/dev/mailbox,"
            f" SMTP sink on 127.0.0.1:{mail_port()})  Ctrl-C stops.\n",
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
