"""The signing process: the agencies' checkpoint keys outside the web application's reach.

``lawtrail signer serve --dir SIGNER_DIR --socket PATH`` runs, in production, under its own OS
account. It alone can read the private keys; the web application (and anyone who can edit the
database) reaches them only through a Unix domain socket, and only to sign a checkpoint that
*extends* what the signer signed before — checked against the signer's own state, with the
RFC 9162 consistency proof. A rewritten or rolled-back history cannot get a new signature, so
an insider needs the database host *and* the signer's account to forge one (docs/architecture.md,
"Trust model: who holds which key").

Directory (0700, files 0600, whatever the umask — :mod:`lawtrail.filemodes`)::

    <dir>/lock                          flock: the server and the CLI change state one at a time
    <dir>/logs/<quoted origin>/signer.key   PRIVATE+KEY+<origin>+… (the C2SP signer key)
    <dir>/logs/<quoted origin>/state.json   {"origin", "agency", "confirmed", "pending"}
    <dir>/logs/<quoted origin>/journal.jsonl  every signature, abandonment and trust change

State per log. ``confirmed`` is the latest checkpoint the ledger has shown it built on (it
named it as ``previous``), or the checkpoint an operator trusted when importing a key;
``pending`` the checkpoint signed last, not yet built on. A new checkpoint is signed only if
the request's ``previous`` is ``pending`` (which it then confirms) or ``confirmed`` (the
pending one was rolled back with its transaction — a form error after a case header was
signed, say; it is *abandoned*, logged as a warning and journaled), the new size is at least
the previous one, and the consistency proof from ``previous`` to the new tree verifies. So
everything ever confirmed is fixed for good; at most the one unconfirmed batch can be replaced,
and never silently. ``previous = null`` is accepted only while nothing is confirmed (a log
whose key the signer generated itself). Re-asking for the pending checkpoint returns the same
signature (Ed25519 is deterministic).

Wire protocol: one request per connection, one JSON object on one line (UTF-8, at most
``MAX_MESSAGE`` bytes) each way::

    {"op": "ping"}                                        → {"ok": true, "version": 1}
    {"op": "verifier_key", "origin"}                      → {"ok": true, "vkey"}
    {"op": "create", "agency", "origin"}                  → {"ok": true, "vkey", "created"}
    {"op": "sign_checkpoint", "origin", "size", "root": b64, "extensions": [line…],
     "previous": {"size", "root": b64} | null, "proof": [b64…]}   → {"ok": true, "note"}
    {"op": "sign_note", "origin", "text"}                 → {"ok": true, "note"}
    failure                                  → {"ok": false, "code": "refused"|"bad_request"|
                                                 "unknown_log"|"internal", "error": 中文说明}

``sign_note`` refuses a text that parses as a checkpoint (it must not bypass the checks above)
and a ``cosignature/v1`` message (its signature would be a cosignature by the agency key).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import socketserver
import stat
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lawtrail import filemodes
from lawtrail.core import merkle, notes, timeutil

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_MESSAGE = 4 * 1024 * 1024
CONNECTION_TIMEOUT = 30.0
DEFAULT_SOCKET_MODE = 0o660


class SignerError(Exception):
    """A request the signer will not carry out; ``code`` says which kind (see the protocol)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _refused(message: str) -> SignerError:
    return SignerError("refused", message)


def _bad(message: str) -> SignerError:
    return SignerError("bad_request", message)


# ------------------------------------------------------------------------------- wire format


def encode_message(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode_message(line: bytes) -> dict[str, Any]:
    if len(line) > MAX_MESSAGE:
        raise _bad(f"消息超过 {MAX_MESSAGE} 字节")
    if not line.endswith(b"\n"):
        raise _bad("消息不完整（缺少换行）")
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(f"消息不是 JSON：{exc}") from exc
    if not isinstance(value, dict):
        raise _bad("消息应为 JSON 对象")
    return value


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise _bad(f"{what} 应为 base64 字符串")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise _bad(f"{what} 不是有效的 base64") from exc


def _str(request: Mapping[str, Any], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(f"请求缺少字段 {key}")
    return value


def _size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{what} 应为非负整数")
    return value


# ------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "root": b64(self.root)}

    @classmethod
    def from_json(cls, value: Any, what: str) -> TreeHead | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _bad(f"{what} 应为对象或 null")
        root = _unb64(value.get("root"), f"{what}.root")
        if len(root) != notes.ROOT_HASH_SIZE:
            raise _bad(f"{what}.root 应为 {notes.ROOT_HASH_SIZE} 字节")
        return cls(_size(value.get("size"), f"{what}.size"), root)

    def describe(self) -> str:
        return f"大小 {self.size}，根 {b64(self.root)}"


def _describe(head: TreeHead | None) -> str:
    return head.describe() if head is not None else "无（新日志）"


@dataclass(frozen=True)
class LogState:
    origin: str
    agency: str
    confirmed: TreeHead | None
    pending: TreeHead | None


class SignerStore:
    """The signer's directory: keys, per-log state and journal (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        filemodes.make_private_dir(root)
        filemodes.tighten(root, "签名服务目录")
        filemodes.make_private_dir(root / "logs")
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One state change at a time, across the server's threads and the CLI's processes."""
        with self._thread_lock:
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def log_dir(self, origin: str) -> Path:
        if not notes.is_valid_key_name(origin):
            raise _bad(f"日志名（origin）无效：{origin!r}")
        return self.root / "logs" / quote(origin, safe="")

    def origins(self) -> list[str]:
        found = []
        for folder in sorted((self.root / "logs").iterdir()):
            if (folder / "signer.key").is_file():
                found.append(self._read_signer(folder).name)
        return found

    # -- keys

    def _read_signer(self, folder: Path) -> notes.Ed25519Signer:
        path = folder / "signer.key"
        filemodes.tighten(path, "签名私钥")
        try:
            return notes.Ed25519Signer.from_private_key_string(path.read_text("utf-8").strip())
        except (OSError, notes.NoteError) as exc:
            raise SignerError("internal", f"无法读取签名私钥 {path}：{exc}") from exc

    def signer(self, origin: str) -> notes.Ed25519Signer:
        folder = self.log_dir(origin)
        if not (folder / "signer.key").is_file():
            raise SignerError("unknown_log", f"签名服务中没有日志 {origin} 的签名私钥")
        signer = self._read_signer(folder)
        if signer.name != origin:
            raise SignerError(
                "internal", f"{folder}/signer.key 属于日志 {signer.name}，不是 {origin}"
            )
        return signer

    def has_key(self, origin: str) -> bool:
        return (self.log_dir(origin) / "signer.key").is_file()

    def install_key(
        self, agency: str, signer: notes.Ed25519Signer, confirmed: TreeHead | None, event: str
    ) -> None:
        """Store a key with its starting state (caller holds :meth:`locked`). An existing key
        for the origin is never replaced."""
        folder = self.log_dir(signer.name)
        if (folder / "signer.key").exists():
            raise _refused(f"签名服务中已有日志 {signer.name} 的签名私钥，不会替换")
        filemodes.make_private_dir(folder)
        state = LogState(signer.name, agency, confirmed, None)
        self._write_state(state)
        filemodes.write_atomically(
            folder / "signer.key", (signer.private_key_string() + "\n").encode()
        )
        self.journal(signer.name, event, agency=agency, confirmed=_head_json(confirmed))

    # -- state

    def state(self, origin: str) -> LogState:
        path = self.log_dir(origin) / "state.json"
        try:
            data = json.loads(path.read_text("utf-8"))
            return LogState(
                origin=data["origin"],
                agency=data.get("agency", ""),
                confirmed=TreeHead.from_json(data.get("confirmed"), "confirmed"),
                pending=TreeHead.from_json(data.get("pending"), "pending"),
            )
        except FileNotFoundError:
            raise SignerError("internal", f"签名服务缺少日志 {origin} 的状态文件 {path}") from None
        except (OSError, ValueError, KeyError, SignerError) as exc:
            raise SignerError("internal", f"签名服务状态文件 {path} 无法读取：{exc}") from exc

    def _write_state(self, state: LogState) -> None:
        data = {
            "origin": state.origin,
            "agency": state.agency,
            "confirmed": _head_json(state.confirmed),
            "pending": _head_json(state.pending),
        }
        filemodes.write_atomically(self.log_dir(state.origin) / "state.json", encode_message(data))

    def set_trusted(self, origin: str, head: TreeHead, *, reason: str) -> None:
        """An operator's decision: the log's genuine latest checkpoint is ``head`` (caller holds
        :meth:`locked`)."""
        old = self.state(origin)
        self._write_state(LogState(origin, old.agency, head, None))
        self.journal(
            origin,
            "trust",
            reason=reason,
            confirmed=head.to_json(),
            previous_confirmed=_head_json(old.confirmed),
            previous_pending=_head_json(old.pending),
        )

    def journal(self, origin: str, event: str, **fields: Any) -> None:
        path = self.log_dir(origin) / "journal.jsonl"
        record = {"at": timeutil.now().isoformat(), "event": event, **fields}
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, encode_message(record))
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- operations

    def create(self, agency: str, origin: str) -> tuple[str, bool]:
        with self.locked():
            if self.has_key(origin):
                return self.signer(origin).verifier_key(), False
            signer = notes.Ed25519Signer.generate(origin)
            self.install_key(agency, signer, None, "created")
            log.info("generated the checkpoint key of %s (%s)", origin, agency)
            return signer.verifier_key(), True

    def sign_checkpoint(
        self,
        checkpoint: notes.Checkpoint,
        previous: TreeHead | None,
        proof: list[bytes],
    ) -> str:
        origin = checkpoint.origin
        new = TreeHead(checkpoint.size, checkpoint.root)
        with self.locked():
            signer = self.signer(origin)
            state = self.state(origin)
            text = checkpoint.to_text()
            if previous == state.confirmed and new == state.pending:
                # The same request again (a retry): the same, deterministic signature.
                return notes.format_note(notes.sign_note(text, signer))
            confirmed: TreeHead | None
            abandoned: TreeHead | None
            if previous is not None and previous == state.pending:
                confirmed, abandoned = state.pending, None
            elif previous == state.confirmed:
                confirmed, abandoned = state.confirmed, state.pending
            else:
                raise _refused(
                    f"拒绝签名日志 {origin} 的检查点（大小 {new.size}）：账本给出的上一检查点"
                    f"（{_describe(previous)}）不是签名服务签发并确认的检查点"
                    f"（已确认：{_describe(state.confirmed)}；"
                    f"最后签发：{_describe(state.pending)}）——账本被回退或改写"
                )
            self._check_extends(origin, confirmed, new, proof)
            if abandoned is not None:
                log.warning(
                    "%s: checkpoint %d signed earlier was not built on (its transaction rolled "
                    "back?) and is abandoned; signing %d after %d",
                    origin,
                    abandoned.size,
                    new.size,
                    confirmed.size if confirmed else 0,
                )
                self.journal(origin, "abandoned", checkpoint=abandoned.to_json())
            note = notes.format_note(notes.sign_note(text, signer))
            self._write_state(LogState(origin, state.agency, confirmed, new))
            self.journal(origin, "signed", checkpoint=new.to_json(), after=_head_json(confirmed))
            log.info("%s: signed checkpoint %d", origin, new.size)
            return note

    def _check_extends(
        self, origin: str, previous: TreeHead | None, new: TreeHead, proof: list[bytes]
    ) -> None:
        if previous is None or previous.size == 0:
            return  # the first checkpoint of a log whose key the signer made: nothing to extend
        if new.size < previous.size:
            raise _refused(
                f"拒绝签名日志 {origin} 的检查点：大小 {new.size} 小于已签发的 {previous.size}"
                "（日志回退）"
            )
        try:
            merkle.verify_consistency(previous.size, new.size, previous.root, new.root, proof)
        except merkle.ProofError as exc:
            raise _refused(
                f"拒绝签名日志 {origin} 的检查点（大小 {new.size}）：它与签名服务已签发的检查点"
                f"（大小 {previous.size}）不一致，一致性证明不成立（{exc}）——历史被改写"
            ) from exc

    def sign_note(self, origin: str, text: str) -> str:
        try:
            notes.Checkpoint.from_text(text)
        except notes.NoteError:
            pass
        else:
            raise _refused("拒绝签名：该文本是一个检查点，检查点只能经一致性核对后签名")
        if text.startswith(notes.COSIGNATURE_HEADER):
            # Its signature would make a witness cosignature over the checkpoint inside.
            raise _refused("拒绝签名：该文本是见证联署的签名消息")
        signer = self.signer(origin)
        try:
            note = notes.sign_note(text, signer)
        except notes.NoteError as exc:
            raise _bad(f"无法签名该文本：{exc}") from exc
        log.info("%s: signed a note (%s)", origin, text.split("\n", 1)[0][:60])
        return notes.format_note(note)


def _head_json(head: TreeHead | None) -> dict[str, Any] | None:
    return head.to_json() if head is not None else None


# ------------------------------------------------------------------------------- requests


def handle(store: SignerStore, request: Mapping[str, Any]) -> dict[str, Any]:
    """One request → one response (errors included); never raises."""
    op = request.get("op")
    try:
        if op == "ping":
            return {"ok": True, "version": PROTOCOL_VERSION}
        if op == "verifier_key":
            return {"ok": True, "vkey": store.signer(_str(request, "origin")).verifier_key()}
        if op == "create":
            vkey, created = store.create(_str(request, "agency"), _str(request, "origin"))
            return {"ok": True, "vkey": vkey, "created": created}
        if op == "sign_checkpoint":
            return {"ok": True, "note": _sign_checkpoint_request(store, request)}
        if op == "sign_note":
            text = request.get("text")
            if not isinstance(text, str):
                raise _bad("请求缺少字段 text")
            return {"ok": True, "note": store.sign_note(_str(request, "origin"), text)}
        raise _bad(f"未知的请求类型 {op!r}")
    except SignerError as exc:
        if exc.code == "refused":
            log.warning("refused %s for %s: %s", op, request.get("origin"), exc)
        elif exc.code == "internal":
            log.error("%s for %s failed: %s", op, request.get("origin"), exc)
        return {"ok": False, "code": exc.code, "error": str(exc)}
    except Exception as exc:  # a bug must not kill the signer, nor leak a traceback to clients
        log.exception("%s for %s failed", op, request.get("origin"))
        return {"ok": False, "code": "internal", "error": f"签名服务内部错误：{exc}"}


def _sign_checkpoint_request(store: SignerStore, request: Mapping[str, Any]) -> str:
    extensions = request.get("extensions", [])
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise _bad("extensions 应为字符串列表")
    proof = request.get("proof", [])
    if not isinstance(proof, list):
        raise _bad("proof 应为 base64 字符串列表")
    try:
        checkpoint = notes.Checkpoint(
            origin=_str(request, "origin"),
            size=_size(request.get("size"), "size"),
            root=_unb64(request.get("root"), "root"),
            extensions=tuple(extensions),
        )
    except notes.NoteError as exc:
        raise _bad(f"检查点无效：{exc}") from exc
    previous = TreeHead.from_json(request.get("previous"), "previous")
    hashes = [_unb64(item, f"proof[{i}]") for i, item in enumerate(proof)]
    return store.sign_checkpoint(checkpoint, previous, hashes)


class _Handler(socketserver.StreamRequestHandler):
    timeout = CONNECTION_TIMEOUT
    server: SignerServer

    def handle(self) -> None:
        try:
            line = self.rfile.readline(MAX_MESSAGE + 1)
        except OSError:
            return
        if not line:
            return
        try:
            request = decode_message(line)
        except SignerError as exc:
            response: dict[str, Any] = {"ok": False, "code": exc.code, "error": str(exc)}
        else:
            response = handle(self.server.store, request)
        with contextlib.suppress(OSError):
            self.wfile.write(encode_message(response))


class SignerServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, store: SignerStore) -> None:
        self.store = store
        super().__init__(str(path), _Handler)


def _claim_socket_path(path: Path) -> None:
    """Remove a stale socket left by a signer that died; refuse if one is still answering."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(f"{path} 已存在且不是套接字，拒绝覆盖")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(2)
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    finally:
        probe.close()
    raise OSError(f"套接字 {path} 上已有签名服务在运行")


def serve(
    directory: Path,
    socket_path: Path,
    *,
    mode: int = DEFAULT_SOCKET_MODE,
    group: str | None = None,
    ready: threading.Event | None = None,
) -> None:
    """Run the signing process until SIGTERM or SIGINT (the socket is removed on exit)."""
    store = SignerStore(directory)
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    _claim_socket_path(socket_path)
    server = SignerServer(socket_path, store)
    try:
        os.chmod(socket_path, mode)
        if group is not None:
            shutil.chown(socket_path, group=group)
        log.info("lawtrail signer: serving %s on %s (mode %s)", directory, socket_path, oct(mode))
        if threading.current_thread() is threading.main_thread():

            def stop(signum: int, frame: object) -> None:
                raise SystemExit(0)

            signal.signal(signal.SIGTERM, stop)
        if ready is not None:
            ready.set()
        print(f"签名服务已启动：{socket_path}", file=sys.stderr, flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()


def wait_for_socket(path: Path, timeout: float = 15.0, alive: Any = None) -> None:
    """Until a signer answers ``ping`` on ``path`` (``alive()`` false → give up early)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(path))
                sock.sendall(encode_message({"op": "ping"}))
                if sock.makefile("rb").readline(MAX_MESSAGE):
                    return
        except OSError:
            pass
        if alive is not None and not alive():
            raise OSError(f"签名服务进程已退出，套接字 {path} 未就绪")
        if time.monotonic() > deadline:
            raise OSError(f"签名服务在 {timeout:.0f} 秒内未在 {path} 就绪")
        time.sleep(0.05)
