"""Faults in the middle of an upload (issue #18), on SQLite and on PostgreSQL (the web tests'
two passes): the object store going down mid-upload and a full disk. Each answers a Chinese
error, registers nothing, loses no record acknowledged before it, leaves the ledger intact, and
whatever the failed upload left behind is gone after `remove_orphans` (`lawtrail media
cleanup`). The SIGKILL of an upload process is in tests/integration/test_media_orphans.py, the
SIGKILL of a ledger writer in tests/integration/test_ledger_concurrency.py (both databases)."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.verify import verify
from lawtrail.web import wiring
from tests.integration.web.test_web_media import (
    GeneratedBody,
    MiB,
    market_case,
    media_entries,
    mp4,
    put,
    stream_put,
    upload_url,
)
from tests.s3fixtures import S3Server
from tests.tmpfs import tiny_tmpfs

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def handler(demo_cases: None, login: Callable[[str], Client]) -> Client:
    return login("market.handler")


def assert_ledger_intact(agency: str) -> None:
    report = verify(wiring.ledger(), wiring.keys(), agency=agency)
    assert report.problems == [], [f"{p.code}: {p.message}" for p in report.problems]


class CuttableLink:
    """A TCP relay to the object store that can be cut like a network outage: once `cut_after`
    bytes have gone upstream it closes every connection and answers new ones by closing them,
    until `restore`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = 0
        self.limit: int | None = None
        self.down = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, limit: int) -> None:
        with self._lock:
            self.sent, self.limit = 0, limit

    def restore(self) -> None:
        with self._lock:
            self.down, self.limit = False, None

    def _cut(self) -> None:
        self.down = True
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._open.clear()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if self.down:
                    client.close()
                    continue
                server = socket.create_connection(self.upstream)
                self._open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                with self._lock:
                    if self.down:
                        return
                    if upstream:
                        self.sent += len(data)
                        if self.limit is not None and self.sent > self.limit:
                            self._cut()
                            return
                target.sendall(data)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            self._cut()


@pytest.fixture
def link(s3_server: S3Server) -> Iterator[CuttableLink]:
    host, port = s3_server.endpoint_url.removeprefix("http://").split(":")
    relay = CuttableLink((host, int(port)))
    yield relay
    relay.close()


def test_the_object_store_going_down_mid_upload_answers_503_in_chinese_and_loses_nothing(
    handler: Client,
    s3_server: S3Server,
    link: CuttableLink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = s3_server.new_bucket_name("outage")
    client = s3_server.client()  # straight to the server, not through the link
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv(
        "LAWTRAIL_MEDIA_STORE", f"s3://{bucket}/evidence?endpoint={link.endpoint_url}"
    )
    monkeypatch.setenv("LAWTRAIL_S3_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("LAWTRAIL_S3_SECRET_KEY", s3_server.secret_key)
    wiring.reset()
    index = market_case()
    before = put(handler, index, mp4(2 * MiB, seed=11))
    assert before.status_code == 201, before.content.decode()
    acknowledged = before.json()

    link.cut_after(12 * MiB)  # the first 8 MiB part goes up; the second is cut off
    response = stream_put(
        handler, upload_url(index, filename="VID_0002.MP4"), GeneratedBody(24 * MiB, 12), 24 * MiB
    )
    assert link.down
    assert response.status_code == 503
    assert response.json()["error"] == (
        "证据库（对象存储）暂时无法连接，文件未保存、未登记；请稍后重新上传"
    )
    # Nothing registered; the upload acknowledged before is still there, the log intact.
    assert [m["sha256"] for m in media_entries(index)] == [acknowledged["sha256"]]
    assert_ledger_intact(index.agency_id)
    # The abort could not reach the store either: the first part is left behind.
    left = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert len(left) == 1

    link.restore()
    store = wiring.media_store()
    removed = store.remove_orphans(0)
    assert [(o.kind, o.removed) for o in removed] == [("multipart_upload", True)]
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"evidence/sha256/{acknowledged['sha256']}"]
    assert store.check(acknowledged["sha256"], acknowledged["sm3"], acknowledged["size"]) is None
    # Once the store is back, the same upload succeeds.
    again = stream_put(
        handler, upload_url(index, filename="VID_0002.MP4"), GeneratedBody(24 * MiB, 12), 24 * MiB
    )
    assert again.status_code == 201
    assert len(media_entries(index)) == 2


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs mounted for the media store (needs root, as the test machines run)."""
    with tiny_tmpfs(tmp_path / "media", "6m") as mount_point:
        yield mount_point


def test_a_full_disk_answers_507_in_chinese_and_leaves_no_partial_file(
    handler: Client, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWTRAIL_MEDIA_STORE", tiny_disk.as_uri())
    wiring.reset()
    index = market_case()
    first = mp4(2 * MiB, seed=21)
    before = put(handler, index, first)
    assert before.status_code == 201
    acknowledged = before.json()

    response = stream_put(
        handler, upload_url(index, filename="VID_0002.MP4"), GeneratedBody(8 * MiB, 22), 8 * MiB
    )
    assert response.status_code == 507
    assert response.json()["error"] == (
        "证据库存储空间已满，文件未保存、未登记；请联系系统管理员扩容后重新上传"
    )
    assert [m["sha256"] for m in media_entries(index)] == [acknowledged["sha256"]]
    assert_ledger_intact(index.agency_id)
    # The failed put removed its partial file itself: the space is free again, nothing to clean.
    store = LocalMediaStore(tiny_disk)
    assert list((tiny_disk / "incoming").iterdir()) == []
    assert store.remove_orphans(0) == []
    assert store.check(acknowledged["sha256"], acknowledged["sm3"], acknowledged["size"]) is None
    assert hashlib.sha256(first).hexdigest() == acknowledged["sha256"]
    # A file that fits is still accepted on the same disk.
    assert put(handler, index, mp4(MiB, seed=23), filename="VID_0003.MP4").status_code == 201
