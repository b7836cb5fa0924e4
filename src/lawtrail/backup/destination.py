"""Where a backup is kept: a local directory or an S3-compatible bucket, written once.

Every file of a backup is created exactly once, under its final name, and never replaced or
deleted: :meth:`Destination.create` streams the bytes, digests them (SHA-256 and SM3) in the
same pass, lets the caller refuse them (``expect``) *before* anything is published, and then
publishes only if the name is still free. When the name is taken the existing file is read
back: the same bytes are "already there" (a rerun), other bytes are a refusal — a backup that
could be overwritten would be no evidence of anything.

- :class:`LocalDestination`: bytes go to ``<root>/.incoming/<uuid>.part`` (fsynced, made
  read-only) and are published with ``os.link``, which never replaces an existing name.
- :class:`lawtrail.backup.s3.S3Destination`: objects are written straight to their final key
  with ``If-None-Match: *`` (a conditional write: the store itself refuses a second one), a
  large file as a multipart upload that is completed only after its digests were accepted.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from lawtrail import filemodes
from lawtrail.backup.errors import BackupError, BackupUnavailable
from lawtrail.evidence.hashing import Digests, digest_stream

Expect = Callable[[Digests], None]


@dataclass(frozen=True)
class Written:
    name: str
    digests: Digests
    created: bool  # False: the same bytes were already there under that name


class Destination(Protocol):
    @property
    def url(self) -> str: ...

    def names(self, folder: str) -> list[str]:
        """The files directly in `folder` (full names, e.g. ``runs/000001.json``), sorted."""
        ...

    def exists(self, name: str) -> bool: ...

    def open(self, name: str) -> BinaryIO:
        """The file's bytes as a stream; :class:`BackupError` when it is missing."""
        ...

    def create(
        self, name: str, source: BinaryIO | Iterable[bytes], *, expect: Expect | None = None
    ) -> Written:
        """Store a new file (see the module docstring); ``expect`` may raise to refuse it."""
        ...


def check_name(name: str) -> str:
    """A relative name made of plain parts: what a manifest names can never leave the backup."""
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in path.parts)
        or "\\" in name
    ):
        raise BackupError(f"备份中的文件名 {name!r} 无效")
    return name


def digest_of(dest: Destination, name: str) -> Digests:
    """Re-read a backed-up file and digest it (SHA-256 and SM3)."""
    with dest.open(name) as stream:
        try:
            return digest_stream(stream)
        except OSError as exc:
            raise BackupUnavailable(f"读取备份文件 {name} 失败：{exc}") from exc


def same_or_refuse(dest: Destination, name: str, digests: Digests) -> Written:
    """`name` exists already: fine if it holds exactly these bytes, a refusal otherwise."""
    existing = digest_of(dest, name)
    if existing != digests:
        raise BackupError(
            f"备份中已有文件 {name}，但其内容（sha256 {existing.sha256}，{existing.size} 字节）"
            f"与本次要写入的（sha256 {digests.sha256}，{digests.size} 字节）不同："
            "备份只增不改，拒绝覆盖（该文件可能被改动，或另一次备份正同时进行）"
        )
    return Written(name, digests, created=False)


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise BackupUnavailable(f"{what}失败：{exc}") from exc


class LocalDestination:
    """A backup in a directory (a mounted disk, a NAS share at the other site …)."""

    def __init__(self, root: str | os.PathLike[str], *, create: bool = False) -> None:
        self.root = Path(root).expanduser().absolute()
        if not self.root.is_dir():
            if not create:
                raise BackupUnavailable(f"备份目录不存在：{self.root}")
            with _os_errors(f"创建备份目录 {self.root}"):
                filemodes.make_private_dir(self.root)  # 0700: personal data, maybe keys

    def __repr__(self) -> str:
        return f"LocalDestination({str(self.root)!r})"

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def names(self, folder: str) -> list[str]:
        directory = self._path(folder)
        if not directory.is_dir():
            return []
        with _os_errors(f"列出备份目录 {directory}"):
            return sorted(
                f"{folder}/{entry.name}"
                for entry in os.scandir(directory)
                if entry.is_file() and not entry.name.startswith(".")
            )

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def open(self, name: str) -> BinaryIO:
        path = self._path(name)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise BackupError(f"备份中缺少文件 {name}（{path}）") from None
        except OSError as exc:
            raise BackupUnavailable(f"无法读取备份文件 {path}：{exc}") from exc

    def create(
        self, name: str, source: BinaryIO | Iterable[bytes], *, expect: Expect | None = None
    ) -> Written:
        final = self._path(name)
        incoming = self.root / ".incoming"
        with _os_errors(f"在备份目录 {self.root} 中创建临时文件"):
            incoming.mkdir(mode=0o700, exist_ok=True)
            temp = incoming / f"{uuid.uuid4().hex}.part"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with open(fd, "wb") as out:

                def write(chunk: bytes) -> None:
                    with _os_errors(f"写入备份文件 {final}"):
                        out.write(chunk)

                digests = digest_stream(source, sink=write)
                if expect is not None:
                    expect(digests)
                with _os_errors(f"写入备份文件 {final}"):
                    out.flush()
                    os.fsync(out.fileno())
                    # Read-only, owner only (personal data, maybe a signing key); the published
                    # name shares this inode.
                    os.fchmod(out.fileno(), 0o400)
            with _os_errors(f"发布备份文件 {final}"):
                self._make_parents(final.parent)
                try:
                    os.link(temp, final)  # never replaces an existing name
                except FileExistsError:
                    return same_or_refuse(self, name, digests)
                filemodes.fsync_dir(final.parent)
            return Written(name, digests, created=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _make_parents(self, directory: Path) -> None:
        missing = []
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=0o700)
            filemodes.fsync_dir(path.parent)


def destination_from_url(url: str, *, create: bool = False) -> Destination:
    """The backup store `url` names: a directory (a path or ``file:///abs/dir``) or
    ``s3://bucket/prefix?endpoint=…&region=…`` with the credentials in LAWTRAIL_S3_ACCESS_KEY
    and LAWTRAIL_S3_SECRET_KEY — the same form as the media store (LAWTRAIL_MEDIA_STORE).
    ``create``: make the directory if it does not exist (a first backup)."""
    if not url or not url.strip():
        raise BackupUnavailable("备份目标地址为空")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "":
        return LocalDestination(Path(url), create=create)
    if scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or parts.query or not path.startswith("/"):
            raise BackupUnavailable(f"无效的备份目录地址：{url}（应为 file:///绝对路径）")
        return LocalDestination(Path(path), create=create)
    if scheme == "s3":
        from lawtrail.backup.s3 import S3Destination  # boto3 only when S3 is used

        return S3Destination.from_url(url)
    raise BackupUnavailable(f"不支持的备份目标地址：{url}（支持目录、file:// 和 s3://）")
