"""Which files may enter the evidence store, and how they are named — framework-free checks
shared by the web upload (:mod:`lawtrail.web.uploads`) and the archive room's folder import
(``lawtrail media import-folder``).

A file is accepted only when its extension is on the allow-list *and* its first bytes are those
of that format (its magic number), so a renamed executable or a page of HTML saved as ``.mp4``
is refused before a single byte is stored. The checks need only the first :data:`HEAD_SIZE`
bytes. File names are plain base names: no directory parts, no ``..``, no control characters.
Every message is Chinese, for the person who chose the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from lawtrail.core.caseio import MEDIA_SOURCES
from lawtrail.core.timeutil import SHANGHAI

HEAD_SIZE = 16  # enough for every signature below
MAX_FILENAME_LENGTH = 255

PHOTO, AUDIO, VIDEO = "photo", "audio", "video"
MEDIA_TYPE_LABELS: Mapping[str, str] = {PHOTO: "照片", AUDIO: "录音", VIDEO: "录像"}


class FileTypeError(ValueError):
    """The file is refused; ``code`` says why — "name", "type" (not an allowed kind of file),
    "media_type", "content" (not what its extension says), "device" — the message is for people
    (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _iso_bmff(head: bytes) -> bool:
    """MP4, MOV, 3GP, M4A, HEIC: an ISO base media file starts with its `ftyp` box."""
    return head[4:8] == b"ftyp"


def _quicktime(head: bytes) -> bool:
    # Older QuickTime files may open with another top-level atom instead of `ftyp`.
    return _iso_bmff(head) or head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip")


def _riff(form: bytes) -> Callable[[bytes], bool]:
    def check(head: bytes) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == form

    return check


def _matroska(head: bytes) -> bool:
    return head.startswith(b"\x1a\x45\xdf\xa3")


def _mp3(head: bytes) -> bool:
    """An ID3 tag, or an MPEG audio frame sync (11 set bits: FF Ex / FF Fx)."""
    return head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    )


def _amr(head: bytes) -> bool:
    return head.startswith(b"#!AMR")  # also "#!AMR-WB"


def _adts(head: bytes) -> bool:
    """AAC in ADTS frames: sync word FFF, layer 00 (FFF1 / FFF9, with or without CRC)."""
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


@dataclass(frozen=True)
class FileKind:
    extension: str
    types: tuple[str, ...]  # media types it may hold; the first is the default
    content_type: str  # the HTTP Content-Type it is served with
    matches: Callable[[bytes], bool]
    description: str  # the format, for messages
    playable: bool = True  # browsers play/show it in <video>/<audio>/<img>

    @property
    def default_type(self) -> str:
        return self.types[0]


_KINDS = (
    FileKind("jpg", (PHOTO,), "image/jpeg", _jpeg, "JPEG 图片"),
    FileKind("jpeg", (PHOTO,), "image/jpeg", _jpeg, "JPEG 图片"),
    FileKind("png", (PHOTO,), "image/png", _png, "PNG 图片"),
    FileKind("heic", (PHOTO,), "image/heic", _iso_bmff, "HEIC 图片", playable=False),
    # A scanned 书证 (营业执照, identity proof, 鉴定意见, a court ruling …): a still record like a
    # photo, taken into the 案卷 page by page at its place (documents/render.py).
    FileKind("pdf", (PHOTO,), "application/pdf", _pdf, "PDF 扫描件", playable=False),
    FileKind("mp4", (VIDEO, AUDIO), "video/mp4", _iso_bmff, "MP4 视频"),
    FileKind("mov", (VIDEO, AUDIO), "video/quicktime", _quicktime, "MOV 视频"),
    FileKind("avi", (VIDEO,), "video/x-msvideo", _riff(b"AVI "), "AVI 视频", playable=False),
    FileKind("mkv", (VIDEO, AUDIO), "video/x-matroska", _matroska, "MKV 视频"),
    FileKind("3gp", (VIDEO, AUDIO), "video/3gpp", _iso_bmff, "3GP 视频"),
    FileKind("wav", (AUDIO,), "audio/wav", _riff(b"WAVE"), "WAV 音频"),
    FileKind("mp3", (AUDIO,), "audio/mpeg", _mp3, "MP3 音频"),
    FileKind("m4a", (AUDIO,), "audio/mp4", _iso_bmff, "M4A 音频"),
    FileKind("amr", (AUDIO,), "audio/amr", _amr, "AMR 音频", playable=False),
    FileKind("aac", (AUDIO,), "audio/aac", _adts, "AAC 音频"),
)
KINDS: Mapping[str, FileKind] = {kind.extension: kind for kind in _KINDS}
ALLOWED_EXTENSIONS: tuple[str, ...] = tuple(KINDS)


def allowed_list() -> str:
    return "、".join(ALLOWED_EXTENSIONS)


def check_filename(name: object) -> str:
    """The file's base name, if it is one: refused when empty, too long, or holding a path
    separator, ``..``, NUL or any control character."""
    if not isinstance(name, str) or not name.strip():
        raise FileTypeError("name", "缺少文件名")
    if len(name) > MAX_FILENAME_LENGTH:
        raise FileTypeError(
            "name", f"文件名过长（{len(name)} 个字符，最多 {MAX_FILENAME_LENGTH} 个）"
        )
    if "/" in name or "\\" in name or ".." in name:
        raise FileTypeError("name", f"文件名 {name!r} 无效：不能包含路径（/、\\ 或 ..）")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise FileTypeError("name", "文件名无效：不能包含控制字符")
    if name != name.strip():
        raise FileTypeError("name", "文件名无效：首尾不能是空白")
    return name


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def kind_of(name: str) -> FileKind:
    """The allowed kind of file by its extension (the name must be a checked base name)."""
    ext = extension(name)
    kind = KINDS.get(ext)
    if kind is None:
        shown = f"“.{ext}”" if ext else "（无扩展名）"
        raise FileTypeError(
            "type", f"不允许的文件类型{shown}：只接受 {allowed_list()} 格式的照片、录音和录像"
        )
    return kind


def media_type(kind: FileKind, requested: str | None) -> str:
    """The media type (photo/audio/video) to register: the requested one if this kind of file
    can hold it, else the kind's own when none is requested."""
    if requested in (None, "", "auto"):
        return kind.default_type
    if requested not in MEDIA_TYPE_LABELS:
        raise FileTypeError(
            "media_type", f"音像类型 {requested!r} 无效：应为 photo、audio 或 video"
        )
    if requested not in kind.types:
        raise FileTypeError(
            "media_type",
            f".{kind.extension} 文件（{kind.description}）不能登记为{MEDIA_TYPE_LABELS[requested]}",
        )
    return requested


def check_content(kind: FileKind, head: bytes) -> None:
    """Refuse the file unless its first bytes are those of its format."""
    if not kind.matches(head[:HEAD_SIZE]):
        raise FileTypeError(
            "content",
            f"文件内容与扩展名 .{kind.extension} 不符：不是有效的{kind.description}，已拒绝",
        )


def content_type(name: str, media_type: str = "") -> str:
    """The Content-Type a stored file is served with (never text/html or SVG)."""
    kind = KINDS.get(extension(name))
    if kind is None:
        return "application/octet-stream"
    if media_type == AUDIO and kind.content_type.startswith("video/"):
        return "audio/" + kind.content_type.removeprefix("video/")
    return kind.content_type


# ---------------------------------------------------------------------------- camera file names

# 20260304_093012, 20260304-093012, IMG_20260304_093012123, 2026-03-04 09.30.12,
# 2026-03-04_09-30-12, 2026-03-04T09:30:12 … : a date, then a time of day.
_NAME_TIMESTAMP = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<s1>[-_.]?)(?P<mo>\d{2})(?P=s1)(?P<d>\d{2})"
    r"[ _T-]?(?P<h>\d{2})(?P<s2>[-_.:]?)(?P<mi>\d{2})(?P=s2)(?P<se>\d{2})"
)


def timestamp_in_name(name: str) -> datetime | None:
    """The recording time a camera wrote into the file name, read as Beijing time; None when
    the name carries none (or an impossible one)."""
    for match in _NAME_TIMESTAMP.finditer(name):
        try:
            return datetime(
                int(match["y"]),
                int(match["mo"]),
                int(match["d"]),
                int(match["h"]),
                int(match["mi"]),
                int(match["se"]),
                tzinfo=SHANGHAI,
            )
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------------------- devices

DEVICE_LABELS: Mapping[str, str] = {
    "body_camera": "执法记录仪",
    "cctv": "监控摄像头",
    "phone": "手机",
    "camera": "相机",
    "recorder": "录音笔",
    "screen": "屏幕采集",
    "other": "其他设备",
}


def check_device(device: object) -> str:
    """The recording device's code as the case format knows it ("" when not given)."""
    if device in (None, ""):
        return ""
    if not isinstance(device, str) or device not in MEDIA_SOURCES:
        known = "、".join(f"{code}（{DEVICE_LABELS.get(code, code)}）" for code in MEDIA_SOURCES)
        raise FileTypeError("device", f"来源设备 {device!r} 无效：应为 {known}")
    return device
