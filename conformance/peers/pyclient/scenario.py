#!/usr/bin/env python3
"""Drives python-engineio's client through one scenario against a server,
for recording conformance traces through `eio proxy`.

    /usr/bin/python3 scenario.py --url http://127.0.0.1:PORT SCENARIO

The client is engineio.Client, the synchronous client of Debian's
python3-engineio (4.3.4; it needs python3-requests and
python3-websocket). The scenarios mirror those of ../jsclient/scenario.js
and expect the echo peers of ../node6 (see ../README.md). The process
exits 0 once the session closed as the scenario expects, 1 otherwise, and
gives up after --timeout milliseconds (default 10000).
"""

import argparse
import os
import sys
import threading

import engineio


def log(msg):
    sys.stderr.write("scenario: %s\n" % msg)
    sys.stderr.flush()


class Session:
    """Wraps a client with waits for the events scenarios need."""

    def __init__(self, client):
        self.client = client
        self.messages = []
        self.cond = threading.Condition()
        self.closed = threading.Event()
        client.on("message", self._on_message)
        client.on("disconnect", self._on_disconnect)

    def _on_message(self, data):
        with self.cond:
            self.messages.append(data)
            self.cond.notify_all()

    def _on_disconnect(self):
        self.closed.set()
        with self.cond:
            self.cond.notify_all()

    def messages_at_least(self, n, timeout):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.messages) >= n or self.closed.is_set(), timeout):
                raise TimeoutError("waiting for %d messages" % n)
            if len(self.messages) < n:
                raise RuntimeError("closed after %d of %d messages" % (len(self.messages), n))


def echo(transports):
    def run(s, timeout):
        s.client.send("hello")
        s.messages_at_least(1, timeout)
        s.client.send("second")
        s.messages_at_least(2, timeout)
        s.client.disconnect()
    return transports, run


def upgrade():
    # python-engineio's client probes and upgrades inside connect(), so the
    # first message already goes over the WebSocket.
    def run(s, timeout):
        if s.client.transport() != "websocket":
            raise RuntimeError("not upgraded: transport %s" % s.client.transport())
        s.client.send("hello")
        s.messages_at_least(1, timeout)
        s.client.send("after upgrade")
        s.messages_at_least(2, timeout)
        s.client.disconnect()
    return ["polling", "websocket"], run


def server_close(transports):
    def run(s, timeout):
        s.client.send("cmd:close")
        if not s.closed.wait(timeout):
            raise TimeoutError("the server did not close the session")
    return transports, run


SCENARIOS = {
    "polling": echo(["polling"]),
    "websocket": echo(["websocket"]),
    "upgrade": upgrade(),
    "server-close": server_close(["polling"]),
    "server-close-websocket": server_close(["websocket"]),
}


def main(argv):
    p = argparse.ArgumentParser(prog="scenario.py")
    p.add_argument("--url", required=True)
    p.add_argument("--timeout", type=int, default=10000, help="milliseconds")
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    cfg = p.parse_args(argv)
    timeout = cfg.timeout / 1000.0

    # A watchdog: the synchronous client can block in a request.
    def give_up():
        log("%s: timed out" % cfg.scenario)
        os._exit(1)
    timer = threading.Timer(timeout, give_up)
    timer.daemon = True
    timer.start()

    transports, run = SCENARIOS[cfg.scenario]
    client = engineio.Client(request_timeout=timeout, handle_sigint=False)
    s = Session(client)
    try:
        client.connect(cfg.url, transports=transports)
        run(s, timeout)
        client.wait()
    except Exception as err:  # noqa: BLE001 - report and fail
        log("%s: %s: %s" % (cfg.scenario, type(err).__name__, err))
        os._exit(1)
    timer.cancel()
    log("%s: closed, %d messages" % (cfg.scenario, len(s.messages)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
