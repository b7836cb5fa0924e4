"""The media (evidence) store: content-addressed, write-once, streamed in bounded memory.

A media file is stored once under its SHA-256 (the content address) and never rewritten. `put`
reads the source exactly once through `digest_stream`, which hashes SHA-256 and SM3 and hands
every chunk to the backend as it goes, so a file of any size passes in a few MiB of memory.
Bytes are first written under `incoming/` and published under `sha256/` only once their digest
is known; identical content is deduplicated (`created=False`).

Backends: `LocalMediaStore` (a directory; publishing is an atomic `link`) and `S3MediaStore`
(`lawtrail.evidence.s3`, any S3-compatible object store). `media_store_from_url` picks one.

Orphans: a put that dies without running its cleanup (the process SIGKILLed, the machine
down) leaves its bytes under `incoming/` — a `.part` file, an incoming object or an unfinished
multipart upload's parts. They are never evidence (nothing is registered before the publish),
so `remove_orphans` deletes those untouched for longer than a grace period; the grace period
keeps it off uploads still in progress (in this process or another app server). Published
content (`sha256/`) is never listed, let alone touched.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlsplit

from lawtrail import filemodes
from lawtrail.evidence.hashing import Digests, digest_stream

ACCESS_KEY_ENV = "LAWTRAIL_S3_ACCESS_KEY"
SECRET_KEY_ENV = "LAWTRAIL_S3_SECRET_KEY"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    sm3: str
    size: int
    location: str  # "file:///…/sha256/ab/cd/<hex>" or "s3://bucket/prefix/sha256/<hex>"
    created: bool  # False when identical content was already stored (deduplicated)


@dataclass(frozen=True)
class MediaProblem:
    sha256: str
    code: str  # "missing" | "digest_mismatch" | "size_mismatch"
    message: str  # for people, in Chinese
    location: str
    actual_sha256: str = ""
    actual_sm3: str = ""
    actual_size: int | None = None


DEFAULT_ORPHAN_GRACE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Orphan:
    """Bytes of an upload that never finished, under the store's `incoming/`."""

    kind: str  # "partial_file" | "incoming_object" | "multipart_upload"
    location: str
    size: int  # bytes it holds (a multipart upload: the sum of its parts)
    age_seconds: float  # since it was last written to
    removed: bool  # False on a dry run, or when removing it failed (then `error` says why)
    error: str = ""

    @property
    def label(self) -> str:
        return _ORPHAN_LABELS.get(self.kind, self.kind)


_ORPHAN_LABELS = {
    "partial_file": "未完成上传的临时文件",
    "incoming_object": "未发布的临时对象",
    "multipart_upload": "未完成的分段上传",
}


class MediaStoreError(Exception):
    """A media store operation failed; the message (Chinese) says what and where."""


class MediaNotFoundError(MediaStoreError, FileNotFoundError):
    """No media file is stored under the requested SHA-256."""


@runtime_checkable
class MediaStore(Protocol):
    def put(
        self, source: BinaryIO | Iterable[bytes], *, max_size: int | None = None
    ) -> StoredMedia: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def check(self, sha256: str, sm3: str = "", size: int | None = None) -> MediaProblem | None:
        """Re-read the stored bytes once; None when they are the registered ones.

        The SHA-256 (the address) is always compared; an empty `sm3` or a `size` of None means
        "not registered" and that comparison is skipped.
        """
        ...

    def location(self, sha256: str) -> str: ...

    def remove_orphans(self, older_than: float, *, dry_run: bool = False) -> list[Orphan]:
        """Remove what interrupted uploads left under `incoming/`, untouched for more than
        `older_than` seconds (with `dry_run`, only list it). Stored media is never touched."""
        ...

    @property
    def url(self) -> str: ...


# --- shared helpers (used by every backend) -------------------------------------------------


def normalize_sha256(sha256: str) -> str:
    """The canonical (lower-case hex) form of a content address; anything else is refused.

    This also keeps a caller-supplied value from ever becoming a path outside the store.
    """
    value = sha256.strip().lower() if isinstance(sha256, str) else ""
    if not _SHA256_HEX.fullmatch(value):
        raise MediaStoreError(f"无效的 SHA-256 摘要：{sha256!r}（应为 64 位十六进制）")
    return value


def size_limited_sink(
    sink: Callable[[bytes], object], max_size: int | None
) -> Callable[[bytes], None]:
    """Wrap `sink` so that it refuses (before writing) any chunk that would pass `max_size`."""
    if max_size is not None and max_size < 0:
        raise MediaStoreError(f"大小上限不能为负数：{max_size}")
    written = 0

    def limited(chunk: bytes) -> None:
        nonlocal written
        if max_size is not None and written + len(chunk) > max_size:
            raise MediaStoreError(f"文件超过大小上限 {max_size} 字节，已中止保存")
        sink(chunk)
        written += len(chunk)

    return limited


def compare_digests(
    sha256: str, sm3: str, size: int | None, actual: Digests, location: str
) -> MediaProblem | None:
    """A problem report when the stored bytes (`actual`) are not those registered.

    An empty `sm3` or a `size` of None is "not registered": that comparison is skipped.
    """
    if size is not None and actual.size != size:
        return MediaProblem(
            sha256=sha256,
            code="size_mismatch",
            message=(
                f"媒体文件大小与登记的不符：sha256 {sha256} 登记 {size} 字节，"
                f"实际 {actual.size} 字节（实际 sha256 {actual.sha256}，位置 {location}）"
            ),
            location=location,
            actual_sha256=actual.sha256,
            actual_sm3=actual.sm3,
            actual_size=actual.size,
        )
    if actual.sha256 != sha256 or (sm3 and actual.sm3 != sm3.lower()):
        return MediaProblem(
            sha256=sha256,
            code="digest_mismatch",
            message=(
                f"媒体文件内容与登记的摘要不符：sha256 {sha256}，实际 sha256 {actual.sha256}；"
                f"登记 SM3 {sm3 or '（未登记）'}，实际 SM3 {actual.sm3}（位置 {location}）"
            ),
            location=location,
            actual_sha256=actual.sha256,
            actual_sm3=actual.sm3,
            actual_size=actual.size,
        )
    return None


def check_by_reading(
    store: MediaStore, sha256: str, sm3: str, size: int | None, chunk_size: int
) -> MediaProblem | None:
    """Re-read a stored object in one streaming pass and compare it with its registration."""
    hex_ = normalize_sha256(sha256)
    location = store.location(hex_)
    try:
        stream = store.open(hex_)
    except MediaNotFoundError:
        return missing_problem(hex_, location)
    try:
        with stream:
            actual = digest_stream(stream, chunk_size=chunk_size)
    except OSError as exc:
        raise MediaStoreError(f"读取媒体文件 {location} 失败：{exc}") from exc
    return compare_digests(hex_, sm3, size, actual, location)


def missing_problem(sha256: str, location: str) -> MediaProblem:
    return MediaProblem(
        sha256=sha256,
        code="missing",
        message=f"媒体文件缺失：sha256 {sha256}（位置 {location}）",
        location=location,
    )


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    """Turn an OSError of the store's own file operations into a MediaStoreError."""
    try:
        yield
    except OSError as exc:
        raise MediaStoreError(f"{what}失败：{exc}") from exc


def _make_dirs_durable(base: Path, parts: Iterable[str]) -> Path:
    """Create base/parts… as needed; fsync the parent of each directory created."""
    path = base
    for part in parts:
        child = path / part
        try:
            child.mkdir(mode=0o700)  # the umask can only narrow it
        except FileExistsError:
            pass
        else:
            filemodes.fsync_dir(path)
        path = child
    return path


# --- the local-directory backend ------------------------------------------------------------


class SyncingWriter:
    """Writes a stream's chunks to its file on a thread of its own, flushing them to the disk as it
    goes (`fdatasync` every `SYNC_EVERY` bytes).

    Why: the pass is paced by SM3 on one core. Written inline, the reading thread stops feeding
    the hashers while it writes, and the whole file's dirty pages reach the disk only in the
    final fsync, after the hashing has finished — a serial tail as long as writing the file.
    Here the disk works while SM3 does, and the final fsync has at most `SYNC_EVERY` to flush.
    At most `MAX_PENDING` chunks wait (bounded memory); an error (a full disk) is raised by the
    next `write` or by `finish`.
    """

    SYNC_EVERY = 32 << 20
    MAX_PENDING = 8

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self.MAX_PENDING)
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="media-writer", daemon=True)

    def __enter__(self) -> SyncingWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _run(self) -> None:
        unsynced = 0
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the producer must never block on a dead writer
            try:
                self._out.write(chunk)
                unsynced += len(chunk)
                if unsynced >= self.SYNC_EVERY:
                    self._out.flush()
                    os.fdatasync(self._out.fileno())
                    unsynced = 0
            except OSError as exc:
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, chunk: bytes) -> None:
        self._raise()
        self._queue.put(chunk)

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self) -> None:
        """Wait for every chunk to be written; raise the writer's error, if any."""
        self._stop()
        self._raise()


class LocalMediaStore:
    """Media files in a directory: `<root>/sha256/<hex[0:2]>/<hex[2:4]>/<hex>`, mode 0400
    (read-only, owner only: recordings are personal data), directories 0700.

    A new file is written to `<root>/incoming/<uuid>.part`, fsynced, made read-only and then
    published with `os.link`, which never replaces an existing name: publishing is atomic and
    a published file is never overwritten. Directories are fsynced after each change.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self._incoming = self.root / "incoming"
        self._published = self.root / "sha256"
        with _os_errors(f"创建媒体存储目录 {self.root}"):
            filemodes.make_private_dir(self.root)  # 0700, parents too (the data directory)
            _make_dirs_durable(self.root, ["incoming"])
            _make_dirs_durable(self.root, ["sha256"])

    def __repr__(self) -> str:
        return f"LocalMediaStore({str(self.root)!r})"

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def path(self, sha256: str) -> Path:
        hex_ = normalize_sha256(sha256)
        return self._published / hex_[0:2] / hex_[2:4] / hex_

    def location(self, sha256: str) -> str:
        return self.path(sha256).as_uri()

    def put(
        self, source: BinaryIO | Iterable[bytes], *, max_size: int | None = None
    ) -> StoredMedia:
        temp = self._incoming / f"{uuid.uuid4().hex}.part"
        try:
            with _os_errors(f"在媒体存储 {self.url} 中创建临时文件"):
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                out = open(fd, "wb")  # noqa: SIM115 - closed by the `with out` below
            with out, SyncingWriter(out) as writer:

                def write(chunk: bytes) -> None:
                    with _os_errors(f"写入媒体存储 {self.url}"):
                        writer.write(chunk)

                digests = digest_stream(source, sink=size_limited_sink(write, max_size))
                with _os_errors(f"写入媒体存储 {self.url}"):
                    writer.finish()
                    out.flush()
                    os.fsync(out.fileno())
                    # Read-only before publishing: the published name shares this inode.
                    # Owner only: the recordings are personal data (lawtrail.filemodes).
                    os.fchmod(out.fileno(), 0o400)
            return self._publish(temp, digests)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _publish(self, temp: Path, digests: Digests) -> StoredMedia:
        hex_ = digests.sha256
        final = self.path(hex_)
        location = final.as_uri()
        with _os_errors(f"在媒体存储 {self.url} 中发布 {hex_}"):
            directory = _make_dirs_durable(self._published, [hex_[0:2], hex_[2:4]])
            try:
                os.link(temp, final)
            except FileExistsError:
                stored_size = os.stat(final).st_size
                if stored_size != digests.size:
                    raise MediaStoreError(
                        f"媒体存储中已有 sha256 {hex_} 的文件，但其大小为 {stored_size} 字节，"
                        f"与内容相同的新文件（{digests.size} 字节）不符，已存文件可能损坏；"
                        f"未覆盖（位置 {location}）"
                    ) from None
                return StoredMedia(hex_, digests.sm3, digests.size, location, created=False)
            filemodes.fsync_dir(directory)
        return StoredMedia(hex_, digests.sm3, digests.size, location, created=True)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path(sha256)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise MediaNotFoundError(
                f"媒体文件缺失：sha256 {normalize_sha256(sha256)}（位置 {path.as_uri()}）"
            ) from None
        except OSError as exc:
            raise MediaStoreError(f"无法读取媒体文件 {path.as_uri()}：{exc}") from exc

    def exists(self, sha256: str) -> bool:
        try:
            return stat.S_ISREG(os.stat(self.path(sha256)).st_mode)
        except FileNotFoundError:
            return False

    def check(self, sha256: str, sm3: str = "", size: int | None = None) -> MediaProblem | None:
        return check_by_reading(self, sha256, sm3, size, _READ_CHUNK)

    def remove_orphans(self, older_than: float, *, dry_run: bool = False) -> list[Orphan]:
        """Unlink `incoming/*.part` files not written to for more than `older_than` seconds.

        A put in progress writes its file continuously (its mtime is the last chunk's time), so
        the grace period spares it. Only regular files directly in `incoming/` whose name is
        `put`'s are considered; a `.part` that was already published is a second name of the
        published inode (`os.link`), and unlinking the extra name leaves the evidence intact.
        """
        if older_than < 0:
            raise MediaStoreError(f"宽限期不能为负数：{older_than}")
        now = time.time()
        found: list[Orphan] = []
        with _os_errors(f"列出媒体存储 {self.url} 的临时目录"):
            entries = sorted(os.scandir(self._incoming), key=lambda e: e.name)
        for entry in entries:
            if not _PART_NAME.fullmatch(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # its put finished meanwhile
            if not stat.S_ISREG(info.st_mode):
                continue
            age = now - info.st_mtime
            if age <= older_than:
                continue
            location = Path(entry.path).as_uri()
            error = ""
            removed = False
            if not dry_run:
                try:
                    os.unlink(entry.path)
                    removed = True
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    error = f"删除 {location} 失败：{exc}"
            found.append(Orphan("partial_file", location, info.st_size, age, removed, error))
        if any(o.removed for o in found):
            with _os_errors(f"同步媒体存储 {self.url} 的临时目录"):
                filemodes.fsync_dir(self._incoming)
        return found


_PART_NAME = re.compile(r"[0-9a-f]{32}\.part")


# --- choosing a backend by URL --------------------------------------------------------------


def media_store_from_url(url: str) -> MediaStore:
    """The store that `url` names.

    - `file:///abs/dir` or a plain path: a `LocalMediaStore` in that directory;
    - `s3://bucket/optional/prefix?endpoint=http://host:port&region=us-east-1`: an
      `S3MediaStore`, with the credentials from the environment variables
      LAWTRAIL_S3_ACCESS_KEY and LAWTRAIL_S3_SECRET_KEY.
    """
    if not url or not url.strip():
        raise MediaStoreError("媒体存储地址为空")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "":
        return LocalMediaStore(Path(url))
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise MediaStoreError(f"无效的本地媒体存储地址：{url}（应为 file:///绝对路径）")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise MediaStoreError(f"无效的本地媒体存储地址：{url}（路径必须是绝对路径）")
        return LocalMediaStore(Path(path))
    if scheme == "s3":
        return _s3_store_from_url(url)
    raise MediaStoreError(f"不支持的媒体存储地址：{url}（支持 file:// 和 s3://）")


def _s3_store_from_url(url: str) -> MediaStore:
    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket:
        raise MediaStoreError(
            f"无效的 S3 媒体存储地址：{url}（缺少存储桶名，应为 s3://存储桶/前缀）"
        )
    if parts.fragment:
        raise MediaStoreError(f"无效的 S3 媒体存储地址：{url}（不应包含 #）")
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key not in ("endpoint", "region"):
            raise MediaStoreError(
                f"无效的 S3 媒体存储地址：{url}（未知参数 {key}，只支持 endpoint 和 region）"
            )
        if key in options:
            raise MediaStoreError(f"无效的 S3 媒体存储地址：{url}（参数 {key} 重复）")
        options[key] = value
    access_key = os.environ.get(ACCESS_KEY_ENV, "")
    secret_key = os.environ.get(SECRET_KEY_ENV, "")
    for name, value in ((ACCESS_KEY_ENV, access_key), (SECRET_KEY_ENV, secret_key)):
        if not value:
            raise MediaStoreError(f"未设置环境变量 {name}：使用 S3 媒体存储 {url} 需要访问凭据")

    from lawtrail.evidence.s3 import S3MediaStore  # boto3 only when S3 is used

    return S3MediaStore(
        bucket,
        unquote(parts.path).strip("/"),
        endpoint_url=options.get("endpoint") or None,
        region=options.get("region") or "us-east-1",
        access_key=access_key,
        secret_key=secret_key,
    )
