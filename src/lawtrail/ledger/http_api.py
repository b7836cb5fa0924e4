"""The ledger's read-only HTTP interface, framework-free: what ``/ledger/<agency>/…`` answers
(docs/ledger-http.md). The web application serves it (web/views/ledger_http.py) and a test or
a small deployment can serve it from any :class:`Ledger` (``serve_ledger``). Only hashes and
signatures leave it — never an entry's content — so it needs no login.

    GET  checkpoint                     the latest signed checkpoint (C2SP signed note) with
                                        the stored witness cosignature lines for it appended
    GET  checkpoint/<size>              the checkpoint of that size, likewise
    GET  status                         JSON: sequenced size, latest checkpoint size/root/time,
                                        latest size each witness cosigned
    GET  proof/consistency?old=&new=    JSON: RFC 9162 PROOF(old, D[new]) in base64
    GET  proof/inclusion?index=&size=   JSON: leaf hash and RFC 9162 PATH(index, D[size])
    GET  tile/<L>/<N>[.p/<W>]           C2SP tlog-tiles hash tile (binary)
    POST cosignature                    a witness's cosigned checkpoint (note + cosignature
                                        lines): stored only if a line verifies under a witness
                                        key of the key directory (keys/witnesses/*.vkey)
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lawtrail.core import notes
from lawtrail.ledger.db import IntegrityViolation
from lawtrail.ledger.keys import KeyFileError
from lawtrail.ledger.log import Ledger, LedgerError, StoredCheckpoint

MAX_COSIGNATURE_BODY = 64 * 1024
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
_TILE = re.compile(r"tile/(\d+)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def _text(body: str, status: int = 200) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", body.encode("utf-8"))


def _json(value: Any, status: int = 200) -> Reply:
    data = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return Reply(status, "application/json; charset=utf-8", data)


def _error(message: str, status: int) -> Reply:
    return _json({"error": message}, status)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _uint(query: dict[str, list[str]], name: str) -> int | None:
    value = (query.get(name) or [""])[0]
    if not value.isdigit() or len(value) > 19:
        return None
    return int(value)


def _tile_index(path: str) -> int:
    return int(path.replace("x", "").replace("/", ""))


class LedgerHTTP:
    """Answers one request on one ledger: :meth:`handle` (method, agency, path, query, body)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def handle(
        self, method: str, agency: str, path: str, query: str = "", body: bytes = b""
    ) -> Reply:
        ledger = self.ledger
        if ledger.log_info(agency) is None:
            return _error(f"没有机关 {agency} 的日志", 404)
        params = urllib.parse.parse_qs(query)
        path = path.strip("/")
        if method == "POST":
            if path == "cosignature":
                return self.cosignature(agency, body)
            return _error("此地址只读", 405)
        if method not in ("GET", "HEAD"):
            return _error("不支持的请求方法", 405)
        if path == "checkpoint":
            return self.checkpoint(agency, None)
        if path.startswith("checkpoint/") and path[len("checkpoint/") :].isdigit():
            size = int(path[len("checkpoint/") :])
            return self.checkpoint(agency, size) if size < 2**63 else _text("没有这个检查点\n", 404)
        if path == "status":
            return self.status(agency)
        if path == "proof/consistency":
            return self.consistency(agency, _uint(params, "old"), _uint(params, "new"))
        if path == "proof/inclusion":
            return self.inclusion(agency, _uint(params, "index"), _uint(params, "size"))
        tile = _TILE.fullmatch(path)
        if tile is not None and len(tile[2]) <= 24:
            width = int(tile[3]) if tile[3] else TILE_WIDTH
            return self.tile(agency, int(tile[1]), _tile_index(tile[2]), width)
        return _error("没有这个地址", 404)

    # ------------------------------------------------------------------ reading

    def _latest_size(self, agency: str) -> int:
        latest = self.ledger.latest_checkpoint(agency)
        return latest.size if latest else 0

    def _with_cosignatures(self, agency: str, checkpoint: StoredCheckpoint) -> str:
        lines = [
            line for size, _, line in self.ledger.cosignatures(agency) if size == checkpoint.size
        ]
        note = checkpoint.note if checkpoint.note.endswith("\n") else checkpoint.note + "\n"
        return note + "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def checkpoint(self, agency: str, size: int | None) -> Reply:
        ledger = self.ledger
        stored = (
            ledger.latest_checkpoint(agency) if size is None else ledger.checkpoint(agency, size)
        )
        if stored is None:
            return _text("没有这个检查点\n", 404)
        return _text(self._with_cosignatures(agency, stored))

    def status(self, agency: str) -> Reply:
        ledger = self.ledger
        info = ledger.log_info(agency)
        assert info is not None
        latest = ledger.latest_checkpoint(agency)
        by_witness: dict[str, int] = {}
        for size, witness, _ in ledger.cosignatures(agency):
            by_witness[witness] = max(size, by_witness.get(witness, 0))
        return _json(
            {
                "agency": agency,
                "origin": info.origin,
                "size": ledger.size(agency),
                "checkpoint_size": latest.size if latest else 0,
                "checkpoint_root": _b64(latest.root) if latest else None,
                "checkpoint_time": latest.signed_at if latest else None,
                "cosignatures": by_witness,
            }
        )

    def consistency(self, agency: str, old: int | None, new: int | None) -> Reply:
        limit = self._latest_size(agency)
        if old is None or new is None or not 0 < old <= new or new > limit:
            return _error(f"参数应满足 0 < old ≤ new ≤ 最新检查点大小 {limit}", 400)
        try:
            proof = self.ledger.consistency_proof(agency, old, new)
        except (LedgerError, ValueError) as exc:
            return _error(f"无法给出一致性证明：{exc}", 500)
        return _json({"old": old, "new": new, "proof": [_b64(h) for h in proof]})

    def inclusion(self, agency: str, index: int | None, size: int | None) -> Reply:
        limit = self._latest_size(agency)
        size = limit if size is None else size
        if index is None or not 0 <= index < size or size > limit:
            return _error(f"参数应满足 0 ≤ index < size ≤ 最新检查点大小 {limit}", 400)
        entry = self.ledger.entry(agency, index)
        if entry is None:
            return _error("没有这个条目", 404)
        try:
            proof = self.ledger.inclusion_proof(agency, index, size)
        except (LedgerError, ValueError) as exc:
            return _error(f"无法给出包含证明：{exc}", 500)
        return _json(
            {
                "index": index,
                "size": size,
                "leaf_hash": _b64(entry.leaf_hash),
                "proof": [_b64(h) for h in proof],
            }
        )

    def tile(self, agency: str, level: int, index: int, width: int) -> Reply:
        """A C2SP tlog-tiles hash tile (height 8): ``width`` hashes of tree level ``level * 8``
        from ``index * 256`` on — each the stored hash of a perfect subtree (``ledger_node``)
        or, at level 0, a leaf hash; one range query. A full tile (256) exists once the latest
        checkpoint covers it, a partial one (``.p/<W>``) when exactly W hashes are covered."""
        height = level * TILE_HEIGHT
        if not 0 < width <= TILE_WIDTH or height >= 64:
            return _error("无效的瓦片地址", 400)
        limit = self._latest_size(agency)
        first = index * TILE_WIDTH
        available = (limit >> height) - first
        if width > available or (width < TILE_WIDTH and width != available):
            return _error(f"最新检查点（大小 {limit}）没有这个瓦片", 404)
        db = self.ledger.db
        if height == 0:
            rows = db.all(
                "SELECT seq, leaf_hash FROM ledger_entry WHERE agency = ? AND seq >= ? "
                "AND seq < ? ORDER BY seq",
                (agency, first, first + width),
            )
        else:
            # Subtree i of that level completes at tree size (i + 1) << height.
            rows = db.all(
                "SELECT size, hash FROM ledger_node WHERE agency = ? AND level = ? "
                "AND size > ? AND size <= ? ORDER BY size",
                (agency, height, first << height, (first + width) << height),
            )
        hashes = [bytes(row[1]) if not isinstance(row[1], str) else b"" for row in rows]
        if len(hashes) != width or any(len(h) != 32 for h in hashes):
            return _error("账本中的树节点不完整，无法给出瓦片（请运行 lawtrail verify）", 500)
        return Reply(200, "application/octet-stream", b"".join(hashes))

    # ------------------------------------------------------------------ writing

    def cosignature(self, agency: str, body: bytes) -> Reply:
        """Store a witness's cosignature of a stored checkpoint: the body is the checkpoint
        note with the witness's cosignature line(s) appended. 403 unless a line verifies under
        a witness key of the key directory; idempotent for a line already stored."""
        ledger = self.ledger
        if len(body) > MAX_COSIGNATURE_BODY:
            return _error("请求过大", 413)
        try:
            note = notes.parse_note(body.decode("utf-8"))
            posted = notes.Checkpoint.from_text(note.text)
        except (UnicodeDecodeError, notes.NoteError) as exc:
            return _error(f"不是有效的已签名检查点：{exc}", 400)
        stored = ledger.checkpoint(agency, posted.size)
        if stored is None:
            return _error(f"没有大小为 {posted.size} 的检查点", 404)
        try:
            stored_note, _ = stored.parsed()
        except notes.NoteError as exc:
            return _error(f"账本中大小为 {posted.size} 的检查点无法解析：{exc}", 500)
        if stored_note.text != note.text:
            return _error("联署的检查点与账本中同样大小的检查点不同，拒绝存储", 403)
        try:
            witnesses = ledger.keys.witness_verifiers()
        except KeyFileError as exc:
            return _error(str(exc), 500)
        accepted: dict[str, str] = {}
        for signature in note.signatures:
            for verifier in witnesses:
                if (signature.name, signature.key_id) != (verifier.name, verifier.key_id):
                    continue
                if verifier.verify(note.text_bytes, signature.payload):
                    accepted.setdefault(verifier.name, signature.to_line())
        if not accepted:
            return _error("没有本系统配置的见证方公钥能验证的联署，拒绝存储", 403)
        result = []
        for name, line in accepted.items():
            existing = self._stored_line(agency, posted.size, name)
            if existing is None:
                try:
                    ledger.add_cosignature(agency, posted.size, name, line)
                    result.append({"witness": name, "stored": True})
                    continue
                except IntegrityViolation:
                    existing = self._stored_line(agency, posted.size, name)
            if existing is not None and existing.rstrip("\n") != line.rstrip("\n"):
                return _error(f"见证方 {name} 对大小为 {posted.size} 的检查点已有另一联署", 409)
            result.append({"witness": name, "stored": False})
        return _json({"size": posted.size, "cosignatures": result})

    def _stored_line(self, agency: str, size: int, witness: str) -> str | None:
        for s, name, line in self.ledger.cosignatures(agency):
            if s == size and name == witness:
                return line
        return None


# ------------------------------------------------------------------ a small server


class _Handler(BaseHTTPRequestHandler):
    server: LedgerHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/", 2)
        body = b""
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_COSIGNATURE_BODY + 1))
        if len(parts) < 3 or parts[0] != "ledger":
            reply = _error("没有这个地址", 404)
        else:
            with self.server.lock:
                api = self.server.make_api()
                try:
                    reply = api.handle(method, parts[1], parts[2], url.query, body)
                finally:
                    self.server.done(api)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")


class LedgerHTTPServer(ThreadingHTTPServer):
    """Serves ``/ledger/<agency>/…`` from one ledger (one request at a time: the ledger's
    connection is not shared between threads)."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        make_api: Callable[[], LedgerHTTP],
        done: Callable[[LedgerHTTP], None] = lambda api: None,
    ) -> None:
        super().__init__(address, _Handler)
        self.make_api = make_api
        self.done = done
        self.lock = threading.Lock()
