"""Small HTTP helpers (standard library only): the witness reading a log, and the CLI and the
web application reading a witness. Every call has a timeout; errors are :class:`FetchError`
with a Chinese message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

MAX_BODY = 4 * 1024 * 1024


class FetchError(Exception):
    """The other side could not be reached or answered with an error; ``status`` when it
    answered (None when it could not be reached)."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def request(
    url: str,
    *,
    data: bytes | None = None,
    timeout: float = 5.0,
    content_type: str = "text/plain; charset=utf-8",
) -> str:
    headers = {"User-Agent": "lawtrail-witness/1"}
    if data is not None:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            body: bytes = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace").strip()
        raise FetchError(
            f"{url} 返回 HTTP {exc.code}：{detail[:300]}", status=exc.code, body=detail
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"无法连接 {url}：{reason}") from exc
    if len(body) > MAX_BODY:
        raise FetchError(f"{url} 的应答超过 {MAX_BODY} 字节")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FetchError(f"{url} 的应答不是 UTF-8：{exc}") from exc


def get_json(url: str, *, timeout: float = 5.0) -> Any:
    text = request(url, timeout=timeout)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FetchError(f"{url} 的应答不是 JSON：{exc}") from exc


def witness_overview(base_url: str, *, timeout: float = 2.0) -> dict[str, Any]:
    """A witness's ``/status`` and ``/alerts`` in one dict (``logs``, ``alerts``, ``witness``);
    FetchError when it cannot be read."""
    base = base_url.rstrip("/")
    status = get_json(f"{base}/status", timeout=timeout)
    alerts = get_json(f"{base}/alerts", timeout=timeout)
    if not isinstance(status, dict) or not isinstance(alerts, dict):
        raise FetchError(f"见证服务 {base} 的应答格式不对")
    return {
        "witness": status.get("witness", ""),
        "logs": list(status.get("logs", [])),
        "alerts": list(alerts.get("alerts", [])),
        "unresolved": int(alerts.get("unresolved", 0)),
    }
