"""A backup in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph RGW …), written once.

The URL, the credentials (LAWTRAIL_S3_ACCESS_KEY / LAWTRAIL_S3_SECRET_KEY) and the client
(path-style addressing for custom endpoints, retries, timeouts) are those of the media store:
:func:`lawtrail.evidence.store.media_store_from_url` builds an
:class:`~lawtrail.evidence.s3.S3MediaStore` whose client this destination uses.

Objects are written straight to their final key with ``If-None-Match: *``, so the object store
itself refuses to replace one (RFC 7232 conditional write, supported by AWS S3, SeaweedFS and
MinIO). Unlike the media store's ``put`` nothing is staged under ``incoming/`` and nothing is
ever deleted, so the bucket can carry an object lock (WORM) retention policy. A file of more
than one part goes up as a multipart upload that is *completed* only after its digests were
accepted (and aborted otherwise): a refused file never becomes visible.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from lawtrail.backup.destination import Expect, Written, check_name, same_or_refuse
from lawtrail.backup.errors import BackupError, BackupUnavailable
from lawtrail.evidence.hashing import digest_stream
from lawtrail.evidence.s3 import (
    DEFAULT_PART_SIZE,
    PartUpload,
    S3MediaStore,
    _BodyReader,
    _is_not_found,
)
from lawtrail.evidence.store import MediaStoreError, media_store_from_url

_READ_CHUNK = 1 << 20
_TAKEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


def _is_taken(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _TAKEN or status in (409, 412)


@contextlib.contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', '?')} {error.get('Message', '')}".strip()
        raise BackupUnavailable(f"{what}失败：{detail}") from exc
    except BotoCoreError as exc:
        raise BackupUnavailable(f"{what}失败：{exc}") from exc


class _Taken(Exception):
    """The conditional write found the key already there."""


class _Upload(PartUpload):
    """One object sent to its final key a part at a time, published only if the key is free
    (the object store's conditional write); failures become backup errors."""

    def __init__(self, client: Any, bucket: str, key: str, part_size: int, where: str) -> None:
        super().__init__(client, bucket, key, part_size, where, if_none_match=True)

    def write(self, chunk: bytes) -> None:
        try:
            super().write(chunk)
        except MediaStoreError as exc:
            raise BackupUnavailable(str(exc)) from exc

    def finish(self) -> None:
        """Publish the object unless the key is taken (then :class:`_Taken`)."""
        try:
            super().finish()
        except MediaStoreError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and _is_taken(cause):
                raise _Taken from cause
            raise BackupUnavailable(str(exc)) from exc


class S3Destination:
    def __init__(self, store: S3MediaStore, *, part_size: int = DEFAULT_PART_SIZE) -> None:
        self.client = store.client
        self.bucket = store.bucket
        self.prefix = store.prefix
        self.part_size = part_size
        self._url = store.url

    @classmethod
    def from_url(cls, url: str) -> S3Destination:
        try:
            store = media_store_from_url(url)
        except MediaStoreError as exc:
            raise BackupUnavailable(f"备份目标 {url} 不可用：{exc}") from exc
        assert isinstance(store, S3MediaStore)
        return cls(store)

    def __repr__(self) -> str:
        return f"S3Destination({self.url!r})"

    @property
    def url(self) -> str:
        return self._url

    def _key(self, name: str) -> str:
        check_name(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _location(self, name: str) -> str:
        return f"s3://{self.bucket}/{self._key(name)}"

    def names(self, folder: str) -> list[str]:
        prefix = self._key(folder) + "/"
        found = []
        with _s3_errors(f"列出 s3://{self.bucket}/{prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    base = str(item["Key"])[len(prefix) :]
                    if base and not base.startswith("."):
                        found.append(f"{folder}/{base}")
        return sorted(found)

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _is_not_found(exc):
                return False
            with _s3_errors(f"查询 {self._location(name)}"):
                raise
        except BotoCoreError as exc:
            raise BackupUnavailable(f"查询 {self._location(name)}失败：{exc}") from exc
        return True

    def open(self, name: str) -> BinaryIO:
        location = self._location(name)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _is_not_found(exc):
                raise BackupError(f"备份中缺少文件 {name}（{location}）") from None
            with _s3_errors(f"读取 {location}"):
                raise
        except BotoCoreError as exc:
            raise BackupUnavailable(f"读取 {location}失败：{exc}") from exc
        return io.BufferedReader(_BodyReader(response["Body"], location), _READ_CHUNK)

    def create(
        self, name: str, source: BinaryIO | Iterable[bytes], *, expect: Expect | None = None
    ) -> Written:
        key = self._key(name)
        if self.exists(name):  # a rerun: compare instead of uploading
            digests = digest_stream(source)
            if expect is not None:
                expect(digests)
            return same_or_refuse(self, name, digests)
        upload = _Upload(self.client, self.bucket, key, self.part_size, self._location(name))
        try:
            digests = digest_stream(source, sink=upload.write)
            if expect is not None:
                expect(digests)
            try:
                upload.finish()
            except _Taken:  # another writer was first
                return same_or_refuse(self, name, digests)
        finally:
            upload.abort()
        return Written(name, digests, created=True)
