"""The witness's HTTP interface (standard library ThreadingHTTPServer):

    POST /add-checkpoint   C2SP tlog-witness: ``old N``, proof lines, blank line, checkpoint
                           → 200 cosignature line | 400 malformed | 403 bad signature or key |
                           404 unknown log | 409 old size mismatch (text/x.tlog.size) or fork |
                           422 the consistency proof does not verify
    GET  /alerts           JSON: every alert, newest first (``?unresolved=1``, ``?origin=…``)
    GET  /status           JSON: per log the last cosigned size and time, and the follower's view

Everything but add-checkpoint is read-only.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lawtrail.witness_service.service import Refused, WitnessService

MAX_REQUEST = 64 * 1024


class WitnessHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], service: WitnessService) -> None:
        super().__init__(address, WitnessHandler)
        self.service = service


class WitnessHandler(BaseHTTPRequestHandler):
    server: WitnessHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "lawtrail-witness/1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"[见证服务] {self.address_string()} {format % args}\n")

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        service = self.server.service
        if url.path == "/status":
            self._json(200, service.status())
        elif url.path == "/alerts":
            unresolved = query.get("unresolved", ["0"])[0] in ("1", "true", "yes")
            alerts = service.alerts.alerts(unresolved_only=unresolved)
            origins = query.get("origin")
            if origins:
                alerts = [a for a in alerts if a.origin in origins]
            self._json(
                200,
                {
                    "witness": service.name,
                    "unresolved": sum(1 for a in alerts if a.resolved_at is None),
                    "alerts": [a.as_json() for a in alerts],
                },
            )
        elif url.path == "/":
            self._send(
                200,
                f"LawTrail 见证服务 {service.name}\n"
                "POST /add-checkpoint\nGET /status\nGET /alerts\n",
                "text/plain; charset=utf-8",
            )
        else:
            self._send(404, "没有这个地址\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/add-checkpoint":
            self._send(404, "没有这个地址\n", "text/plain; charset=utf-8")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(411, "缺少 Content-Length\n", "text/plain; charset=utf-8")
            return
        if not 0 < length <= MAX_REQUEST:
            self._send(413, "请求过大\n", "text/plain; charset=utf-8")
            return
        body = self.rfile.read(length)
        try:
            line = self.server.service.add_checkpoint(body)
        except Refused as exc:
            text = str(exc)
            self._send(exc.status, text if text.endswith("\n") else text + "\n", exc.content_type)
            return
        self._send(200, line, "text/plain; charset=utf-8")
