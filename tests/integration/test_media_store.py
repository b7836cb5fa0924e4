"""The media store, on both backends: a local directory and S3 (a real SeaweedFS server).

Every test that takes `backend` runs once per backend, the S3 one in a fresh bucket.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lawtrail.evidence.s3 import MIN_PART_SIZE, S3MediaStore
from lawtrail.evidence.store import (
    ACCESS_KEY_ENV,
    SECRET_KEY_ENV,
    LocalMediaStore,
    MediaNotFoundError,
    MediaStore,
    MediaStoreError,
    media_store_from_url,
)
from tests.s3fixtures import S3Server

MiB = 1 << 20


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sm3_of(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


class Backend:
    """A store plus raw access to what it keeps, bypassing the store."""

    name: str
    store: Any

    def make(self, **options: Any) -> Any:
        """Another store on the same place (with other options)."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """Every stored name (published and incoming), relative to the store's root."""
        raise NotImplementedError

    def published(self) -> list[str]:
        return [name for name in self.names() if name.startswith("sha256/")]

    def incoming(self) -> list[str]:
        return [name for name in self.names() if not name.startswith("sha256/")]

    def read_raw(self, sha256: str) -> bytes:
        raise NotImplementedError

    def overwrite_raw(self, sha256: str, data: bytes) -> None:
        raise NotImplementedError

    def delete_raw(self, sha256: str) -> None:
        raise NotImplementedError


class LocalBackend(Backend):
    name = "local"
    store: LocalMediaStore

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = LocalMediaStore(root)

    def make(self, **options: Any) -> LocalMediaStore:
        return LocalMediaStore(self.root, **options)

    def names(self) -> list[str]:
        return sorted(
            str(path.relative_to(self.root)) for path in self.root.rglob("*") if path.is_file()
        )

    def read_raw(self, sha256: str) -> bytes:
        return self.store.path(sha256).read_bytes()

    def overwrite_raw(self, sha256: str, data: bytes) -> None:
        path = self.store.path(sha256)
        path.chmod(0o644)
        path.write_bytes(data)
        path.chmod(0o444)

    def delete_raw(self, sha256: str) -> None:
        self.store.path(sha256).unlink()


class S3Backend(Backend):
    name = "s3"
    store: S3MediaStore

    def __init__(self, server: S3Server) -> None:
        self.server = server
        self.bucket = server.new_bucket_name()
        self.store = self.make(create_bucket=True)
        self.client = server.client()

    def make(self, **options: Any) -> S3MediaStore:
        return S3MediaStore(
            self.bucket,
            "evidence",
            endpoint_url=self.server.endpoint_url,
            region=self.server.region,
            access_key=self.server.access_key,
            secret_key=self.server.secret_key,
            **options,
        )

    def names(self) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        assert all(key.startswith("evidence/") for key in keys), keys
        return sorted(key.removeprefix("evidence/") for key in keys)

    def multipart_uploads(self) -> list[Any]:
        return list(self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))

    def read_raw(self, sha256: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self.store.key(sha256))["Body"]
        with body:
            return bytes(body.read())

    def overwrite_raw(self, sha256: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.store.key(sha256), Body=data)

    def delete_raw(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.store.key(sha256))


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield LocalBackend(tmp_path / "media")
    else:
        yield S3Backend(request.getfixturevalue("s3_server"))


@pytest.fixture
def s3_backend(s3_server: S3Server) -> S3Backend:
    return S3Backend(s3_server)


def sample(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    return (block * (size // len(block) + 1))[:size]


# --- storing and reading ------------------------------------------------------------------


def test_put_round_trips_bytes_with_their_sha256_and_sm3(backend: Backend) -> None:
    data = os.urandom(3 * MiB + 12345)
    stored = backend.store.put(io.BytesIO(data))

    assert stored.sha256 == sha256_of(data)
    assert stored.sm3 == sm3_of(data)
    assert stored.size == len(data)
    assert stored.created is True
    assert stored.location == backend.store.location(stored.sha256)
    assert backend.store.exists(stored.sha256)
    with backend.store.open(stored.sha256) as stream:
        assert stream.read() == data
    assert backend.read_raw(stored.sha256) == data
    assert backend.incoming() == []


def test_put_accepts_an_iterable_of_chunks(backend: Backend) -> None:
    chunks = [b"first,", b"", b"second,", os.urandom(70_000), b"last"]
    data = b"".join(chunks)

    stored = backend.store.put(iter(chunks))

    assert (stored.sha256, stored.sm3, stored.size) == (sha256_of(data), sm3_of(data), len(data))
    with backend.store.open(stored.sha256) as stream:
        assert stream.read() == data


def test_locations_are_the_documented_addresses(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(b"where am I"))
    hex_ = stored.sha256
    if isinstance(backend, LocalBackend):
        name = f"sha256/{hex_[:2]}/{hex_[2:4]}/{hex_}"
        assert stored.location == (backend.root / name).as_uri()
        assert stored.location.startswith("file:///")
    else:
        assert isinstance(backend, S3Backend)
        name = f"sha256/{hex_}"
        assert stored.location == f"s3://{backend.bucket}/evidence/{name}"
    assert backend.published() == [name]


def test_object_spanning_several_parts_round_trips(backend: Backend) -> None:
    # S3: 5 MiB parts, so 12 MiB is a three-part upload, copied with a multipart copy too.
    store = backend.store
    calls: list[str] = []
    if isinstance(backend, S3Backend):
        store = backend.make(part_size=MIN_PART_SIZE, copy_part_size=MIN_PART_SIZE)
        store.client.meta.events.register(
            "before-call.s3.*", lambda model, **_: calls.append(model.name)
        )
    data = os.urandom(12 * MiB + 1)

    stored = store.put(io.BytesIO(data))

    assert (stored.sha256, stored.sm3, stored.size) == (sha256_of(data), sm3_of(data), len(data))
    if isinstance(backend, S3Backend):  # the multipart paths were taken: 5 + 5 + 2 MiB
        assert calls.count("UploadPart") == 3
        assert calls.count("UploadPartCopy") == 3
        assert "PutObject" not in calls
        assert "CopyObject" not in calls
    assert backend.read_raw(stored.sha256) == data
    assert store.check(stored.sha256, stored.sm3, stored.size) is None
    assert backend.incoming() == []


def test_identical_content_stored_twice_is_one_object(backend: Backend) -> None:
    data = os.urandom(100_000)

    first = backend.store.put(io.BytesIO(data))
    second = backend.store.put(iter([data[:10], data[10:]]))

    assert first.created is True
    assert second.created is False
    assert (second.sha256, second.sm3, second.size, second.location) == (
        first.sha256,
        first.sm3,
        first.size,
        first.location,
    )
    assert len(backend.published()) == 1
    assert backend.incoming() == []
    assert backend.read_raw(first.sha256) == data


def test_empty_file_is_stored(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(b""))

    assert stored.sha256 == sha256_of(b"")
    assert stored.sm3 == sm3_of(b"")
    assert stored.size == 0
    assert stored.created is True
    with backend.store.open(stored.sha256) as stream:
        assert stream.read() == b""
    assert backend.store.check(stored.sha256, stored.sm3, 0) is None


def test_exceeding_max_size_fails_and_leaves_nothing(backend: Backend) -> None:
    data = os.urandom(3 * MiB)

    with pytest.raises(MediaStoreError, match="文件超过大小上限 2097152 字节"):
        backend.store.put(io.BytesIO(data), max_size=2 * MiB)

    assert backend.names() == []
    assert not backend.store.exists(sha256_of(data))


def test_exceeding_max_size_during_a_multipart_upload_aborts_it(s3_backend: S3Backend) -> None:
    store = s3_backend.make(part_size=MIN_PART_SIZE)
    data = sample(12 * MiB)

    with pytest.raises(MediaStoreError, match="文件超过大小上限"):
        store.put(io.BytesIO(data), max_size=11 * MiB)

    assert s3_backend.names() == []
    assert s3_backend.multipart_uploads() == []


def test_content_of_exactly_max_size_is_accepted(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(b"x" * 1000), max_size=1000)
    assert stored.size == 1000


def test_a_failing_source_leaves_nothing(backend: Backend) -> None:
    store = backend.store
    if isinstance(backend, S3Backend):
        store = backend.make(part_size=MIN_PART_SIZE)

    def broken() -> Iterator[bytes]:
        for _ in range(7):  # past the first S3 part
            yield sample(MiB)
        raise OSError("the upload connection broke")

    with pytest.raises(OSError, match="the upload connection broke"):
        store.put(broken())

    assert backend.names() == []
    if isinstance(backend, S3Backend):
        assert backend.multipart_uploads() == []


def test_s3_small_object_takes_one_put_and_a_copy_with_the_digests_as_metadata(
    s3_backend: S3Backend,
) -> None:
    calls: list[str] = []
    s3_backend.store.client.meta.events.register(
        "before-call.s3.*", lambda model, **_: calls.append(model.name)
    )
    data = b"metadata please"
    stored = s3_backend.store.put(io.BytesIO(data))
    assert [c for c in calls if c != "HeadObject"] == ["PutObject", "CopyObject", "DeleteObject"]

    head = s3_backend.client.head_object(
        Bucket=s3_backend.bucket, Key=s3_backend.store.key(stored.sha256)
    )

    assert head["Metadata"] == {
        "sha256": sha256_of(data),
        "sm3": sm3_of(data),
        "size": str(len(data)),
    }
    assert head["ContentLength"] == len(data)


# --- write-once ---------------------------------------------------------------------------


def test_local_published_file_is_read_only_and_a_second_put_leaves_it_alone(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    data = os.urandom(50_000)
    stored = store.put(io.BytesIO(data))
    path = store.path(stored.sha256)
    before = path.stat()

    again = store.put(io.BytesIO(data))

    after = path.stat()
    assert stat.S_IMODE(after.st_mode) == 0o400  # read-only, owner only (personal data)
    assert again.created is False
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (
        before.st_ino,
        before.st_mtime_ns,
        1,
    )
    assert path.read_bytes() == data
    assert list((tmp_path / "media" / "incoming").iterdir()) == []


def test_local_store_does_not_overwrite_a_damaged_file_of_other_size(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    data = b"original evidence"
    stored = store.put(io.BytesIO(data))
    path = store.path(stored.sha256)
    path.chmod(0o644)
    path.write_bytes(b"damaged")
    path.chmod(0o444)

    with pytest.raises(MediaStoreError, match="已存文件可能损坏"):
        store.put(io.BytesIO(data))

    assert path.read_bytes() == b"damaged"  # evidence of the damage is kept, not replaced
    assert list((tmp_path / "media" / "incoming").iterdir()) == []


# --- checking -----------------------------------------------------------------------------


def test_check_of_an_intact_object_finds_nothing(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(os.urandom(2 * MiB + 1)))

    assert backend.store.check(stored.sha256, stored.sm3, stored.size) is None
    assert backend.store.check(stored.sha256.upper(), stored.sm3.upper(), stored.size) is None
    assert backend.store.check(stored.sha256, "", None) is None  # sm3 and size not registered


def test_a_flipped_byte_is_a_digest_mismatch_naming_the_sha256(backend: Backend) -> None:
    data = os.urandom(1 * MiB + 7)
    stored = backend.store.put(io.BytesIO(data))
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    backend.overwrite_raw(stored.sha256, bytes(damaged))

    problem = backend.store.check(stored.sha256, stored.sm3, stored.size)

    assert problem is not None
    assert problem.code == "digest_mismatch"
    assert problem.sha256 == stored.sha256
    assert problem.actual_sha256 == sha256_of(bytes(damaged))
    assert problem.actual_sm3 == sm3_of(bytes(damaged))
    assert problem.actual_size == len(data)
    assert problem.location == stored.location
    assert problem.message.startswith("媒体文件内容与登记的摘要不符")
    assert stored.sha256 in problem.message
    assert problem.actual_sha256 in problem.message


def test_a_wrong_registered_sm3_is_a_digest_mismatch(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(b"registered with another sm3"))

    problem = backend.store.check(stored.sha256, "0" * 64, stored.size)

    assert problem is not None
    assert problem.code == "digest_mismatch"
    assert problem.actual_sm3 == stored.sm3


def test_a_truncated_object_is_a_size_mismatch(backend: Backend) -> None:
    data = os.urandom(4096)
    stored = backend.store.put(io.BytesIO(data))
    backend.overwrite_raw(stored.sha256, data[:1000])

    problem = backend.store.check(stored.sha256, stored.sm3, stored.size)

    assert problem is not None
    assert problem.code == "size_mismatch"
    assert problem.actual_size == 1000
    assert problem.actual_sha256 == sha256_of(data[:1000])
    assert "4096" in problem.message
    assert "1000" in problem.message


def test_a_deleted_object_is_missing(backend: Backend) -> None:
    stored = backend.store.put(io.BytesIO(b"soon gone"))
    backend.delete_raw(stored.sha256)

    problem = backend.store.check(stored.sha256, stored.sm3, stored.size)

    assert problem is not None
    assert problem.code == "missing"
    assert problem.location == stored.location
    assert problem.message == f"媒体文件缺失：sha256 {stored.sha256}（位置 {stored.location}）"
    assert not backend.store.exists(stored.sha256)
    with pytest.raises(MediaNotFoundError, match="媒体文件缺失") as raised:
        backend.store.open(stored.sha256)
    assert isinstance(raised.value, MediaStoreError)
    assert isinstance(raised.value, FileNotFoundError)


@pytest.mark.parametrize("bad", ["", "abc", "../" + "0" * 61, "g" * 64, "0" * 63 + "/"])
def test_a_malformed_sha256_is_refused(backend: Backend, bad: str) -> None:
    with pytest.raises(MediaStoreError, match="无效的 SHA-256 摘要"):
        backend.store.location(bad)
    with pytest.raises(MediaStoreError, match="无效的 SHA-256 摘要"):
        backend.store.open(bad)


# --- choosing a store by URL ----------------------------------------------------------------


def test_media_store_from_url_opens_a_local_directory(tmp_path: Path) -> None:
    root = tmp_path / "by url"
    by_uri = media_store_from_url(root.as_uri())
    by_path = media_store_from_url(str(root))

    assert isinstance(by_uri, LocalMediaStore)
    assert isinstance(by_path, LocalMediaStore)
    assert isinstance(by_uri, MediaStore)
    assert by_uri.root == by_path.root == root
    assert by_uri.url == root.as_uri()
    stored = by_uri.put(io.BytesIO(b"via url"))
    assert by_path.exists(stored.sha256)
    assert isinstance(media_store_from_url(by_uri.url), LocalMediaStore)


def test_media_store_from_url_opens_an_s3_bucket(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_server.new_bucket_name()
    s3_server.client().create_bucket(Bucket=bucket)
    monkeypatch.setenv(ACCESS_KEY_ENV, s3_server.access_key)
    monkeypatch.setenv(SECRET_KEY_ENV, s3_server.secret_key)
    url = f"s3://{bucket}/agency/a1?endpoint={s3_server.endpoint_url}&region={s3_server.region}"

    store = media_store_from_url(url)

    assert isinstance(store, S3MediaStore)
    assert isinstance(store, MediaStore)
    assert (store.bucket, store.prefix, store.endpoint_url) == (
        bucket,
        "agency/a1",
        s3_server.endpoint_url,
    )
    assert store.url == url
    stored = store.put(io.BytesIO(b"via s3 url"))
    assert stored.location == f"s3://{bucket}/agency/a1/sha256/{stored.sha256}"
    again = media_store_from_url(store.url)
    assert again.exists(stored.sha256)


@pytest.mark.parametrize("missing", [ACCESS_KEY_ENV, SECRET_KEY_ENV])
def test_media_store_from_url_without_s3_credentials_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setenv(ACCESS_KEY_ENV, "key")
    monkeypatch.setenv(SECRET_KEY_ENV, "secret")
    monkeypatch.delenv(missing)

    with pytest.raises(MediaStoreError, match=f"未设置环境变量 {missing}"):
        media_store_from_url("s3://bucket/prefix?endpoint=http://127.0.0.1:1")


def test_media_store_from_url_for_a_missing_bucket_fails(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ACCESS_KEY_ENV, s3_server.access_key)
    monkeypatch.setenv(SECRET_KEY_ENV, s3_server.secret_key)
    bucket = s3_server.new_bucket_name()

    with pytest.raises(MediaStoreError, match=f"S3 存储桶不存在：s3://{bucket}"):
        media_store_from_url(f"s3://{bucket}?endpoint={s3_server.endpoint_url}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "媒体存储地址为空"),
        ("ftp://host/dir", "不支持的媒体存储地址"),
        ("file://otherhost/dir", "无效的本地媒体存储地址"),
        ("s3:///prefix", "缺少存储桶名"),
        ("s3://bucket?endpoint=http://x&colour=blue", "未知参数 colour"),
    ],
)
def test_media_store_from_url_refuses_bad_urls(url: str, message: str) -> None:
    with pytest.raises(MediaStoreError, match=message):
        media_store_from_url(url)


def test_an_unusable_local_root_is_a_media_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_bytes(b"")
    with pytest.raises(MediaStoreError, match="创建媒体存储目录"):
        LocalMediaStore(blocker / "media")
