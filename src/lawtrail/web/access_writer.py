"""The server's access writer: one process that appends the access entries of every worker
(issue #18).

Every view of a case appends an access entry and answers only once it is durable. In a worker
process that entry's transaction was committed by a thread competing for the interpreter lock
with the worker's busy request threads: each of its statements waited for the lock again while
holding the log's write lock, so the other workers' entries queued behind it, and page views
spent most of their time waiting for their entry's commit (the case page served 2.3 times as
many requests per second without the access entry as with it). As CT logs and Tessera separate
the sequencer from the frontends, ``lawtrail serve`` starts this process beside its workers:

- it runs a :class:`~lawtrail.ledger.groupcommit.GroupCommitter` — all workers' entries of the
  moment in one transaction, with their rows of the access log's index — on an interpreter
  nobody else uses;
- a worker's thread sends the entry over a Unix socket (one line of JSON) and waits for the
  receipt, which the writer sends only once the transaction has committed: an access is still
  durable before its view answers, and a failed commit fails the view, as before;
- a worker that cannot reach the writer (not started, or gone) appends the entry itself, as
  without a writer. If the connection breaks after the writer committed but before its receipt
  arrived, the worker appends the entry again: the access log may then hold one view twice,
  never miss one.

The socket lives in a private (0700) directory; the writer stops with the server, and on its
own when the server's process is gone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from lawtrail.ledger.log import NewEntry, Receipt

log = logging.getLogger(__name__)

SOCKET_ENV = "LAWTRAIL_ACCESS_WRITER"
# How long a worker waits for a receipt: longer than any commit the database allows (the group
# committer's own limit), so that a slow commit is not mistaken for a lost writer.
REPLY_SECONDS = 130.0


class Appender(Protocol):
    def append(self, agency: str, entry: NewEntry) -> Receipt: ...


class WriterError(RuntimeError):
    """The writer's transaction failed (the error it reported)."""


# --------------------------------------------------------------------------- the protocol


def encode_entry(agency: str, entry: NewEntry) -> bytes:
    message = {
        "agency": agency,
        "case_number": entry.case_number,
        "type": entry.type,
        "ref": entry.ref,
        "body": entry.body,
        "actor": entry.actor,
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode_entry(line: bytes) -> tuple[str, NewEntry]:
    message = json.loads(line)
    entry = NewEntry(
        str(message["case_number"]),
        str(message["type"]),
        str(message["ref"]),
        dict(message["body"]),
        str(message.get("actor", "")),
    )
    return str(message["agency"]), entry


def encode_receipt(receipt: Receipt) -> bytes:
    reply = {
        "agency": receipt.agency,
        "seq": receipt.seq,
        "leaf_hash": receipt.leaf_hash.hex(),
        "recorded_at": receipt.recorded_at.isoformat(),
        "checkpoint_size": receipt.checkpoint_size,
    }
    return json.dumps(reply).encode("ascii") + b"\n"


def decode_receipt(line: bytes) -> Receipt:
    reply: dict[str, Any] = json.loads(line)
    if "error" in reply:
        raise WriterError(str(reply["error"]))
    size = reply["checkpoint_size"]
    return Receipt(
        str(reply["agency"]),
        int(reply["seq"]),
        bytes.fromhex(reply["leaf_hash"]),
        datetime.fromisoformat(reply["recorded_at"]),
        None if size is None else int(size),
    )


# --------------------------------------------------------------------------- the writer


class _Handler(socketserver.StreamRequestHandler):
    """One worker thread's connection: entries in, receipts (or the error) out, in order."""

    server: _Server

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections.add(self.connection)
        try:
            self._serve()
        except OSError:  # the worker or the writer closed the connection
            pass
        finally:
            with self.server.lock:
                self.server.connections.discard(self.connection)

    def _serve(self) -> None:
        for line in self.rfile:
            try:
                agency, entry = decode_entry(line)
                reply = encode_receipt(self.server.appender.append(agency, entry))
            except Exception as exc:  # the view fails with it, as its own append would
                reply = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n"
            self.wfile.write(reply)
            self.wfile.flush()


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = 128  # every thread of every worker may connect at once
    appender: Appender

    def __init__(self, path: str, handler: type[socketserver.BaseRequestHandler]) -> None:
        # Before the socket is bound: a bind that fails closes the server at once, and
        # server_close reads these (the bind's error, not an AttributeError, is what is raised).
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        super().__init__(path, handler)

    def server_close(self) -> None:
        """Stop listening and end every worker's connection (they append themselves next)."""
        super().server_close()
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


def serve(path: str, appender: Appender) -> _Server:
    """Listen on ``path`` (a new socket, owner-only) and append what arrives with ``appender``
    until :meth:`shutdown`; returns the running server (its loop on a thread of its own)."""
    old = os.umask(0o077)
    try:
        server = _Server(path, _Handler)
    finally:
        os.umask(old)
    server.appender = appender
    threading.Thread(
        target=server.serve_forever, name="lawtrail-access-writer", daemon=True
    ).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """``python -m lawtrail.web.access_writer SOCKET PARENT_PID``: the writer process of the
    server whose process is PARENT_PID (it stops when that process is gone)."""
    args = sys.argv[1:] if argv is None else argv
    path, parent = args[0], int(args[1])
    from lawtrail import web_cli

    web_cli.setup()
    from lawtrail.web import wiring

    # Stopped by the server (SIGTERM): what is queued is committed and signed first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    committer = wiring.start_access_writer()
    server = serve(path, committer)
    print(f"访问记录写入进程已启动：{path}", file=sys.stderr, flush=True)
    try:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
    finally:
        server.shutdown()
        server.server_close()
        committer.stop()
        integrator = wiring.integrator()
        if integrator is not None:
            integrator.stop()
        Path(path).unlink(missing_ok=True)
    return 0


# --------------------------------------------------------------------------- the workers


class WriterClient:
    """A worker's way to the writer: one connection per thread, the worker's own appender
    when the writer cannot be reached."""

    def __init__(self, path: str, fallback: Callable[[], Appender]) -> None:
        self.path = path
        self._fallback = fallback
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[Any, socket.socket]] = []
        self._warned = False

    def _file(self) -> Any:
        stream = getattr(self._local, "stream", None)
        if stream is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                # Blocking: with many threads connecting at once (a worker's start) a full
                # backlog makes a connect in timeout mode fail at once (EAGAIN); this one waits.
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
            sock.settimeout(REPLY_SECONDS)
            stream = sock.makefile("rwb")
            self._local.stream, self._local.sock = stream, sock
            with self._lock:
                self._open.append((stream, sock))
        return stream

    def _drop(self) -> None:
        """Close this thread's connection (the next entry opens a new one)."""
        stream, sock = getattr(self._local, "stream", None), getattr(self._local, "sock", None)
        self._local.stream = self._local.sock = None
        if stream is not None:
            with self._lock:
                self._open = [pair for pair in self._open if pair[0] is not stream]
            _close(stream, sock)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            pairs, self._open = self._open, []
        for stream, sock in pairs:
            _close(stream, sock)

    def append(self, agency: str, entry: NewEntry) -> Receipt:
        try:
            stream = self._file()
            stream.write(encode_entry(agency, entry))
            stream.flush()
            line = stream.readline()
            if not line:
                raise ConnectionError("the access writer closed the connection")
        except OSError as exc:
            self._drop()
            if not self._warned:
                log.warning("access writer %s unreachable (%s): appending here", self.path, exc)
                self._warned = True
            return self._fallback().append(agency, entry)
        return decode_receipt(line)


def _close(*closables: Any) -> None:
    for closable in closables:
        if closable is not None:
            with contextlib.suppress(OSError):
                closable.close()


if __name__ == "__main__":
    raise SystemExit(main())
