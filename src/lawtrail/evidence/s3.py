"""The media store on an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW …).

Keys, below an optional prefix:

    <prefix>/incoming/<uuid>     bytes being received (deleted when the put ends, however it ends)
    <prefix>/sha256/<hex>        the published media file, with metadata sha256, sm3 and size

`put` streams the source once through `digest_stream`, buffering at most one part (8 MiB by
default): small files go up in one PutObject, larger ones as a multipart upload that is aborted
on any error. Once the SHA-256 is known the incoming object is copied server-side to its final
key (a multipart copy above `copy_part_size`, so objects beyond 5 GB work) unless that key
already exists, in which case the content is a duplicate and nothing is replaced.

Plain S3 has no "create only if absent" for copies, so two concurrent puts of the same new
content may both copy; both write the same bytes, so the result is the same.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import urlencode

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from lawtrail.evidence.hashing import Digests, digest_stream
from lawtrail.evidence.store import (
    MediaNotFoundError,
    MediaProblem,
    MediaStoreError,
    Orphan,
    StoredMedia,
    check_by_reading,
    normalize_sha256,
    size_limited_sink,
)

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 << 20  # S3's lower bound for every part but the last
DEFAULT_PART_SIZE = 8 << 20
DEFAULT_COPY_PART_SIZE = 64 << 20
_READ_CHUNK = 1 << 20
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


def _is_not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code", "")) in _NOT_FOUND or status == 404


@contextlib.contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Turn a boto3/botocore failure into a MediaStoreError naming the operation."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', '?')} {error.get('Message', '')}".strip()
        raise MediaStoreError(f"{what}失败：{detail}") from exc
    except BotoCoreError as exc:
        raise MediaStoreError(f"{what}失败：{exc}") from exc


class _BodyReader(io.RawIOBase):
    """A GetObject body as a raw binary stream (wrapped in a BufferedReader by `open`)."""

    def __init__(self, body: Any, location: str) -> None:
        super().__init__()
        self._body = body
        self._location = location

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data: bytes = self._body.read(len(buffer))
        except BotoCoreError as exc:
            raise OSError(f"读取 {self._location} 中断：{exc}") from exc
        size = len(data)
        buffer[:size] = data
        return size

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class _PartReader(io.RawIOBase):
    """The chunks of one part as a seekable stream: sent without joining them into a copy."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._starts: list[int] = []
        total = 0
        for chunk in chunks:
            self._starts.append(total)
            total += len(chunk)
        self.size = total
        self._position = 0
        self._index = 0  # the chunk holding `_position` (or len(chunks) at the end)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, min(base + offset, self.size))
        # Chunks are never empty, so the one holding a position is found by its start.
        if self._position == self.size:
            self._index = len(self._chunks)
        else:
            self._index = bisect.bisect_right(self._starts, self._position) - 1
        return self._position

    def readinto(self, buffer: Any) -> int:
        with memoryview(buffer) as target:
            wanted = len(target)
            done = 0
            while done < wanted and self._index < len(self._chunks):
                chunk = self._chunks[self._index]
                offset = self._position - self._starts[self._index]
                count = min(wanted - done, len(chunk) - offset)
                target[done : done + count] = chunk[offset : offset + count]
                done += count
                self._position += count
                if offset + count == len(chunk):
                    self._index += 1
            return done


class PartUpload:
    """The bytes of one put, sent to `key` a part at a time; at most one part is buffered.

    The part is kept as the list of chunks `digest_stream` handed over (the same bytes objects
    the hashers see), so buffering it costs no copy. With ``if_none_match`` the object store
    itself refuses to publish over an existing key (a conditional write, for write-once backups).
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        part_size: int,
        where: str,
        *,
        if_none_match: bool = False,
    ) -> None:
        self._conditions = {"IfNoneMatch": "*"} if if_none_match else {}
        self._client = client
        self._bucket = bucket
        self._key = key
        self._part_size = part_size
        self._where = where
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.stored = False  # the object exists (and must be deleted when the put ends)

    def write(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered >= self._part_size:
            self._upload_part(self._take())

    def _take(self) -> _PartReader:
        chunks, self._chunks, self._buffered = self._chunks, [], 0
        return _PartReader(chunks)

    def _upload_part(self, body: _PartReader) -> None:
        if self._upload_id is None:
            with _s3_errors(f"在 {self._where} 开始分段上传"):
                started = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = str(started["UploadId"])
        number = len(self._parts) + 1
        with _s3_errors(f"向 {self._where} 上传第 {number} 段"):
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
                ContentLength=body.size,
            )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def finish(self) -> None:
        if self._upload_id is None:  # less than one part: a single PutObject
            body = self._take()
            with _s3_errors(f"向 {self._where} 上传"):
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=self._key,
                    Body=body,
                    ContentLength=body.size,
                    **self._conditions,
                )
        else:
            if self._chunks:
                self._upload_part(self._take())
            with _s3_errors(f"在 {self._where} 完成分段上传"):
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                    **self._conditions,
                )
            self._upload_id = None
        self.stored = True

    def abort(self) -> None:
        """Abort a multipart upload in progress (best effort: the put has failed already)."""
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        try:
            self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=upload_id
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not abort multipart upload %s of %s: %s", upload_id, self._key, exc)


class S3MediaStore:
    """Media files as objects `<prefix>/sha256/<hex>` in an S3 bucket."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        create_bucket: bool = False,
        part_size: int = DEFAULT_PART_SIZE,
        copy_part_size: int = DEFAULT_COPY_PART_SIZE,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise MediaStoreError("S3 存储桶名不能为空")
        if part_size < MIN_PART_SIZE or copy_part_size < MIN_PART_SIZE:
            raise MediaStoreError(f"S3 分段大小不能小于 {MIN_PART_SIZE} 字节（5 MiB）")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        if client is None:
            session = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
            )
            client = session.client(
                "s3",
                endpoint_url=endpoint_url,
                config=Config(
                    signature_version="s3v4",
                    # Custom endpoints (SeaweedFS, MinIO …) rarely have wildcard DNS.
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    retries={"max_attempts": 5, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=120,
                ),
            )
        self.client = client
        self._copy_config = TransferConfig(
            multipart_threshold=copy_part_size,
            multipart_chunksize=copy_part_size,
            max_concurrency=4,
        )
        self._ensure_bucket(create_bucket)

    def __repr__(self) -> str:
        return f"S3MediaStore({self.url!r})"

    def _ensure_bucket(self, create: bool) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if not _is_not_found(exc):
                with _s3_errors(f"访问 S3 存储桶 {self.url}"):
                    raise
            if not create:
                raise MediaStoreError(f"S3 存储桶不存在：{self.url}") from exc
        except BotoCoreError as exc:
            raise MediaStoreError(f"无法连接 S3 媒体存储 {self.url}：{exc}") from exc
        arguments: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**arguments)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                with _s3_errors(f"创建 S3 存储桶 {self.url}"):
                    raise
        except BotoCoreError as exc:
            raise MediaStoreError(f"创建 S3 存储桶 {self.url}失败：{exc}") from exc

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        base = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        query = {"region": self.region}
        if self.endpoint_url:
            query = {"endpoint": self.endpoint_url, **query}
        return f"{base}?{urlencode(query, safe=':/')}"

    def _key(self, *parts: str) -> str:
        return "/".join((self.prefix, *parts) if self.prefix else parts)

    def key(self, sha256: str) -> str:
        """The object key of the media file with this SHA-256."""
        return self._key("sha256", normalize_sha256(sha256))

    def location(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha256)}"

    # --- operations --------------------------------------------------------------------------

    def put(
        self, source: BinaryIO | Iterable[bytes], *, max_size: int | None = None
    ) -> StoredMedia:
        incoming = self._key("incoming", uuid.uuid4().hex)
        where = f"s3://{self.bucket}/{incoming}"
        upload = PartUpload(self.client, self.bucket, incoming, self.part_size, where)
        try:
            digests = digest_stream(source, sink=size_limited_sink(upload.write, max_size))
            upload.finish()
            return self._publish(incoming, digests)
        finally:
            upload.abort()
            if upload.stored:
                self._delete_quietly(incoming)

    def _publish(self, incoming: str, digests: Digests) -> StoredMedia:
        final = self.key(digests.sha256)
        location = f"s3://{self.bucket}/{final}"
        existing = self._head(final)
        if existing is None:
            with _s3_errors(f"将媒体文件复制到 {location}"):
                self.client.copy(
                    {"Bucket": self.bucket, "Key": incoming},
                    self.bucket,
                    final,
                    ExtraArgs={
                        "MetadataDirective": "REPLACE",
                        "ContentType": "application/octet-stream",
                        "Metadata": {
                            "sha256": digests.sha256,
                            "sm3": digests.sm3,
                            "size": str(digests.size),
                        },
                    },
                    Config=self._copy_config,
                )
            created = True
            existing = self._head(final)
            if existing is None:
                raise MediaStoreError(f"复制后媒体文件仍不存在：{location}")
        else:
            created = False
        stored_size = int(existing.get("ContentLength", -1))
        if stored_size != digests.size:
            raise MediaStoreError(
                f"媒体存储中 sha256 {digests.sha256} 的对象大小为 {stored_size} 字节，"
                f"与内容相同的新文件（{digests.size} 字节）不符，已存对象可能损坏；"
                f"未覆盖（位置 {location}）"
            )
        return StoredMedia(digests.sha256, digests.sm3, digests.size, location, created)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            with _s3_errors(f"查询 s3://{self.bucket}/{key}"):
                raise
        except BotoCoreError as exc:
            raise MediaStoreError(f"查询 s3://{self.bucket}/{key}失败：{exc}") from exc
        return response

    def _delete_quietly(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            # Left-over incoming objects are garbage, never evidence; a lifecycle rule on
            # `<prefix>/incoming/` can expire them.
            log.warning("could not delete incoming object s3://%s/%s: %s", self.bucket, key, exc)

    def open(self, sha256: str) -> BinaryIO:
        key = self.key(sha256)
        location = f"s3://{self.bucket}/{key}"
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                raise MediaNotFoundError(
                    f"媒体文件缺失：sha256 {normalize_sha256(sha256)}（位置 {location}）"
                ) from None
            with _s3_errors(f"读取 {location}"):
                raise
        except BotoCoreError as exc:
            raise MediaStoreError(f"读取 {location}失败：{exc}") from exc
        return io.BufferedReader(_BodyReader(response["Body"], location), _READ_CHUNK)

    def exists(self, sha256: str) -> bool:
        return self._head(self.key(sha256)) is not None

    def check(self, sha256: str, sm3: str = "", size: int | None = None) -> MediaProblem | None:
        return check_by_reading(self, sha256, sm3, size, _READ_CHUNK)

    # --- orphans -----------------------------------------------------------------------------

    def remove_orphans(self, older_than: float, *, dry_run: bool = False) -> list[Orphan]:
        """Abort unfinished multipart uploads and delete objects under `<prefix>/incoming/`
        untouched for more than `older_than` seconds (a put in progress uploads a part at least
        every few seconds; its multipart upload's age is that of its newest part). Only keys
        under `incoming/` are listed: published media (`sha256/`) is never touched."""
        if older_than < 0:
            raise MediaStoreError(f"宽限期不能为负数：{older_than}")
        now = datetime.now(UTC)
        prefix = self._key("incoming", "")
        found: list[Orphan] = []
        for upload in self._multipart_uploads(prefix):
            key, upload_id = str(upload["Key"]), str(upload["UploadId"])
            where = f"s3://{self.bucket}/{key}"
            size, newest = self._parts_summary(key, upload_id, where)
            latest = max(upload["Initiated"], newest) if newest else upload["Initiated"]
            age = (now - latest).total_seconds()
            if age <= older_than:
                continue
            removed, error = False, ""
            if not dry_run:
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    )
                    removed = True
                except ClientError as exc:
                    code = str(exc.response.get("Error", {}).get("Code", ""))
                    if code == "NoSuchUpload":
                        continue  # finished or aborted meanwhile (another server's cleanup)
                    error = f"中止 {where} 的分段上传 {upload_id} 失败：{code} {exc}"
                except BotoCoreError as exc:
                    error = f"中止 {where} 的分段上传 {upload_id} 失败：{exc}"
            location = f"{where}?uploadId={upload_id}"
            found.append(Orphan("multipart_upload", location, size, age, removed, error))
        for item in self._incoming_objects(prefix):
            key = str(item["Key"])
            where = f"s3://{self.bucket}/{key}"
            age = (now - item["LastModified"]).total_seconds()
            if age <= older_than:
                continue
            removed, error = False, ""
            if not dry_run:
                try:
                    with _s3_errors(f"删除临时对象 {where}"):
                        self.client.delete_object(Bucket=self.bucket, Key=key)
                    removed = True
                except MediaStoreError as exc:
                    error = str(exc)
            found.append(Orphan("incoming_object", where, int(item["Size"]), age, removed, error))
        return found

    def _multipart_uploads(self, prefix: str) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            with _s3_errors(f"列出 s3://{self.bucket}/{prefix} 的分段上传"):
                page = self.client.list_multipart_uploads(**arguments)
            yield from page.get("Uploads", [])
            if not page.get("IsTruncated"):
                return
            arguments["KeyMarker"] = page.get("NextKeyMarker", "")
            arguments["UploadIdMarker"] = page.get("NextUploadIdMarker", "")

    def _parts_summary(self, key: str, upload_id: str, where: str) -> tuple[int, datetime | None]:
        """The bytes held by an upload's parts and the time of its newest part."""
        size, newest = 0, None
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id}
        while True:
            try:
                with _s3_errors(f"列出 {where} 的已上传分段"):
                    page = self.client.list_parts(**arguments)
            except MediaStoreError:
                return size, newest  # aborted or completed meanwhile: Initiated decides
            for part in page.get("Parts", []):
                size += int(part.get("Size", 0))
                modified = part.get("LastModified")
                if modified is not None and (newest is None or modified > newest):
                    newest = modified
            if not page.get("IsTruncated"):
                return size, newest
            arguments["PartNumberMarker"] = page.get("NextPartNumberMarker", 0)

    def _incoming_objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _s3_errors(f"列出 s3://{self.bucket}/{prefix} 的临时对象"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
