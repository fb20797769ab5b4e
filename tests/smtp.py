"""A real SMTP server for the tests (aiosmtpd), on a port the test owns from the start: while
the sink is "down" the port is bound but not listening, so a connection is refused at once;
brought up, it listens on that same port. It records every message it accepts and can refuse
recipients, answer "try later", or wait before answering."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class SinkHandler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        # address -> the answer to RCPT TO (e.g. "550 5.1.1 No such user here")
        self.refuse: dict[str, str] = {}
        self.delay_seconds = 0.0
        self.after_data = None  # called in the server's thread once a message is accepted
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message_from_bytes(envelope.content, policy=policy.default),
        )
        with self.lock:
            self.received.append(received)
        if self.after_data is not None:
            self.after_data(received)
        return "250 Message accepted for delivery"


class _BoundController(Controller):
    """aiosmtpd's controller, serving on a socket bound beforehand (its documented hook)."""

    def __init__(self, handler, sock: socket.socket) -> None:
        self._sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class SmtpSink:
    def __init__(self) -> None:
        # aiosmtpd logs every command at INFO: a line per message part, in the tests' output.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = SinkHandler()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._controller: _BoundController | None = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def up(self) -> None:
        if self._controller is None:
            self._controller = _BoundController(self.handler, self._sock)
            self._controller.start()

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._sock.close()


def serve() -> None:
    """`python -m tests.smtp`: a sink in a process of its own (the benchmark's server, so that
    it shares no interpreter lock with the sender). Prints its port; on SIGTERM prints how many
    messages it took and exits."""
    import signal
    import sys
    import threading

    sink = SmtpSink()
    sink.up()
    print(sink.port, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    print(len(sink.received), flush=True)
    sink.close()
    sys.exit(0)


if __name__ == "__main__":
    serve()
