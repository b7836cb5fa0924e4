"""Files only the service account can read: the data directory and the databases hold personal
data (parties' names, identity numbers, addresses, the videos of an enforcement) — issue #12.

- The data directory (``LAWTRAIL_DATA_DIR``) and every directory the system creates for its
  data: 0700.
- SQLite database files and their ``-wal``, ``-shm`` and ``-journal`` companions: 0600. The
  file is created 0600 *before* SQLite (the ledger's connection or Django's) opens it; SQLite
  creates its companions with the database file's own permissions, so they follow.
- Private keys 0600 (``ledger/keys.py``); media files in the local evidence store 0400 —
  read-only for the owner, which also keeps them write-once (``evidence/store.py``).

None of this depends on the process's umask: modes are set with ``chmod`` after creation. An
existing data directory or database file that group or others can read is tightened when the
system starts (the web settings, the CLI's ``bootstrap``), with a warning in the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as 0700 (an existing directory is left as it is:
    it may be the operator's, such as /tmp for a database file)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process was first: its mode is its own business
        os.chmod(directory, PRIVATE_DIR)  # whatever the umask
    return path


def tighten(path: Path, what: str) -> bool:
    """Remove group and other permissions from an existing file or directory (logged);
    False when there was nothing to do or the path does not exist."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return False
    if not mode & 0o077:
        return False
    try:
        os.chmod(path, mode & 0o700)
    except PermissionError:  # another account's file (a supervisor reading a copy)
        log.warning("%s %s 的权限为 %s，其他用户可读，且无权收紧", what, path, oct(mode))
        return False
    log.warning(
        "%s %s 的权限为 %s，其他用户可读，已收紧为 %s", what, path, oct(mode), oct(mode & 0o700)
    )
    return True


def private_data_dir(path: Path, *, create: bool = True) -> Path:
    """The data directory at start-up: tightened if others can enter it, or created 0700
    (unless ``create`` is false: a command that may not use it leaves no empty directory)."""
    if path.is_dir():
        tighten(path, "数据目录")
    elif create:
        make_private_dir(path)
    return path


def private_sqlite(path: Path) -> None:
    """Before SQLite opens ``path``: its directory exists (created 0700 if missing), the file
    exists with mode 0600, and an existing file or companion open to others is tightened."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return  # an in-memory database (Django's test databases) has no file
    make_private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)  # whatever the umask
        finally:
            os.close(fd)
    tighten_sqlite(path)


def tighten_sqlite(path: Path) -> None:
    """Tighten the database file and whichever companions exist."""
    for name in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        tighten(name, "数据库文件")


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a new or renamed file in it) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace ``path`` by ``data`` (mode ``mode``): temp file + fsync + rename + fsync of the
    directory, so the file is the old or the new one, never torn, whatever crashes."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
