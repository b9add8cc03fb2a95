#!/usr/bin/env python3
"""Engine.IO conformance peer on python-engineio (Debian's python3-engineio).

Serves the command vocabulary of ../README.md with the same flags and the
same output contract as the Node peers: after listening, exactly one stdout
line "LISTENING <port>"; everything else goes to stderr. GET /peer/sessions
reports open and closed sessions.

The default async mode is aiohttp (python-engineio's AsyncServer); eventlet
and gevent run the WSGI Server instead, which is where python-engineio 4.3.4
truncates a sub-second ping interval to 0 in the handshake.

Run it with the interpreter Debian's python3-engineio is installed for
(/usr/bin/python3 on Debian).
"""

import argparse
import importlib.metadata
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

MAX_GENERATED = 256 * 1024 * 1024
CLOSED_HISTORY = 100
ASYNC_MODES = ("aiohttp", "eventlet", "gevent")


def log(msg):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    sys.stderr.write("[python] %s %s\n" % (stamp, msg))
    sys.stderr.flush()


def parse_args(argv):
    def non_negative(name, low):
        def conv(value):
            if not value.isdigit():
                raise argparse.ArgumentTypeError("%s needs a non-negative integer, got %r" % (name, value))
            n = int(value)
            if n < low:
                raise argparse.ArgumentTypeError("%s: %s is out of range" % (name, value))
            return n
        return conv

    p = argparse.ArgumentParser(prog="server.py", description="python-engineio conformance peer")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=non_negative("--port", 0), default=0)
    p.add_argument("--path", default="/engine.io")
    p.add_argument("--ping-interval", type=non_negative("--ping-interval", 1), help="milliseconds")
    p.add_argument("--ping-timeout", type=non_negative("--ping-timeout", 1), help="milliseconds")
    p.add_argument("--max-payload", type=non_negative("--max-payload", 1), help="max_http_buffer_size")
    p.add_argument("--transports", help="comma separated, e.g. polling,websocket")
    p.add_argument("--no-upgrades", action="store_true")
    p.add_argument("--allow-eio3", action="store_true",
                   help="accepted for compatibility; python-engineio 4 speaks only v4")
    p.add_argument("--cookie", help="set a cookie NAME=<sid> on the handshake")
    p.add_argument("--upgrade-timeout", type=non_negative("--upgrade-timeout", 1),
                   help="accepted for compatibility; python-engineio 4.3.4 has no such option")
    p.add_argument("--async-mode", choices=ASYNC_MODES, default="aiohttp")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--ignore-stdin", action="store_true")
    cfg = p.parse_args(argv)
    if cfg.port > 65535:
        p.error("port %d is out of range" % cfg.port)
    if not cfg.path.startswith("/"):
        p.error('--path must start with "/"')
    if cfg.path.rstrip("/") == "/peer":
        p.error("--path must not be /peer")
    if cfg.transports is not None:
        cfg.transports = [t.strip() for t in cfg.transports.split(",") if t.strip()]
        if not cfg.transports:
            p.error("--transports needs at least one transport")
    if cfg.cookie == "":
        p.error("--cookie needs a cookie name")
    return cfg


class RawJSON:
    """A json module for python-engineio whose loads always refuses.

    python-engineio JSON-decodes every text message it receives (so the
    text '"x"' would reach the handler as x and be echoed without its
    quotes). The echo peer must hand text back unchanged, so decoding is
    turned off; encoding (the open packet) is the standard one.
    """

    @staticmethod
    def dumps(*args, **kwargs):
        return json.dumps(*args, **kwargs)

    @staticmethod
    def loads(*args, **kwargs):
        raise ValueError("text messages are not decoded")


class SeqTracker:
    """Counts "seq:<key>:<n>" messages of one session (see ../README.md)."""

    def __init__(self):
        self.received = 0
        self.out_of_order = 0
        self.duplicates = 0
        self.malformed = 0
        self.last = {}
        self.seen = {}

    def add(self, body):
        self.received += 1
        key, sep, digits = body.rpartition(":")
        if not sep or not digits.isdigit() or not digits.isascii():
            self.malformed += 1
            return
        n = int(digits)
        seen = self.seen.setdefault(key, set())
        if n in seen:
            self.duplicates += 1
            return
        if n != self.last.get(key, -1) + 1:
            self.out_of_order += 1
        seen.add(n)
        self.last[key] = n

    def to_json(self):
        return {
            "received": self.received,
            "outOfOrder": self.out_of_order,
            "duplicates": self.duplicates,
            "malformed": self.malformed,
            "keys": dict(self.last),
        }


def parse_count(arg):
    if not arg.isdigit() or not arg.isascii():
        return -1
    n = int(arg)
    return n if n <= MAX_GENERATED else -1


class Peer:
    """The echo application, independent of the async mode.

    handle_message returns a list of actions, ("send", data) or ("close",),
    which the mode-specific glue carries out in order.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.sessions = {}  # sid -> {"stats", "info"}
        self.closed = []
        self.reasons = {}  # sid -> (reason, description) noted before a close
        self.eio = None  # set by the glue
        self.vlog = log if cfg.verbose else (lambda msg: None)

    def note_reason(self, sid, reason, description=None):
        if sid not in self.reasons:
            self.reasons[sid] = (reason, description)

    def transport_of(self, sid):
        sock = self.eio.sockets.get(sid) if self.eio is not None else None
        if sock is None:
            return ""
        return "websocket" if sock.upgraded else "polling"

    def on_connect(self, sid, environ):
        self.sessions[sid] = {"stats": SeqTracker(), "info": handshake_info(environ)}
        self.vlog("open %s transport=%s url=%s" % (
            sid, self.sessions[sid]["info"]["transport"], self.sessions[sid]["info"]["url"]))

    def on_disconnect(self, sid):
        sess = self.sessions.pop(sid, None)
        reason, description = self.reasons.pop(sid, ("transport close", None))
        entry = {"id": sid, "reason": reason, "transport": self.transport_of(sid), "protocol": 4}
        if description:
            entry["description"] = description
        self.closed.append(entry)
        del self.closed[:-CLOSED_HISTORY]
        if sess is not None:
            self.vlog("close %s reason=%s" % (sid, json.dumps(reason)))

    def handle_message(self, sid, data):
        sess = self.sessions.get(sid)
        if isinstance(data, (bytes, bytearray)):
            return [("send", bytes(data))]
        if not isinstance(data, str):  # cannot happen with RawJSON
            data = json.dumps(data, separators=(",", ":"))
        if data.startswith("seq:"):
            if sess is not None:
                sess["stats"].add(data[4:])
            return []
        if data.startswith("cmd:"):
            return self.command(sid, sess, data[4:])
        return [("send", data)]

    def command(self, sid, sess, cmd):
        name, _, arg = cmd.partition(":")
        if name == "stats":
            stats = sess["stats"].to_json() if sess else SeqTracker().to_json()
            return [("send", "stats:" + json.dumps(stats, separators=(",", ":")))]
        if name == "close":
            self.note_reason(sid, "forced close")
            return [("close",)]
        if name == "transport":
            return [("send", "transport:" + self.transport_of(sid))]
        if name == "handshake":
            info = sess["info"] if sess else {}
            return [("send", "handshake:" + json.dumps(info, separators=(",", ":")))]
        if name in ("binary", "large", "burst"):
            n = parse_count(arg)
            if n < 0:
                return [("send", "error:cmd:%s needs a count between 0 and %d, got %s" % (
                    name, MAX_GENERATED, json.dumps(arg)))]
            if name == "binary":
                return [("send", bytes(i & 0xFF for i in range(n)))]
            if name == "large":
                return [("send", "x" * n)]
            return [("send", "burst:%d" % i) for i in range(n)]
        return [("send", "error:unknown command " + json.dumps(cmd))]

    def sessions_body(self):
        return json.dumps({"open": list(self.sessions), "closed": self.closed}).encode()


def handshake_info(environ):
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.lower().replace("_", "-")] = value
    qs = environ.get("QUERY_STRING", "")
    query = {k: v[0] for k, v in urllib.parse.parse_qs(qs, keep_blank_values=True).items()}
    url = environ.get("RAW_URI") or (environ.get("PATH_INFO", "") + ("?" + qs if qs else ""))
    return {"headers": headers, "query": query, "url": url,
            "transport": query.get("transport", ""), "protocol": 4}


def server_kwargs(cfg, engineio_json):
    kw = {
        "async_mode": cfg.async_mode,
        "cors_allowed_origins": "*",
        "json": engineio_json,
        # Handle each message before the next so echoes keep their order.
        "async_handlers": False,
    }
    if cfg.ping_interval is not None:
        kw["ping_interval"] = cfg.ping_interval / 1000.0
    if cfg.ping_timeout is not None:
        kw["ping_timeout"] = cfg.ping_timeout / 1000.0
    if cfg.max_payload is not None:
        kw["max_http_buffer_size"] = cfg.max_payload
    if cfg.transports is not None:
        kw["transports"] = cfg.transports
    if cfg.no_upgrades:
        kw["allow_upgrades"] = False
    if cfg.cookie is not None:
        kw["cookie"] = cfg.cookie
    return kw


def hook_close_reasons(peer, socket_class, exceptions):
    """Wraps python-engineio's socket class so the peer learns why a session
    closes (python-engineio 4.3.4 passes no reason to disconnect handlers)."""
    from engineio import packet

    def ping_expired(sock):
        # The condition check_ping_timeout closes the socket on; noted
        # before the close, which calls the disconnect handler at once.
        return (not sock.closed and sock.last_ping is not None
                and time.time() - sock.last_ping > sock.server.ping_timeout)

    orig_receive = socket_class.receive
    orig_check = socket_class.check_ping_timeout
    orig_post = socket_class.handle_post_request
    is_async = peer.cfg.async_mode == "aiohttp"

    if is_async:
        async def receive(self, pkt):
            if pkt.packet_type == packet.CLOSE:
                peer.note_reason(self.sid, "transport close")
            return await orig_receive(self, pkt)

        async def check_ping_timeout(self):
            if ping_expired(self):
                peer.note_reason(self.sid, "ping timeout")
            return await orig_check(self)

        async def handle_post_request(self, environ):
            try:
                return await orig_post(self, environ)
            except exceptions.ContentTooLongError:
                peer.note_reason(self.sid, "transport error", "payload too large")
                raise
    else:
        def receive(self, pkt):
            if pkt.packet_type == packet.CLOSE:
                peer.note_reason(self.sid, "transport close")
            return orig_receive(self, pkt)

        def check_ping_timeout(self):
            if ping_expired(self):
                peer.note_reason(self.sid, "ping timeout")
            return orig_check(self)

        def handle_post_request(self, environ):
            try:
                return orig_post(self, environ)
            except exceptions.ContentTooLongError:
                peer.note_reason(self.sid, "transport error", "payload too large")
                raise

    socket_class.receive = receive
    socket_class.check_ping_timeout = check_ping_timeout
    socket_class.handle_post_request = handle_post_request


def watch_stdin(cfg):
    """The parent holds our stdin open; EOF means it went away."""
    if cfg.ignore_stdin:
        return

    def gone():
        log("stdin closed, exiting")
        os._exit(0)

    if cfg.async_mode == "gevent":
        # A greenlet with gevent's non-blocking read: gevent's monkey
        # patching makes a real thread unusable here.
        import gevent
        from gevent import os as gevent_os

        def run_green():
            gevent_os.make_nonblocking(0)
            try:
                while gevent_os.nb_read(0, 4096):
                    pass
            except OSError:
                pass
            gone()

        gevent.spawn(run_green)
        return

    def run():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        gone()

    thread_class = threading.Thread
    if cfg.async_mode == "eventlet":
        # A real OS thread, not a green one, under monkey patching.
        import eventlet.patcher
        thread_class = eventlet.patcher.original("threading").Thread
    thread_class(target=run, daemon=True).start()


def announce(cfg, port, mode):
    sys.stdout.write("LISTENING %d\n" % port)
    sys.stdout.flush()
    log("python-engineio %s (%s) listening on http://%s:%d%s" % (
        importlib.metadata.version("python-engineio"), mode, cfg.host, port, cfg.path))
    watch_stdin(cfg)


def run_aiohttp(cfg):
    import asyncio
    import engineio
    from engineio import asyncio_socket, exceptions
    from aiohttp import web

    peer = Peer(cfg)
    eio = engineio.AsyncServer(**server_kwargs(cfg, RawJSON))
    peer.eio = eio
    hook_close_reasons(peer, asyncio_socket.AsyncSocket, exceptions)

    async def connect(sid, environ):
        peer.on_connect(sid, environ)

    async def disconnect(sid):
        peer.on_disconnect(sid)

    async def message(sid, data):
        for action in peer.handle_message(sid, data):
            if action[0] == "send":
                await eio.send(sid, action[1])
            else:
                # disconnect waits until the close packet is polled; do not
                # hold up this session's receive loop meanwhile.
                eio.start_background_task(eio.disconnect, sid)

    eio.on("connect", connect)
    eio.on("disconnect", disconnect)
    eio.on("message", message)

    async def sessions(request):
        return web.Response(body=peer.sessions_body(), content_type="application/json",
                            headers={"Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_get("/peer/sessions", sessions)
    eio.attach(app, engineio_path=cfg.path)

    async def main():
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, cfg.host, cfg.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        announce(cfg, port, "aiohttp")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        peer.vlog("shutting down")
        for sid in list(peer.sessions):
            peer.note_reason(sid, "forced close")
        try:
            await asyncio.wait_for(eio.disconnect(), 1.0)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        os._exit(0)

    asyncio.run(main())


def run_wsgi(cfg):
    if cfg.async_mode == "eventlet":
        import eventlet
        eventlet.monkey_patch()
    else:
        from gevent import monkey
        monkey.patch_all()
    import engineio
    from engineio import socket as eio_socket, exceptions

    peer = Peer(cfg)
    eio = engineio.Server(**server_kwargs(cfg, RawJSON))
    peer.eio = eio
    hook_close_reasons(peer, eio_socket.Socket, exceptions)

    def message(sid, data):
        for action in peer.handle_message(sid, data):
            if action[0] == "send":
                eio.send(sid, action[1])
            else:
                eio.start_background_task(eio.disconnect, sid)

    eio.on("connect", peer.on_connect)
    eio.on("disconnect", peer.on_disconnect)
    eio.on("message", message)

    def other(environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == "/peer/sessions":
            body = peer.sessions_body()
            start_response("200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    app = engineio.WSGIApp(eio, other, engineio_path=cfg.path.strip("/"))

    def shutdown(*_):
        os._exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, shutdown)

    if cfg.async_mode == "eventlet":
        import eventlet.wsgi
        sock = eventlet.listen((cfg.host, cfg.port))
        announce(cfg, sock.getsockname()[1], "eventlet")
        eventlet.wsgi.server(sock, app, log_output=False)
    else:
        from gevent import pywsgi
        from geventwebsocket.handler import WebSocketHandler
        server = pywsgi.WSGIServer((cfg.host, cfg.port), app, handler_class=WebSocketHandler, log=None)
        server.start()
        announce(cfg, server.server_port, "gevent")
        server.serve_forever()


def main():
    cfg = parse_args(sys.argv[1:])
    if cfg.allow_eio3:
        log("--allow-eio3 ignored: python-engineio 4 speaks only protocol v4")
    if cfg.upgrade_timeout is not None:
        log("--upgrade-timeout ignored: python-engineio 4.3.4 has no upgrade timeout option")
    try:
        if cfg.async_mode == "aiohttp":
            run_aiohttp(cfg)
        else:
            run_wsgi(cfg)
    except OSError as e:
        # The Go launcher looks for EADDRINUSE to retry a held port.
        log("server error: %s%s" % (e, " (EADDRINUSE)" if e.errno == 98 else ""))
        sys.exit(1)


if __name__ == "__main__":
    main()
