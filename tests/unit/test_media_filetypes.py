"""Which files may enter the evidence store: the allow-list, the magic numbers, the base-name
rules and the recording time read from camera file names (lawtrail.evidence.filetypes)."""

from __future__ import annotations

from datetime import datetime

import pytest

from lawtrail.core.timeutil import SHANGHAI
from lawtrail.evidence import filetypes
from lawtrail.evidence.filetypes import FileTypeError

FTYP = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"
GOOD_HEADS = {
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "jpeg": b"\xff\xd8\xff\xdb",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "heic": b"\x00\x00\x00\x18ftypheic",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "mp4": FTYP,
    "mov": b"\x00\x00\x00\x14ftypqt  ",
    "avi": b"RIFF\x00\x10\x00\x00AVI LIST",
    "mkv": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81",
    "3gp": b"\x00\x00\x00\x18ftyp3gp4",
    "wav": b"RIFF\x24\x08\x00\x00WAVEfmt ",
    "mp3": b"ID3\x04\x00\x00\x00\x00",
    "m4a": b"\x00\x00\x00\x20ftypM4A ",
    "amr": b"#!AMR\n",
    "aac": b"\xff\xf1\x50\x80",
}


def test_every_allowed_extension_has_a_signature_example() -> None:
    assert set(GOOD_HEADS) == set(filetypes.ALLOWED_EXTENSIONS)


@pytest.mark.parametrize(("ext", "head"), GOOD_HEADS.items())
def test_a_file_whose_first_bytes_match_its_extension_is_accepted(ext: str, head: bytes) -> None:
    kind = filetypes.kind_of(f"FILE0001.{ext.upper()}")
    filetypes.check_content(kind, head)


@pytest.mark.parametrize(("ext", "head"), GOOD_HEADS.items())
def test_a_file_of_another_format_under_this_extension_is_refused(ext: str, head: bytes) -> None:
    kind = filetypes.kind_of(f"x.{ext}")
    refused_heads = 0
    for other_head in GOOD_HEADS.values():
        if kind.matches(other_head):
            # Same container: ISO BMFF (mp4, mov, 3gp, m4a, heic all open with `ftyp`), or
            # jpg/jpeg; the check is for the container, which is what players read.
            continue
        refused_heads += 1
        with pytest.raises(FileTypeError) as refused:
            filetypes.check_content(kind, other_head)
        assert refused.value.code == "content"
        assert f"文件内容与扩展名 .{ext} 不符" in refused.value.message
    assert refused_heads >= 8
    with pytest.raises(FileTypeError):
        filetypes.check_content(kind, b"<!DOCTYPE html><html>")


def test_mp3_frame_sync_is_accepted_without_a_tag() -> None:
    kind = filetypes.kind_of("a.mp3")
    filetypes.check_content(kind, b"\xff\xfb\x90\x64")
    with pytest.raises(FileTypeError):
        filetypes.check_content(kind, b"\xff\x1b\x90\x64")


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "image.svg", "archive.zip", "mp4"])
def test_an_extension_off_the_allow_list_is_refused(name: str) -> None:
    with pytest.raises(FileTypeError) as refused:
        filetypes.kind_of(name)
    assert refused.value.code == "type"
    assert "不允许的文件类型" in refused.value.message


@pytest.mark.parametrize(
    "name",
    ["", "  ", "../a.mp4", "a/b.mp4", "a\\b.mp4", "a..mp4", "a\x00.mp4", "a\x1f.mp4",
     "a\u202e.mp4", " a.mp4", "a" * 256],
)  # fmt: skip
def test_a_name_that_is_not_a_plain_base_name_is_refused(name: str) -> None:
    with pytest.raises(FileTypeError) as refused:
        filetypes.check_filename(name)
    assert refused.value.code == "name"
    assert "文件名" in refused.value.message


@pytest.mark.parametrize("name", ["VID_0001.MP4", "执法记录仪 2026-03-04.mp4", "a" * 251 + ".mp4"])
def test_a_plain_base_name_is_kept_as_it_is(name: str) -> None:
    assert filetypes.check_filename(name) == name


def test_the_media_type_comes_from_the_extension_unless_one_it_can_hold_is_asked() -> None:
    assert filetypes.media_type(filetypes.kind_of("a.mp4"), None) == "video"
    assert filetypes.media_type(filetypes.kind_of("a.mp4"), "audio") == "audio"
    assert filetypes.media_type(filetypes.kind_of("a.wav"), "auto") == "audio"
    with pytest.raises(FileTypeError, match="不能登记为照片"):
        filetypes.media_type(filetypes.kind_of("a.mp4"), "photo")
    with pytest.raises(FileTypeError, match="音像类型"):
        filetypes.media_type(filetypes.kind_of("a.mp4"), "movie")


def test_files_are_served_with_their_own_content_type_never_as_a_page() -> None:
    assert filetypes.content_type("a.MP4", "video") == "video/mp4"
    assert filetypes.content_type("a.mp4", "audio") == "audio/mp4"
    assert filetypes.content_type("a.jpg", "photo") == "image/jpeg"
    assert filetypes.content_type("a.html", "photo") == "application/octet-stream"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20260304_093012.MP4", (2026, 3, 4, 9, 30, 12)),
        ("VID_20260304_093012123.mp4", (2026, 3, 4, 9, 30, 12)),
        ("IMG-20260304-093012.jpg", (2026, 3, 4, 9, 30, 12)),
        ("REC 2026-03-04 09.30.12.wav", (2026, 3, 4, 9, 30, 12)),
        ("2026-03-04_09-30-12.mkv", (2026, 3, 4, 9, 30, 12)),
        ("2026-03-04T09:30:12.mov", (2026, 3, 4, 9, 30, 12)),
        ("FILE0001_20261399_250000_20260305_101112.MP4", (2026, 3, 5, 10, 11, 12)),
    ],
)
def test_a_camera_file_name_gives_the_recording_time_in_beijing_time(
    name: str, expected: tuple[int, ...]
) -> None:
    assert filetypes.timestamp_in_name(name) == datetime(*expected, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "name", ["memo.amr", "FILE0001.MP4", "20261399_250000.mp4", "12026030409301.mp4"]
)
def test_a_name_without_a_valid_time_gives_none(name: str) -> None:
    assert filetypes.timestamp_in_name(name) is None


def test_devices_are_those_of_the_case_format() -> None:
    assert filetypes.check_device("body_camera") == "body_camera"
    assert filetypes.check_device(None) == ""
    with pytest.raises(FileTypeError, match="来源设备"):
        filetypes.check_device("drone")
