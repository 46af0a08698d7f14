"""A counting SMTP sink for benchmarks: accepts every message and keeps nothing."""

import sys
import time

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return "250 OK"


if __name__ == "__main__":
    port = int(sys.argv[1])
    controller = Controller(CountingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
