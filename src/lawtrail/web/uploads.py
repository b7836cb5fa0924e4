"""Media uploads streamed from the HTTP request into the evidence store.

The body of the request *is* the file (``PUT``/``POST`` with the raw bytes, as the upload page's
XMLHttpRequest sends a ``File``); its metadata comes in the query string:

    filename      the file's base name (required)
    type          photo | audio | video (default: by the extension)
    captured_at   ISO 8601 with offset — the device clock's start of recording (required)
    completed_at  ISO 8601 with offset — end of recording (optional)
    device        body_camera | cctv | phone | camera | … (optional)

Everything that can be refused is refused *before* the first byte is stored: the name, the
type, the times, the declared size (``Content-Length`` is required and bounded by
``LAWTRAIL_MAX_UPLOAD_BYTES``), the user's right to write, and the file's first bytes, which
must be those of its extension's format. Then the body is read a chunk at a time
(``request.read``; never ``request.body``, never a temporary copy: Django's upload handlers are
not involved) and handed to :func:`lawtrail.web.actions.do_ingest_media`, which hashes and
writes it to the store as it arrives and appends the ledger entry only once the whole file is
stored. A body that ends early or runs past its declared length raises inside the store's
``put``, which discards what it had written (the local store unlinks its ``incoming/*.part``
file, the S3 store aborts its multipart upload and deletes its incoming object): nothing is
registered. No database transaction is open while the bytes flow.

This needs a WSGI server (gunicorn, the development server): Django's ASGI handler spools the
whole request body to a temporary file before the view runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

from lawtrail import services
from lawtrail.core import timeutil
from lawtrail.evidence import filetypes
from lawtrail.web import actions
from lawtrail.web.models import CaseIndex, User

CHUNK_SIZE = 1 << 20
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# "+08:00" sent unencoded in a query string arrives as " 08:00".
_LOST_PLUS = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r" (?P<offset>\d{2}(?::?\d{2})?)$"
)


class UploadRejected(Exception):
    """The upload is refused before anything is registered; ``message`` is for the user
    (Chinese), ``status`` the HTTP status to answer with (400, 411, 413, 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_time(text: str | None, name: str, *, required: bool) -> datetime | None:
    """A query parameter's time: ISO 8601 with a UTC offset, or a Chinese refusal."""
    if text is None or not text.strip():
        if required:
            raise UploadRejected(f"缺少 {name}：请给出带时区的时间，如 2026-03-04T09:30:12+08:00")
        return None
    text = text.strip()
    repaired = _LOST_PLUS.match(text)
    if repaired:
        text = f"{repaired['time']}+{repaired['offset']}"
    try:
        return timeutil.parse_aware(text)
    except timeutil.NaiveDatetimeError:
        raise UploadRejected(
            f"时间必须带时区：{name} 的值 {text!r} 没有时区偏移，"
            "请写成如 2026-03-04T09:30:12+08:00（北京时间）"
        ) from None
    except ValueError:
        raise UploadRejected(
            f"{name} 的值 {text!r} 不是有效的时间，应如 2026-03-04T09:30:12+08:00"
        ) from None


def _declared_length(request: HttpRequest) -> int:
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        raise UploadRejected("请求缺少 Content-Length：请直接上传文件（不支持分块传输）", 411)
    try:
        length = int(str(raw))
    except ValueError:
        raise UploadRejected(f"Content-Length 无效：{raw!r}") from None
    if length < 0:
        raise UploadRejected(f"Content-Length 无效：{raw!r}")
    if length == 0:
        raise UploadRejected("文件为空（0 字节），未保存")
    limit = int(settings.LAWTRAIL_MAX_UPLOAD_BYTES)
    if length > limit:
        raise UploadRejected(
            f"文件过大：{_size_text(length)}，超过上传上限 {_size_text(limit)}，未保存", 413
        )
    return length


def _size_text(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}（{size} 字节）"
    return f"{size} 字节"


def _read(request: HttpRequest, size: int) -> bytes:
    try:
        return request.read(size)
    except OSError as exc:  # UnreadablePostError: the client went away
        raise UploadRejected(f"上传中断：{exc or '连接已断开'}，未保存") from exc


def _body(request: HttpRequest, head: bytes, declared: int) -> Iterator[bytes]:
    """The request body after ``head``, checked against its declared length as it flows; a
    mismatch raises inside the store's ``put`` (which then discards the partial file)."""
    total = len(head)
    if head:
        yield head
    while chunk := _read(request, CHUNK_SIZE):
        total += len(chunk)
        if total > declared:
            raise UploadRejected(
                f"上传的内容超过声明的长度（Content-Length {declared} 字节），已中止，未保存"
            )
        yield chunk
    if total < declared:
        raise UploadRejected(
            f"上传不完整：只收到 {total} 字节，应为 {declared} 字节（连接中断？），未保存"
        )


def _head(request: HttpRequest, declared: int) -> bytes:
    """The first bytes of the body (enough to recognise the format), nothing stored yet."""
    wanted = min(CHUNK_SIZE, declared)
    head = b""
    while len(head) < min(filetypes.HEAD_SIZE, declared):
        chunk = _read(request, wanted - len(head))
        if not chunk:
            break
        head += chunk
    return head


def ingest_request(request: HttpRequest, index: CaseIndex, user: User) -> services.IngestedMedia:
    """Stream the request's body into the evidence store as a media file of this case.

    Raises :class:`UploadRejected` (nothing stored), :class:`lawtrail.web.actions.
    PermissionDenied` (the user may not record in this case's agency) or
    :class:`lawtrail.services.ServiceError` (the ingestion entry failed the case format's
    checks).
    """
    params = request.GET
    try:
        filename = filetypes.check_filename(params.get("filename"))
        kind = filetypes.kind_of(filename)
        media_type = filetypes.media_type(kind, params.get("type"))
        device = filetypes.check_device(params.get("device"))
    except filetypes.FileTypeError as exc:
        raise UploadRejected(exc.message, 415 if exc.code == "type" else 400) from None
    captured_at = parse_time(params.get("captured_at"), "captured_at", required=True)
    assert captured_at is not None
    completed_at = parse_time(params.get("completed_at"), "completed_at", required=False)
    now = timeutil.now()
    if captured_at > now:
        raise UploadRejected(
            f"拍摄时间 {timeutil.format_local(captured_at)} 晚于服务器当前时间"
            f" {timeutil.format_local(now)}，请核对设备时钟"
        )
    if completed_at is not None and completed_at < captured_at:
        raise UploadRejected("录制结束时间（completed_at）早于开始时间（captured_at）")
    if completed_at is not None and completed_at > now:
        raise UploadRejected(
            f"录制结束时间 {timeutil.format_local(completed_at)} 晚于服务器当前时间，请核对设备时钟"
        )
    actions.require_write(user, index.agency_id)

    declared = _declared_length(request)
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        raise UploadRejected(
            "请直接上传文件内容（请求体即文件，Content-Type 如 application/octet-stream），"
            "不支持表单编码",
            415,
        )
    head = _head(request, declared)
    try:
        filetypes.check_content(kind, head)
    except filetypes.FileTypeError as exc:
        raise UploadRejected(exc.message, 415) from None

    upload = actions.Upload(
        type=media_type,
        captured_at=captured_at,
        completed_at=completed_at,
        filename=filename,
        device=device,
    )
    return actions.do_ingest_media(
        user, index, _body(request, head, declared), upload, max_size=declared
    )
