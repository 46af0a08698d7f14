"""A real SMTP server (aiosmtpd) on 127.0.0.1 for delivery tests, with scripted refusals."""

import asyncio
import socket
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    """Accept messages and keep them; refuse the recipients a test names."""

    def __init__(self):
        self.messages = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 No such user"
        self.data_reply: str | None = None
        self.seconds_per_message = 0.0  # a slow server: each DATA takes this long to answer
        self.while_receiving = None  # called with each envelope before it is accepted

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.seconds_per_message:
            await asyncio.sleep(self.seconds_per_message)
        if self.while_receiving is not None:
            self.while_receiving(envelope)
        if self.data_reply:
            return self.data_reply
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def to(self, address: str):
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp_server(app, no_unexpected_smtp):
    """A running SMTP server the app sends to; stop() and start() it to simulate an outage."""
    server = SmtpServer(free_port())
    no_unexpected_smtp.add(server.port)
    saved = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", server.port
    server.start()
    yield server
    server.stop()
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = saved
