"""Real, tiny signature images for the web tests (a PNG as a canvas would draw it, a JPEG as a
scanner would save it)."""

from __future__ import annotations

import base64
import struct
import zlib


def png_bytes(extra: int = 0) -> bytes:
    """A valid 4×2 greyscale PNG; ``extra`` bytes of a text chunk make it bigger."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 4, 2, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\xff\x00" * 2)
    text = chunk(b"tEXt", b"Comment\x00" + b"x" * extra) if extra else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + text
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def png_data_url(extra: int = 0) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(extra)).decode()


def jpeg_bytes() -> bytes:
    """The start of a JFIF file (SOI, APP0) and its end marker: what the magic check reads."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + len(app0 + b"00").to_bytes(2, "big") + app0 + b"\xff\xd9"
