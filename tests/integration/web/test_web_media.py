"""Media in the web application: a file streamed through the upload view lands in the evidence
store and the ledger (with its digests, labels and both clocks); every refusal — size, type,
name, time, another agency, CSRF — answers a Chinese error and stores nothing; stored files
are played back with HTTP Range support, and each viewing or download is in the access log."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from lawtrail.core import timeutil
from lawtrail.web import uploads, wiring
from lawtrail.web.models import CaseIndex, User
from tests.s3fixtures import S3Server

pytestmark = pytest.mark.django_db

MiB = 1 << 20
CAPTURED = "2026-03-04T09:30:12+08:00"
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def mp4(size: int, seed: int = 1) -> bytes:
    """An MP4-looking file of `size` bytes (a real `ftyp` box, then noise)."""
    return MP4_HEADER + random.Random(seed).randbytes(size - len(MP4_HEADER))


def market_case(number: int = 0) -> CaseIndex:
    return CaseIndex.objects.filter(agency_id="tonghua-market").order_by("case_number")[number]


def upload_url(index: CaseIndex, **params: str) -> str:
    query = {"filename": "VID_0001.MP4", "captured_at": CAPTURED, "device": "body_camera"}
    query.update(params)
    return f"/cases/{index.pk}/media/upload/?{urlencode(query)}"


def put(client: Client, index: CaseIndex, body: bytes, **params: str) -> Any:
    return client.put(upload_url(index, **params), body, content_type="application/octet-stream")


def media_entries(index: CaseIndex) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("media",)
    )
    return [e.data()["media"] for e in entries]


def access_entries(agency: str, action: str) -> list[dict[str, Any]]:
    found = [e.data()["access"] for e in wiring.ledger().entries(agency, types=("access",))]
    return [a for a in found if a["action"] == action]


def store_files(web_env: Path) -> list[Path]:
    """Everything in the media store's directories: published files and partial uploads."""
    root = web_env / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_stored(index: CaseIndex, web_env: Path) -> None:
    assert media_entries(index) == []
    assert store_files(web_env) == []


@pytest.fixture
def handler(demo_cases: None, login: Callable[[str], Client]) -> Client:
    return login("market.handler")


# ---------------------------------------------------------------------------- upload


def test_uploaded_video_is_stored_with_its_digests_and_a_labelled_ledger_entry(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    body = mp4(3 * MiB + 17)
    before = timeutil.now()
    response = put(handler, index, body, filename="执法记录仪_VID_0001.MP4")
    after = timeutil.now()

    assert response.status_code == 201, response.content.decode()
    answer = response.json()
    sha256 = hashlib.sha256(body).hexdigest()
    sm3 = hashlib.new("sm3", body).hexdigest()
    assert answer["sha256"] == sha256
    assert answer["sm3"] == sm3
    assert answer["size"] == len(body)
    assert answer["filename"] == "执法记录仪_VID_0001.MP4"
    assert answer["created"] is True
    with wiring.media_store().open(sha256) as stored:
        assert stored.read() == body

    [entry] = media_entries(index)
    assert entry["sha256"] == sha256 and entry["sm3"] == sm3 and entry["size"] == len(body)
    assert entry["type"] == "video"
    assert entry["source"] == "body_camera"
    assert entry["uploader"] == "market.handler"
    assert entry["captured_at"] == CAPTURED
    ingested_at = datetime.fromisoformat(entry["ingested_at"])
    assert before <= ingested_at <= after  # the server's clock, not the device's
    assert answer["ingested_at"] == timeutil.local(ingested_at).isoformat()
    assert entry["labels"]["case_number"] == index.case_number
    assert entry["labels"]["handler"] == "刘建国"  # the case's handler (demo market.handler)
    assert entry["labels"]["party"]  # the case's party, named
    [stored_entry] = wiring.ledger().entries(index.agency_id, types=("media",), ref=sha256)
    assert answer["seq"] == stored_entry.seq
    assert stored_entry.case_number == index.case_number


def test_the_type_follows_the_extension_and_a_conflicting_type_is_refused(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100)
    ok = put(handler, index, wav, filename="REC0001.wav")
    assert ok.status_code == 201, ok.content.decode()
    assert media_entries(index)[0]["type"] == "audio"

    refused = put(handler, index, mp4(4096), filename="VID.mp4", type="photo")
    assert refused.status_code == 400
    assert "不能登记为照片" in refused.json()["error"]
    assert len(media_entries(index)) == 1


def test_same_bytes_uploaded_again_are_stored_once(handler: Client, web_env: Path) -> None:
    index = market_case()
    body = mp4(10_000)
    assert put(handler, index, body).json()["created"] is True
    again = put(handler, index, body, filename="copy.mp4")
    assert again.status_code == 201
    assert again.json()["created"] is False
    published = [p for p in store_files(web_env) if "sha256" in p.parts]
    assert len(published) == 1
    page = handler.get(f"/cases/{index.pk}/media/").content.decode()
    assert "相同内容另登记 1 次" in page


class GeneratedBody(io.RawIOBase):
    """A request body made on the fly: `size` bytes in 1 MiB pieces, never all in memory (the
    test's own side must not hold the file either, or the measurement would be meaningless)."""

    def __init__(self, size: int, seed: int, stop_after: int | None = None) -> None:
        super().__init__()
        self.size = size
        self.block = random.Random(seed).randbytes(MiB)
        self.position = 0
        self.stop_after = size if stop_after is None else stop_after

    def chunks(self) -> Iterator[bytes]:
        while (data := self.read(MiB)) != b"":
            yield data

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        end = min(self.stop_after, self.position + (MiB if n is None or n < 0 else n))
        if end <= self.position:
            return b""
        out = bytearray()
        while self.position < end:
            offset = self.position % MiB
            if self.position == 0:
                piece = MP4_HEADER + self.block[len(MP4_HEADER) :]
            else:
                piece = (self.position // MiB).to_bytes(8, "big") + self.block[8:]
            take = min(end - self.position, MiB - offset)
            out += piece[offset : offset + take]
            self.position += take
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:  # LimitedStream wants it; never used
        raise AssertionError("an upload is read in chunks, not lines")


def stream_put(client: Client, url: str, body: GeneratedBody, declared: int) -> Any:
    return client.generic(
        "PUT",
        url,
        CONTENT_TYPE="application/octet-stream",
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": body},
    )


def test_a_256_mb_upload_is_streamed_not_read_into_memory(handler: Client, web_env: Path) -> None:
    size = 256 * MiB
    assert size > 40 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # request.body would refuse it
    reference = GeneratedBody(size, seed=7)
    sha256, sm3 = hashlib.sha256(), hashlib.new("sm3")
    for chunk in reference.chunks():
        sha256.update(chunk)
        sm3.update(chunk)
    index = market_case()

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = stream_put(
            handler, upload_url(index, filename="big.mp4"), GeneratedBody(size, seed=7), size
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 201, response.content.decode()
    assert response.json()["sha256"] == sha256.hexdigest()
    assert response.json()["sm3"] == sm3.hexdigest()
    assert response.json()["size"] == size
    # Python allocations during the whole request, threads included: a few 1 MiB chunks in
    # flight, nowhere near the file's size.
    assert peak < 48 * MiB, f"peak {peak / MiB:.1f} MiB while uploading {size / MiB:.0f} MiB"
    stored = web_env / "media" / "sha256" / sha256.hexdigest()[:2]
    assert sum(p.stat().st_size for p in stored.rglob("*") if p.is_file()) == size


def test_an_upload_that_ends_before_its_declared_length_stores_nothing(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    body = GeneratedBody(20 * MiB, seed=3, stop_after=5 * MiB + 3)  # the client went away
    response = stream_put(handler, upload_url(index), body, 20 * MiB)
    assert response.status_code == 400
    assert "上传不完整" in response.json()["error"]
    assert_nothing_stored(index, web_env)


def test_a_body_longer_than_declared_is_aborted_and_stores_nothing(
    demo_cases: None, web_env: Path
) -> None:
    """WSGI servers cut the body at Content-Length; should one not (a different server, a
    proxy), the stream is still checked: the extra bytes abort the upload inside the store."""
    index = market_case()
    user = User.objects.get(username="market.handler")
    declared = 3 * MiB
    request = RequestFactory().put(
        upload_url(index), mp4(declared), content_type="application/octet-stream"
    )
    request._stream = io.BytesIO(mp4(declared + MiB))  # a server that does not bound the body
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.ingest_request(request, index, user)
    assert refused.value.status == 400
    assert "超过声明的长度" in refused.value.message
    assert_nothing_stored(index, web_env)


@override_settings(LAWTRAIL_MAX_UPLOAD_BYTES=64 * 1024)
def test_an_upload_over_the_size_limit_is_refused_with_413_before_reading(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    body = GeneratedBody(64 * 1024 + 1, seed=5)
    response = stream_put(handler, upload_url(index), body, 64 * 1024 + 1)
    assert response.status_code == 413
    assert "文件过大" in response.json()["error"]
    assert "超过上传上限" in response.json()["error"]
    assert body.position == 0  # not one byte was read
    assert_nothing_stored(index, web_env)


@pytest.mark.parametrize(
    ("filename", "body", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + bytes(4000), "不允许的文件类型"),
        ("VID_0002.mp4", b"<html><script>alert(1)</script></html>" + bytes(4000), "不是有效的"),
        ("IMG_0001.jpg", b"\x89PNG\r\n\x1a\n" + bytes(4000), "不是有效的JPEG"),
        ("REC_0001.wav", b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(4000), "不是有效的WAV"),
        ("noextension", mp4(4000), "无扩展名"),
    ],
)
def test_a_forbidden_type_is_refused_with_415_and_stores_nothing(
    handler: Client, web_env: Path, filename: str, body: bytes, message: str
) -> None:
    index = market_case()
    response = put(handler, index, body, filename=filename)
    assert response.status_code == 415
    assert message in response.json()["error"]
    assert_nothing_stored(index, web_env)


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.mp4",
        "..\\windows.mp4",
        "dir/VID.mp4",
        "VID\x00.mp4",
        "VID\n.mp4",
        "VID\u202e4pm.exe",
        "",
        "a" * 252 + ".mp4",
    ],
)
def test_a_bad_file_name_is_refused_with_400_and_stores_nothing(
    handler: Client, web_env: Path, filename: str
) -> None:
    index = market_case()
    response = put(handler, index, mp4(4096), filename=filename)
    assert response.status_code == 400
    assert "文件名" in response.json()["error"]
    assert_nothing_stored(index, web_env)


@pytest.mark.parametrize(
    ("captured_at", "message"),
    [
        ("2026-03-04T09:30:12", "时间必须带时区"),
        ("2026-03-04 09:30:12", "时间必须带时区"),
        ("", "缺少 captured_at"),
        ("昨天下午", "不是有效的时间"),
        ("2999-01-01T00:00:00+08:00", "晚于服务器当前时间"),
    ],
)
def test_a_bad_capture_time_is_refused_with_400_and_stores_nothing(
    handler: Client, web_env: Path, captured_at: str, message: str
) -> None:
    index = market_case()
    response = put(handler, index, mp4(4096), captured_at=captured_at)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert_nothing_stored(index, web_env)


def test_a_completed_time_before_the_capture_time_is_refused(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    response = put(handler, index, mp4(4096), completed_at="2026-03-04T09:00:00+08:00")
    assert response.status_code == 400
    assert "早于开始时间" in response.json()["error"]
    assert_nothing_stored(index, web_env)


def test_an_offset_whose_plus_was_not_url_encoded_is_still_read(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    url = f"/cases/{index.pk}/media/upload/?filename=a.mp4&captured_at=2026-03-04T09:30:12+08:00"
    response = handler.put(url, mp4(4096), content_type="application/octet-stream")
    assert response.status_code == 201, response.content.decode()
    assert media_entries(index)[0]["captured_at"] == CAPTURED


def test_an_upload_without_content_length_is_refused(handler: Client, web_env: Path) -> None:
    index = market_case()
    response = handler.generic(
        "PUT", upload_url(index), CONTENT_TYPE="application/octet-stream", CONTENT_LENGTH=""
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert_nothing_stored(index, web_env)


def test_a_form_encoded_upload_is_refused_with_415(handler: Client, web_env: Path) -> None:
    index = market_case()
    response = handler.put(
        upload_url(index, filename="a.mp4"),
        b"file=" + mp4(1000),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert "请直接上传文件内容" in response.json()["error"]
    assert_nothing_stored(index, web_env)


def test_a_user_of_another_agency_gets_403_and_the_attempt_is_logged(
    demo_cases: None, login: Callable[[str], Client], web_env: Path
) -> None:
    index = market_case()
    response = put(login("postal.handler"), index, mp4(4096))
    assert response.status_code == 403
    assert "无权" in response.json()["error"]
    [attempt] = access_entries("tonghua-market", "upload_media")
    assert (attempt["user"], attempt["outcome"]) == ("postal.handler", "denied")
    assert_nothing_stored(index, web_env)


def test_a_supervisor_may_read_but_not_upload(
    demo_cases: None, login: Callable[[str], Client], web_env: Path
) -> None:
    index = market_case()
    supervisor = login("supervisor")
    response = put(supervisor, index, mp4(4096))
    assert response.status_code == 403
    [attempt] = access_entries("tonghua-market", "upload_media")
    assert (attempt["user"], attempt["outcome"]) == ("supervisor", "denied")
    assert_nothing_stored(index, web_env)
    page = supervisor.get(f"/cases/{index.pk}/media/")
    assert page.status_code == 200
    assert 'id="media-upload"' not in page.content.decode()


def test_an_anonymous_upload_gets_401_json(demo_cases: None, web_env: Path) -> None:
    index = market_case()
    response = put(Client(), index, mp4(4096))
    assert response.status_code == 401
    assert response.json()["error"] == "请先登录后再上传"
    assert_nothing_stored(index, web_env)


def test_an_upload_needs_the_csrf_token_header(
    demo_cases: None, demo_users: Any, web_env: Path
) -> None:
    index = market_case()
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="market.handler", password="lawtrail-demo")
    page = client.get(f"/cases/{index.pk}/media/")
    token = page.cookies["csrftoken"].value

    refused = put(client, index, mp4(4096))
    assert refused.status_code == 403
    assert_nothing_stored(index, web_env)

    accepted = client.put(
        upload_url(index),
        mp4(4096),
        content_type="application/octet-stream",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.content.decode()


# ---------------------------------------------------------------------------- page and file


def test_media_page_lists_the_files_with_players_and_both_clocks(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    video = mp4(50_000)
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2000)
    put(handler, index, video, filename="VID_0001.MP4")
    put(handler, index, jpeg, filename="现场照片.jpg", device="phone")
    page = handler.get(f"/cases/{index.pk}/media/")
    assert page.status_code == 200
    html = page.content.decode()
    video_sha = hashlib.sha256(video).hexdigest()
    jpeg_sha = hashlib.sha256(jpeg).hexdigest()
    assert f'<video controls preload="none" src="/cases/{index.pk}/media/{video_sha}/"' in html
    assert f'<img src="/cases/{index.pk}/media/{jpeg_sha}/"' in html
    assert "现场照片.jpg" in html and "VID_0001.MP4" in html
    assert video_sha[:16] in html and hashlib.new("sm3", video).hexdigest() in html
    assert "2026-03-04 09:30:12" in html  # the device clock, in Beijing time
    assert "（服务器时钟" in html
    assert "刘建国" in html  # uploader's name and the handler label
    assert "执法记录仪" in html and "手机" in html
    assert 'id="media-upload"' in html and "webkitdirectory" in html
    assert "/static/lawtrail/upload.js" in html
    [viewed] = access_entries("tonghua-market", "view_media_list")
    assert viewed["user"] == "market.handler"


def test_range_requests_return_the_requested_bytes(handler: Client, web_env: Path) -> None:
    index = market_case()
    body = mp4(3 * MiB + 123)
    sha256 = put(handler, index, body).json()["sha256"]
    url = f"/cases/{index.pk}/media/{sha256}/"

    middle = handler.get(url, headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206
    assert b"".join(middle.streaming_content) == body[1000:2000]
    assert middle["Content-Range"] == f"bytes 1000-1999/{len(body)}"
    assert middle["Content-Length"] == "1000"
    assert middle["Accept-Ranges"] == "bytes"
    assert middle["Content-Type"] == "video/mp4"
    assert middle["X-Content-Type-Options"] == "nosniff"

    tail = handler.get(url, headers={"Range": f"bytes={len(body) - 10}-"})
    assert b"".join(tail.streaming_content) == body[-10:]
    suffix = handler.get(url, headers={"Range": "bytes=-5"})
    assert suffix["Content-Range"] == f"bytes {len(body) - 5}-{len(body) - 1}/{len(body)}"
    assert b"".join(suffix.streaming_content) == body[-5:]
    past_end = handler.get(url, headers={"Range": f"bytes={len(body)}-"})
    assert past_end.status_code == 416
    assert past_end["Content-Range"] == f"bytes */{len(body)}"

    whole = handler.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == body
    assert whole["Content-Length"] == str(len(body))
    assert whole["Content-Disposition"].startswith("inline")


def test_only_a_viewing_that_starts_at_byte_0_is_logged(handler: Client, web_env: Path) -> None:
    index = market_case()
    sha256 = put(handler, index, mp4(100_000)).json()["sha256"]
    url = f"/cases/{index.pk}/media/{sha256}/"
    for headers in ({"Range": "bytes=0-"}, {"Range": "bytes=5000-"}, {"Range": "bytes=9000-9999"}):
        response = handler.get(url, headers=headers)
        assert response.status_code == 206
        b"".join(response.streaming_content)
    [viewing] = access_entries("tonghua-market", "view_media")
    assert (viewing["target"], viewing["user"], viewing["outcome"]) == (
        sha256,
        "market.handler",
        "allowed",
    )


def test_download_is_an_attachment_with_the_chinese_name_and_is_logged(
    handler: Client, web_env: Path
) -> None:
    index = market_case()
    body = mp4(20_000)
    sha256 = put(handler, index, body, filename="执法记录仪 0304.mp4").json()["sha256"]
    response = handler.get(f"/cases/{index.pk}/media/{sha256}/?download=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('执法记录仪 0304.mp4')}" in disposition
    [download] = access_entries("tonghua-market", "download_media")
    assert (download["target"], download["user"]) == (sha256, "market.handler")
    assert access_entries("tonghua-market", "view_media") == []


def test_a_file_of_another_case_is_not_served_through_this_case(
    handler: Client, web_env: Path
) -> None:
    first, second = market_case(0), market_case(1)
    sha256 = put(handler, first, mp4(4096)).json()["sha256"]
    assert handler.get(f"/cases/{second.pk}/media/{sha256}/").status_code == 404
    assert handler.get(f"/cases/{first.pk}/media/{'0' * 64}/").status_code == 404
    assert handler.get(f"/cases/{first.pk}/media/not-a-digest/").status_code == 404
    assert handler.get(f"/cases/{first.pk}/media/{sha256}/").status_code == 200


def test_another_agency_cannot_play_a_file_and_the_attempt_is_logged(
    handler: Client, login: Callable[[str], Client], web_env: Path
) -> None:
    index = market_case()
    sha256 = put(handler, index, mp4(4096)).json()["sha256"]
    outsider = login("stats.handler")
    for headers in ({}, {"Range": "bytes=100-"}):  # a continuation range is checked too
        response = outsider.get(f"/cases/{index.pk}/media/{sha256}/", headers=headers)
        assert response.status_code == 403
    attempts = access_entries("tonghua-market", "view_media")
    assert [(a["user"], a["outcome"]) for a in attempts] == [("stats.handler", "denied")] * 2
    assert outsider.get(f"/cases/{index.pk}/media/").status_code == 403


def test_a_supervisor_can_play_a_file_and_the_viewing_is_logged(
    handler: Client, login: Callable[[str], Client], web_env: Path
) -> None:
    index = market_case()
    body = mp4(4096)
    sha256 = put(handler, index, body).json()["sha256"]
    response = login("supervisor").get(f"/cases/{index.pk}/media/{sha256}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
    [viewing] = access_entries("tonghua-market", "view_media")
    assert viewing["user"] == "supervisor"


# ---------------------------------------------------------------------------- on S3


def test_upload_and_ranged_playback_work_on_the_s3_store(
    handler: Client, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_server.new_bucket_name("web")
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv(
        "LAWTRAIL_MEDIA_STORE", f"s3://{bucket}/evidence?endpoint={s3_server.endpoint_url}"
    )
    monkeypatch.setenv("LAWTRAIL_S3_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("LAWTRAIL_S3_SECRET_KEY", s3_server.secret_key)
    wiring.reset()
    index = market_case()
    try:
        # A truncated multipart upload (more than one 8 MiB part) leaves nothing behind.
        cut = stream_put(
            handler, upload_url(index), GeneratedBody(20 * MiB, 9, stop_after=17 * MiB), 20 * MiB
        )
        assert cut.status_code == 400
        assert client.list_objects_v2(Bucket=bucket).get("Contents", []) == []
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        assert media_entries(index) == []

        body = mp4(9 * MiB + 5, seed=4)
        answer = put(handler, index, body).json()
        sha256 = hashlib.sha256(body).hexdigest()
        assert answer["sha256"] == sha256
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
        assert keys == [f"evidence/sha256/{sha256}"]
        start = 8 * MiB - 10
        response = handler.get(
            f"/cases/{index.pk}/media/{sha256}/", headers={"Range": f"bytes={start}-{start + 99}"}
        )
        assert response.status_code == 206
        assert b"".join(response.streaming_content) == body[start : start + 100]
    finally:
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)


def test_generated_body_is_deterministic_and_starts_like_an_mp4() -> None:
    first = b"".join(GeneratedBody(3 * MiB + 5, seed=2).chunks())
    assert len(first) == 3 * MiB + 5
    assert first.startswith(MP4_HEADER)
    assert first == b"".join(GeneratedBody(3 * MiB + 5, seed=2).chunks())
    assert first[MiB : MiB + 8] != first[2 * MiB : 2 * MiB + 8]
