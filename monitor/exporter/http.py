"""The exporter's HTTP server: bounded workers, a whole-request deadline, a per-client bound.

prometheus-client's own server (and wsgiref's) give each connection a thread for as long as the
client likes. A client that finishes the TLS handshake and then sends one byte every few seconds
never trips a per-read timeout, so 32 of them held every worker and took ``/metrics`` and the
liveness probe down without credentials (issue 25). Here:

- ``accept()`` returns a plain socket at once; a worker from a bounded pool does the TLS handshake
  (under ``handshake_timeout``) and reads the request (each read under ``read_timeout``);
- the whole request (handshake, request line, headers, the answer written back) must finish
  within ``request_timeout`` from accept: a reaper thread shuts the socket down at the deadline,
  which ends whatever read or write the worker is blocked in;
- one client address holds at most ``per_client`` connections that have not yet sent their whole
  request (the handshake and request stage, where a slow client stays); more are closed at once,
  as are connections beyond the pool (never queued behind busy workers). Fast clients leave that
  stage within milliseconds, so one address may still scrape at 100 requests a second;
- errors of a client (disconnects, resets, timeouts, bad TLS) are one log line each, never a
  traceback on stderr.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

__all__ = ["ExporterServer"]

log = logging.getLogger("tailwatch.exporter")

# How often the same refusal is logged at most (an attacker must not flood the log).
_WARN_EVERY_SECONDS = 60.0


def _cause(error: BaseException) -> str:
    """One line: the error's type and first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class _OneLineHandler(ServerHandler):
    """wsgiref's handler, except that a failed request is one log line, not a traceback."""

    def log_exception(self, exc_info: Any) -> None:
        error = exc_info[1]
        if isinstance(error, OSError):  # the client went away or stalled mid-answer
            log.info("client disconnected", extra={"error": _cause(error)})
        else:
            log.error("request failed", extra={"error": _cause(error)})


class _QuietHandler(WSGIRequestHandler):
    """Access lines at debug level; the request handled by :class:`_OneLineHandler`."""

    server: ExporterServer  # the only server that makes these handlers

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)

    def handle(self) -> None:
        """wsgiref's ``handle`` with :class:`_OneLineHandler` (same checks of the request)."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        self.server.request_read()  # no longer a pending client
        # why (both ignores): typeshed types wfile as BufferedIOBase where ServerHandler wants
        # IO[bytes] (wsgiref passes it so itself), and omits wsgiref's request_handler back-link
        handler = _OneLineHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
            multithread=False,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        app = self.server.get_app()
        if app is None:  # set_app runs before the server serves
            raise RuntimeError("the exporter server has no application")
        handler.run(app)


class _Deadlines:
    """One thread that shuts down connections whose whole-request deadline has passed.

    A connection is registered with its deadline and unregistered (under the same lock) before
    it is closed, so the reaper never touches a closed socket or a reused descriptor.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, name="tailwatch-http-deadlines", daemon=True
        )
        self._thread.start()

    def add(self, key: int, connection: socket.socket, deadline: float) -> None:
        with self._lock:
            self._due[key] = (deadline, connection)
        self._wake.set()

    def replace(self, key: int, connection: socket.socket) -> None:
        """The same connection under a new object (the TLS-wrapped socket)."""
        with self._lock:
            if key in self._due:
                self._due[key] = (self._due[key][0], connection)

    def remove(self, key: int) -> None:
        with self._lock:
            self._due.pop(key, None)

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.clear()
            now = time.monotonic()
            with self._lock:
                expired = [k for k, (deadline, _) in self._due.items() if deadline <= now]
                for key in expired:
                    _, connection = self._due.pop(key)
                    # The plain socket's shutdown (not TLS's): it ends a blocked read or write.
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(connection, socket.SHUT_RDWR)
                wait = min((d for d, _ in self._due.values()), default=now + 1.0) - now
            if expired:
                log.info("request deadline passed", extra={"connections_closed": len(expired)})
            self._wake.wait(max(0.01, min(wait, 1.0)))


class ExporterServer(WSGIServer):
    """A WSGI server that hands each connection to a bounded pool of worker threads.

    ``accept()`` returns a plain socket at once; the worker does the TLS handshake (under
    ``handshake_timeout``) and reads the request (each read under ``read_timeout``, the whole
    request under ``request_timeout``), so a silent or slow client only ever holds its own worker
    for a bounded time. When every worker is busy, or the client's address already holds
    ``per_client`` connections still sending their request, a new connection is closed at once
    rather than queued.
    """

    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        tls: ssl.SSLContext | None,
        *,
        workers: int,
        handshake_timeout: float,
        read_timeout: float,
        request_timeout: float | None = None,
        per_client: int | None = None,
    ) -> None:
        self.tls = tls
        self.handshake_timeout = handshake_timeout
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout or handshake_timeout + read_timeout
        self.per_client = per_client or workers
        self._slots = threading.BoundedSemaphore(workers)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="tailwatch-http")
        self._pending: dict[str, int] = {}  # per address: connections still sending a request
        self._pending_keys: dict[int, str] = {}
        self._clients_lock = threading.Lock()
        self._local = threading.local()
        self._deadlines = _Deadlines()
        self._warned: dict[str, float] = {}
        self._next_key = 0
        super().__init__(address, _QuietHandler)

    def _warn(self, reason: str, client: str) -> None:
        """Log a refusal, at most once a minute per reason."""
        now = time.monotonic()
        if now - self._warned.get(reason, -_WARN_EVERY_SECONDS) >= _WARN_EVERY_SECONDS:
            self._warned[reason] = now
            log.warning(
                "connection refused",
                extra={"reason": reason, "client": client, "repeats_logged_every_seconds": 60},
            )

    def process_request(self, request: Any, client_address: Any) -> None:
        client = str(client_address[0]) if isinstance(client_address, tuple) else ""
        with self._clients_lock:
            if self._pending.get(client, 0) >= self.per_client:
                refused = "this client address holds its most connections still sending a request"
            elif not self._slots.acquire(blocking=False):
                refused = "every exporter worker is busy"
            else:
                refused = ""
                self._pending[client] = self._pending.get(client, 0) + 1
                self._next_key += 1
                key = self._next_key
                self._pending_keys[key] = client
        if refused:
            self._warn(refused, client)
            self.shutdown_request(request)
            return
        self._deadlines.add(key, request, time.monotonic() + self.request_timeout)
        self._pool.submit(self._serve_one, request, client_address, client, key)

    def request_read(self) -> None:
        """The worker's connection sent its whole request: it no longer counts as pending."""
        key = getattr(self._local, "key", None)
        if key is not None:
            self._settle(key)

    def _settle(self, key: int) -> None:
        with self._clients_lock:
            client = self._pending_keys.pop(key, None)
            if client is None:
                return
            left = self._pending.get(client, 1) - 1
            if left > 0:
                self._pending[client] = left
            else:
                self._pending.pop(client, None)

    def _serve_one(
        self, request: socket.socket, client_address: Any, client: str, key: int
    ) -> None:
        connection: socket.socket = request
        self._local.key = key
        try:
            connection.settimeout(self.handshake_timeout)
            if self.tls is not None:
                connection = self.tls.wrap_socket(request, server_side=True)
                self._deadlines.replace(key, connection)
            connection.settimeout(self.read_timeout)
            self.finish_request(connection, client_address)
        except (OSError, ssl.SSLError) as error:  # timeouts, resets, deadlines, bad handshakes
            log.debug("connection dropped", extra={"client": client, "error": _cause(error)})
        except Exception as error:  # one line, never a traceback on stderr
            log.error("request failed", extra={"client": client, "error": _cause(error)})
        finally:
            self._local.key = None
            self._deadlines.remove(key)
            self.shutdown_request(connection)
            self._settle(key)
            self._slots.release()

    def pending(self) -> dict[str, int]:
        """Connections per client address still sending their request (tests read it)."""
        with self._clients_lock:
            return dict(self._pending)

    def server_close(self) -> None:
        super().server_close()
        self._deadlines.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
