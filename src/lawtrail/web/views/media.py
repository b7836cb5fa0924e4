"""Media of a case: the list with playback, the streamed upload, and the file itself (with HTTP
Range support, so a video can be sought without downloading it first).

Every media file shown is a ``media`` entry of the case in the agency's ledger; its bytes are
read from the evidence store by their SHA-256 only after checking that this case registered
them, so a case page can never be used to fetch another case's file.
"""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from lawtrail import services
from lawtrail.core import timeutil
from lawtrail.core.caseio import MEDIA_SOURCES, parse_media
from lawtrail.core.model import Media
from lawtrail.core.record_kinds import MEDIA_LABELS, MEDIA_TYPES
from lawtrail.evidence import filetypes
from lawtrail.evidence.store import (
    LocalMediaStore,
    MediaNotFoundError,
    MediaStore,
    MediaStoreError,
    normalize_sha256,
)
from lawtrail.web import actions, uploads, wiring
from lawtrail.web import secrecy as web_secrecy
from lawtrail.web.models import CaseIndex, User
from lawtrail.web.views.common import case_for, client_ip, current_user, note_access

log = logging.getLogger("lawtrail.media")

CHUNK_SIZE = 1 << 20
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------- reading the ledger


def _case_media(index: CaseIndex) -> list[tuple[Media, int, int]]:
    """The case's media files in ledger order, each once: (first ingestion, its ledger seq,
    how many times the same bytes were registered again)."""
    found: dict[str, list[Any]] = {}
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("media",)
    )
    for entry in entries:
        data = entry.data()["media"]
        sha256 = data.get("sha256", "")  # from the hashed body, not the ref column
        if sha256 in found:
            found[sha256][2] += 1
            continue
        media = parse_media({k: v for k, v in data.items() if k != "location"})
        found[sha256] = [media, entry.seq, 0]
    return [(m, seq, repeats) for m, seq, repeats in found.values()]


def _registered(index: CaseIndex, sha256: str) -> Media | None:
    """The case's own ingestion of these bytes (None when this case never registered them)."""
    entries = wiring.ledger().entries_named(
        index.agency_id, "media", sha256, case_number=index.case_number
    )
    for entry in entries:
        data = entry.data()["media"]
        return parse_media({k: v for k, v in data.items() if k != "location"})
    return None


# ---------------------------------------------------------------------------- the list page


def _size_text(size: int | None) -> str:
    if size is None:
        return ""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} 字节"


def _player(media: Media) -> str:
    kind = filetypes.KINDS.get(filetypes.extension(media.filename))
    if kind is None or not kind.playable:
        return ""
    if media.type == "photo":
        return "img"
    return "audio" if media.type == "audio" else "video"


@dataclass(frozen=True)
class MediaRow:
    media: Media
    seq: int
    repeats: int
    type_label: str
    device_label: str
    size_text: str
    uploader: str
    labels: list[tuple[str, str]]
    player: str
    url: str
    download_url: str


@login_required
def media_page(request: HttpRequest, pk: int) -> HttpResponse:
    index = case_for(request, pk, action="view_media_list")
    user = current_user(request)
    found = _case_media(index)
    names = dict(
        User.objects.filter(
            username__in={m.uploader for m, _, _ in found if m.uploader}
        ).values_list("username", "name")
    )
    rows = []
    for media, seq, repeats in found:
        url = reverse("media_file", args=[index.pk, media.sha256])
        rows.append(
            MediaRow(
                media=media,
                seq=seq,
                repeats=repeats,
                type_label=MEDIA_TYPES.get(media.type, media.type),
                device_label=filetypes.DEVICE_LABELS.get(media.source, media.source),
                size_text=_size_text(media.size),
                uploader=names.get(media.uploader) or media.uploader,
                labels=[(MEDIA_LABELS.get(k, k), v) for k, v in media.labels.items()],
                player=_player(media),
                url=url,
                download_url=f"{url}?download=1",
            )
        )
    context = {
        "index": index,
        "rows": rows,
        "can_upload": actions.can_write(user, index.agency_id),
        "upload_url": reverse("media_upload", args=[index.pk]),
        "extensions": ",".join(filetypes.ALLOWED_EXTENSIONS),
        "extension_list": filetypes.allowed_list(),
        "devices": [(code, filetypes.DEVICE_LABELS.get(code, code)) for code in MEDIA_SOURCES],
        "media_types": list(MEDIA_TYPES.items()),
        "max_upload": _size_text(_max_upload()),
        "max_upload_bytes": _max_upload(),
    }
    return render(request, "lawtrail/media.html", context)


def _max_upload() -> int:
    from django.conf import settings

    return int(settings.LAWTRAIL_MAX_UPLOAD_BYTES)


# ---------------------------------------------------------------------------- upload


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _store_failure(exc: MediaStoreError) -> tuple[str, int]:
    """What the uploader is told when the evidence store failed mid-upload (nothing was
    registered either way): a full disk (507) and an unreachable object store (503) are named,
    since the remedy differs — the administrator frees space, or the upload is simply retried."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return "证据库存储空间已满，文件未保存、未登记；请联系系统管理员扩容后重新上传", 507
        if type(cause).__module__.startswith(("botocore", "urllib3")) and not hasattr(
            cause, "response"
        ):  # a connection failure, not an answer of the object store
            return "证据库（对象存储）暂时无法连接，文件未保存、未登记；请稍后重新上传", 503
        cause = cause.__cause__ or cause.__context__
    return "证据库保存文件失败，未登记；请稍后重试或联系系统管理员", 500


@require_http_methods(["POST", "PUT"])
def media_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The body is the file; see :mod:`lawtrail.web.uploads` for the query parameters.

    Answers JSON for the upload page's XMLHttpRequest, errors included (no login redirect).
    """
    if not request.user.is_authenticated:
        return _error("请先登录后再上传", 401)
    user = current_user(request)
    index = CaseIndex.objects.filter(pk=pk).first()
    if index is None:
        return _error("案件不存在", 404)
    if actions.can_read(user, index.agency_id) and not actions.can_write(user, index.agency_id):
        # A supervisor or an admin may read the case but not add to it: a refused attempt.
        actions.do_log_access(
            user,
            index.agency_id,
            index.case_number,
            action="upload_media",
            allowed=False,
            ip=client_ip(request),
        )
        return _error("您无权在该机关的案件中记录（只读），本次尝试已记录", 403)
    try:
        index = case_for(request, pk, action="upload_media")
    except PermissionDenied as exc:
        return _error(str(exc), 403)
    try:
        result = uploads.ingest_request(request, index, user)
    except uploads.UploadRejected as exc:
        return _error(exc.message, exc.status)
    except actions.PermissionDenied as exc:
        return _error(str(exc), 403)
    except services.ServiceError as exc:
        return _error(str(exc), 400)
    except MediaStoreError as exc:
        log.exception("media upload to %s/%s failed", index.agency_id, index.case_number)
        return _error(*_store_failure(exc))
    media = result.media
    return JsonResponse(
        {
            "sha256": media.sha256,
            "sm3": media.sm3,
            "size": media.size,
            "filename": media.filename,
            "ingested_at": timeutil.local(media.ingested_at).isoformat(),
            "seq": result.receipt.seq,
            "created": result.created,
        },
        status=201,
        json_dumps_params={"ensure_ascii": False},
    )


# ---------------------------------------------------------------------------- the file


# (size, stream(first, last)): the file's size and a generator of the bytes of one range.
_Source = tuple[int, Callable[[int, int], Iterator[bytes]]]


class _Unsatisfiable(Exception):
    pass


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range (first, last — inclusive) a Range header asks for; None to send the
    whole file (no header, several ranges, or a header we do not understand — RFC 9110 lets a
    server ignore those). Raises _Unsatisfiable for a range wholly past the end."""
    match = _RANGE.match(header) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # invalid: ignore the header
    if start >= size:
        raise _Unsatisfiable
    return start, end


def _chunks(read: Callable[[int], bytes], length: int) -> Iterator[bytes]:
    remaining = length
    while remaining > 0:
        data = read(min(CHUNK_SIZE, remaining))
        if not data:
            break
        remaining -= len(data)
        yield data


def _local_source(store: LocalMediaStore, sha256: str) -> _Source:
    path = store.path(sha256)
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise MediaNotFoundError(f"媒体文件缺失：sha256 {sha256}") from None

    def stream(start: int, end: int) -> Iterator[bytes]:
        with store.open(sha256) as fh:
            fh.seek(start)
            yield from _chunks(fh.read, end - start + 1)

    return size, stream


def _s3_source(store: Any, sha256: str) -> _Source:
    """A ranged GetObject: a seek into a multi-GB video fetches only what is played."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lawtrail.evidence.s3 import _is_not_found

    key = store.key(sha256)
    try:
        head = store.client.head_object(Bucket=store.bucket, Key=key)
    except ClientError as exc:
        if _is_not_found(exc):
            raise MediaNotFoundError(f"媒体文件缺失：{store.location(sha256)}") from None
        raise MediaStoreError(f"读取 {store.location(sha256)} 失败：{exc}") from exc
    except BotoCoreError as exc:
        raise MediaStoreError(f"读取 {store.location(sha256)} 失败：{exc}") from exc
    size = int(head["ContentLength"])

    def stream(start: int, end: int) -> Iterator[bytes]:
        response = store.client.get_object(
            Bucket=store.bucket, Key=key, Range=f"bytes={start}-{end}"
        )
        body = response["Body"]
        try:
            yield from _chunks(body.read, end - start + 1)
        finally:
            body.close()

    return size, stream


def _generic_source(store: MediaStore, sha256: str, size: int) -> _Source:
    def stream(start: int, end: int) -> Iterator[bytes]:
        with store.open(sha256) as fh:
            skipped = sum(len(c) for c in _chunks(fh.read, start))
            if skipped == start:
                yield from _chunks(fh.read, end - start + 1)

    return size, stream


def _source(sha256: str, registered_size: int | None) -> _Source:
    store = wiring.media_store()
    if isinstance(store, LocalMediaStore):
        return _local_source(store, sha256)
    if type(store).__module__ == "lawtrail.evidence.s3":
        return _s3_source(store, sha256)
    if not store.exists(sha256):
        raise MediaNotFoundError(f"媒体文件缺失：sha256 {sha256}")
    return _generic_source(store, sha256, registered_size or 0)


@require_GET
@login_required
def media_file(request: HttpRequest, pk: int, sha256: str) -> HttpResponse:
    """The bytes of one of the case's media files, inline for playback or (``?download=1``) as
    an attachment; one byte range when the browser asks for one."""
    user = current_user(request)
    index = CaseIndex.objects.filter(pk=pk).first()
    if index is None:
        raise Http404("案件不存在")
    download = request.GET.get("download") == "1"
    action = "download_media" if download else "view_media"
    if not actions.can_read(user, index.agency_id):
        case_for(request, pk, action=action, target=sha256[:64])  # logs the refusal, raises 403
    try:
        sha256 = normalize_sha256(sha256)
    except MediaStoreError:
        raise Http404("该案件没有此媒体文件") from None
    media = _registered(index, sha256)
    if media is None:
        raise Http404("该案件没有此媒体文件")
    # Labelled media only on need to know (issue #16): refused, and the refusal logged.
    refused_why = web_secrecy.media_refusal(
        web_secrecy.disclosure(user, index), actions.case_of(index), sha256
    )
    if refused_why:
        note_access(index.agency_id, index.case_number, action, sha256)  # logged as refused
        raise PermissionDenied(refused_why)
    try:
        size, stream = _source(sha256, media.size)
    except MediaNotFoundError:
        log.error("media %s of %s/%s is missing", sha256, index.agency_id, index.case_number)
        raise Http404(
            "媒体文件在证据库中缺失，请联系系统管理员核验（lawtrail verify --media）"
        ) from None

    range_header = request.META.get("HTTP_RANGE", "")
    try:
        wanted = byte_range(range_header, size)
    except _Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start = wanted[0] if wanted is not None else 0

    # Access log: a <video> element fetches a file as many range requests (one per seek or
    # buffer refill). Only a request for the whole file or for a range starting at byte 0 —
    # the start of a viewing, a download, or a photo — is appended to the ledger as an access;
    # the continuation ranges of the same viewing are not, so the log lists viewings, not TCP
    # traffic. The permission check above runs for every request, and every refusal is logged.
    if start == 0:
        case_for(request, pk, action=action, target=sha256)

    kind = filetypes.KINDS.get(filetypes.extension(media.filename))
    return media_response(media, sha256, stream, size, wanted, download=download or kind is None)


def media_response(
    media: Any,
    sha256: str,
    stream: Any,
    size: int,
    wanted: tuple[int, int] | None,
    *,
    download: bool,
) -> StreamingHttpResponse:
    """The bytes ``wanted`` (None: all) of a stored file, for the page and the API alike:
    206 with Content-Range for a range, never cached, never sniffed."""
    start, end = wanted if wanted is not None else (0, size - 1)
    response = StreamingHttpResponse(
        stream(start, end) if size else iter(()),
        status=206 if wanted is not None else 200,
        content_type=filetypes.content_type(media.filename, media.type),
    )
    response["Content-Length"] = str(end - start + 1 if size else 0)
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    filename = media.filename or f"{sha256}.bin"
    response["Content-Disposition"] = content_disposition_header(download, filename)
    return response
