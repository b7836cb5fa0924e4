"""Personal data is readable by the service account only, whatever the umask (issue #12): the
data directory 0700, SQLite databases and their -wal/-shm 0600, private keys 0600, media files
0400 (read-only, owner only), backup copies 0400 — and modes left wider by an earlier version
are tightened when the system starts, with a warning.

Every test runs under the permissive umask 022 that made the database files 0644 before.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.backup.destination import LocalDestination
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger

ROOT = Path(__file__).resolve().parents[2]
AGENCY = "tonghua-market"
EXAMPLE = ROOT / "examples" / AGENCY / "compliant-ex-officio-penalty.json"
CASE = "通市监罚〔2026〕12号"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # inherited by the commands the tests run
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lawtrail(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command on the embedded defaults under `data_dir` (nothing inherited that
    would point it elsewhere: no DATABASE_URL, no LAWTRAIL_*, no test settings)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LAWTRAIL_")
        and name not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["LAWTRAIL_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "lawtrail", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_a_fresh_data_dir_holds_its_database_keys_and_media_for_its_owner_only(
    tmp_path: Path,
) -> None:
    data = tmp_path / "srv" / "var"  # neither exists yet
    lawtrail(data, "ledger", "import", str(EXAMPLE))
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(JPEG)
    lawtrail(
        data, "media", "ingest", str(photo), "--agency", AGENCY, "--case", CASE,
        "--type", "photo", "--captured-at", "2026-09-02T09:00:00+08:00", "--uploader", "张明",
    )  # fmt: skip

    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700  # created on the way
    assert mode(data / "lawtrail.sqlite3") == 0o600
    assert mode(data / "keys") == 0o700
    assert mode(data / "keys" / f"{AGENCY}.key") == 0o600
    assert mode(data / "keys" / f"{AGENCY}.vkey") == 0o644  # the public key: meant to be shared
    media = data / "media"
    directories = [media, *(p for p in media.rglob("*") if p.is_dir())]
    files = [p for p in media.rglob("*") if p.is_file()]
    assert {mode(p) for p in directories} == {0o700}
    assert len(files) == 1 and mode(files[0]) == 0o400  # read-only: write-once as before


def test_sqlite_gives_the_wal_and_shm_the_database_file_s_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "ledger.sqlite3"
    ledger = Ledger(Database(f"sqlite:///{path}"), KeyDirectory(tmp_path / "keys"), "x")
    try:
        ledger.ensure_log(AGENCY)  # a write: the WAL and its index exist while connected
        companions = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(p.exists() for p in companions)
        assert [mode(p) for p in (path, *companions)] == [0o600, 0o600, 0o600]
        assert mode(path.parent) == 0o700
    finally:
        ledger.db.close()


def test_the_web_settings_make_the_data_dir_database_and_secret_key_private(
    tmp_path: Path,
) -> None:
    data = tmp_path / "var"
    lawtrail(data, "manage", "migrate", "--no-input", "-v", "0")
    assert mode(data) == 0o700
    assert mode(data / "lawtrail.sqlite3") == 0o600
    assert mode(data / "secret_key") == 0o600


def test_wider_modes_left_by_an_earlier_version_are_tightened_at_start_up_and_logged(
    tmp_path: Path,
) -> None:
    data = tmp_path / "var"
    lawtrail(data, "ledger", "import", str(EXAMPLE))
    database = data / "lawtrail.sqlite3"
    key = data / "keys" / f"{AGENCY}.key"
    # An open connection keeps the WAL and its index on disk, as a running server would.
    reader = Database(f"sqlite:///{database}")
    try:
        reader.one("SELECT COUNT(*) FROM ledger_entry")
        companions = [Path(f"{database}-wal"), Path(f"{database}-shm")]
        for path in (data, database, *companions, key):
            path.chmod(0o755 if path.is_dir() else 0o644)

        done = lawtrail(
            data, "media", "ingest", str(_photo(tmp_path)), "--agency", AGENCY, "--case", CASE,
            "--type", "photo", "--captured-at", "2026-09-02T09:00:00+08:00", "--uploader", "张明",
        )  # fmt: skip
        assert [mode(p) for p in (data, database, *companions, key)] == [0o700] + [0o600] * 4
        for path in (data, database, *companions, key):
            assert f"{path} 的权限为 " in done.stderr, done.stderr
        assert "已收紧为 0o600" in done.stderr and "已收紧为 0o700" in done.stderr
    finally:
        reader.close()

    # The web application does the same when its settings load.
    for path in (data, database):
        path.chmod(0o755 if path.is_dir() else 0o644)
    checked = lawtrail(data, "manage", "check")
    assert (mode(data), mode(database)) == (0o700, 0o600)
    assert f"数据目录 {data} 的权限为 0o755" in checked.stderr


def _photo(tmp_path: Path) -> Path:
    photo = tmp_path / "IMG_0002.JPG"
    photo.write_bytes(JPEG + b"second")
    return photo


def test_backup_copies_are_read_only_for_their_owner(tmp_path: Path) -> None:
    destination = LocalDestination(tmp_path / "offsite" / "lawtrail", create=True)
    written = destination.create("keys/tonghua-market.key", [b"PRIVATE+KEY+..."])
    assert written.created
    copy = tmp_path / "offsite" / "lawtrail" / "keys" / "tonghua-market.key"
    assert mode(copy) == 0o400
    assert mode(copy.parent) == 0o700 and mode(tmp_path / "offsite" / "lawtrail") == 0o700
