"""The web application's side of the signing process (:mod:`lawtrail.ledger.signer_service`).

:class:`RemoteCheckpointSigner` implements :class:`~lawtrail.ledger.signing.CheckpointSigner`
over the signer's Unix socket; :class:`SignerKeys` is the key directory of a deployment that
uses it (``LAWTRAIL_SIGNER=unix:/path/to/socket``, wired in :mod:`lawtrail.bootstrap`): public
keys (the agencies' ``.vkey``, the witnesses') are still read from the key directory, but no
private key is — there must not be one (:class:`SignerKeys` refuses to start when a ``.key``
file is present). When the signer is unreachable or refuses, :class:`SignerRefused` is raised
and nothing is signed; there is no fallback to a file key.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lawtrail.core import notes
from lawtrail.ledger.keys import KeyDirectory, KeyFileError
from lawtrail.ledger.signer_service import (
    MAX_MESSAGE,
    SignerError,
    decode_message,
    encode_message,
    wait_for_socket,
)
from lawtrail.ledger.signing import CheckpointSigner, SignerRefused, SignerUnavailable

DEFAULT_TIMEOUT = 10.0


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class SignerConnection:
    """Requests to the signing process: one connection per request, with a timeout."""

    def __init__(self, socket_path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        what = message.get("op")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(str(self.socket_path))
                sock.sendall(encode_message(message))
                line = sock.makefile("rb").readline(MAX_MESSAGE + 1)
        except TimeoutError as exc:
            raise SignerUnavailable(
                f"签名服务 {self.socket_path} 在 {self.timeout:g} 秒内没有应答（{what}），"
                "未签名任何内容"
            ) from exc
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise SignerUnavailable(
                f"无法连接签名服务 {self.socket_path}（签名服务未运行？），未签名任何内容"
            ) from exc
        except PermissionError as exc:
            raise SignerUnavailable(
                f"无权连接签名服务的套接字 {self.socket_path}（本账户须属于套接字的组），"
                "未签名任何内容"
            ) from exc
        except OSError as exc:
            raise SignerUnavailable(
                f"与签名服务 {self.socket_path} 通信失败：{exc}，未签名任何内容"
            ) from exc
        if not line:
            raise SignerUnavailable(f"签名服务 {self.socket_path} 未作应答即断开，未签名任何内容")
        try:
            response = decode_message(line)
        except SignerError as exc:
            raise SignerUnavailable(f"签名服务 {self.socket_path} 的应答无效：{exc}") from exc
        if response.get("ok") is not True:
            error = response.get("error") or "未说明原因"
            raise SignerRefused(str(error))
        return response

    def ping(self) -> None:
        self.request({"op": "ping"})


class RemoteCheckpointSigner:
    """A :class:`CheckpointSigner` whose key lives in the signing process."""

    def __init__(self, connection: SignerConnection, origin: str) -> None:
        self._connection = connection
        self._origin = origin
        self._vkey: str | None = None

    @property
    def name(self) -> str:
        return self._origin

    def verifier_key(self) -> str:
        if self._vkey is None:
            response = self._connection.request({"op": "verifier_key", "origin": self._origin})
            self._vkey = _text(response, "vkey")
        return self._vkey

    def sign_checkpoint(
        self,
        checkpoint: notes.Checkpoint,
        *,
        previous: notes.Checkpoint | None,
        proof: Sequence[bytes],
    ) -> str:
        if checkpoint.origin != self._origin:
            raise SignerRefused(f"检查点属于日志 {checkpoint.origin}，不是 {self._origin}")
        response = self._connection.request(
            {
                "op": "sign_checkpoint",
                "origin": self._origin,
                "size": checkpoint.size,
                "root": _b64(checkpoint.root),
                "extensions": list(checkpoint.extensions),
                "previous": None
                if previous is None
                else {"size": previous.size, "root": _b64(previous.root)},
                "proof": [_b64(item) for item in proof],
            }
        )
        note = _text(response, "note")
        self._check_note(note, checkpoint.to_text())
        return note

    def sign_note(self, text: str) -> str:
        response = self._connection.request(
            {"op": "sign_note", "origin": self._origin, "text": text}
        )
        note = _text(response, "note")
        self._check_note(note, text)
        return note

    def _check_note(self, note: str, text: str) -> None:
        try:
            parsed = notes.parse_note(note)
        except notes.NoteError as exc:
            raise SignerRefused(f"签名服务返回的签名无效：{exc}") from exc
        if parsed.text != text:
            raise SignerRefused("签名服务返回的签名不是所请求文本的签名")


def _text(response: dict[str, Any], key: str) -> str:
    value = response.get(key)
    if not isinstance(value, str) or not value:
        raise SignerUnavailable(f"签名服务的应答缺少 {key}")
    return value


class SignerKeys(KeyDirectory):
    """The key directory of a deployment with a signing process: public keys from ``root``,
    signatures from the signer. No private key may be in ``root`` (refused at start)."""

    def __init__(self, root: Path, socket_path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(root)
        self.connection = SignerConnection(socket_path, timeout=timeout)
        self._signers: dict[str, RemoteCheckpointSigner] = {}
        leftover = sorted(root.glob("*.key")) if root.is_dir() else []
        if leftover:
            names = "、".join(str(path) for path in leftover)
            raise KeyFileError(
                f"已配置签名服务（{socket_path}），但密钥目录中仍有私钥文件：{names}。"
                "请用 lawtrail signer import-key 把它移入签名服务（或删除），否则能读取该目录的人"
                "仍可对改写后的历史重新签名"
            )

    def signer(self, agency: str, origin: str, *, create: bool = False) -> notes.Ed25519Signer:
        raise KeyFileError(
            f"机关 {agency} 的签名私钥在签名服务（{self.connection.socket_path}）中，本进程不持有"
        )

    def checkpoint_signer(
        self, agency: str, origin: str, *, create: bool = False
    ) -> CheckpointSigner:
        """The remote signer of the agency's log; with ``create``, the signer generates the key
        if it has none and its public key is written to ``<agency>.vkey`` if that is missing."""
        if create:
            response = self.connection.request({"op": "create", "agency": agency, "origin": origin})
            self._publish_vkey(agency, _text(response, "vkey"))
        if origin not in self._signers:
            self._signers[origin] = RemoteCheckpointSigner(self.connection, origin)
        return self._signers[origin]

    def _publish_vkey(self, agency: str, vkey: str) -> None:
        path = self._vkey_path(agency)
        if path.exists():
            existing = path.read_text("utf-8").strip()
            if existing != vkey:
                raise KeyFileError(
                    f"签名服务中日志的公钥 {vkey} 与密钥目录中信任的 {path}（{existing}）不同"
                )
            return
        from lawtrail import filemodes

        filemodes.make_private_dir(self.root)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(vkey + "\n", "utf-8")
        os.replace(tmp, path)


def start_signer_process(
    directory: Path,
    socket_path: Path,
    *,
    timeout: float = 15.0,
    stderr: Any = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``python -m lawtrail signer serve`` and wait until it answers on ``socket_path``
    (for the demo and the tests). The caller stops it with ``terminate()`` + ``wait()``."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lawtrail",
            "signer",
            "serve",
            "--dir",
            str(directory),
            "--socket",
            str(socket_path),
        ],
        stdin=subprocess.DEVNULL,
        stderr=stderr,
        env=env,
    )
    try:
        wait_for_socket(socket_path, timeout, alive=lambda: process.poll() is None)
    except BaseException:
        process.terminate()
        process.wait(10)
        raise
    return process
