"""`lawtrail media import-folder` as the archive room runs it: the installed command on a camera's
folder, a real ledger database and media store, one Chinese line per file, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lawtrail import bootstrap
from lawtrail.core.timeutil import SHANGHAI
from tests.builders import run_lawtrail

ROOT = Path(__file__).resolve().parents[2]
CASE_FILE = ROOT / "examples" / "tonghua-market" / "compliant-ex-officio-penalty.json"
CASE = json.loads(CASE_FILE.read_text("utf-8"))


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


# Files as cameras and recorders write them: valid headers, then content.
FILES = {
    "DCIM/100MEDIA/20260304_093012.MP4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + noise(300_000, 1),
    "DCIM/100MEDIA/IMG_20260304_094501.JPG": b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00"
    + noise(40_000, 2),
    "录音/REC 2026-03-04 10.15.00.wav": b"RIFF\xa4\x86\x01\x00WAVEfmt \x10\x00\x00\x00"
    + noise(100_000, 3),
    "录音/memo.amr": b"#!AMR\n" + noise(5_000, 4),
}
MEMO_MTIME = datetime(2026, 3, 5, 8, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lawtrail.sqlite3'}",
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        "LAWTRAIL_MEDIA_STORE": f"file://{tmp_path / 'media'}",
    }
    case = json.loads(CASE_FILE.read_text("utf-8"))
    for record in case["records"]:
        record.pop("media", None)  # illustrative digests: no files behind them
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), "utf-8")
    imported = run_lawtrail(environment, "ledger", "import", str(case_file))
    assert imported.returncode == 0, imported.stderr
    return environment


@pytest.fixture
def camera(tmp_path: Path) -> Path:
    folder = tmp_path / "camera"
    for name, data in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    memo = folder / "录音/memo.amr"
    os.utime(memo, (MEMO_MTIME.timestamp(), MEMO_MTIME.timestamp()))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: ignored
    # The same video copied a second time under another name.
    shutil.copy(folder / "DCIM/100MEDIA/20260304_093012.MP4", folder / "DCIM/copy.MP4")
    return folder


def import_folder(env: dict[str, str], folder: Path, *extra: str) -> Any:
    return run_lawtrail(
        env,
        "media", "import-folder", str(folder),
        "--agency", "tonghua-market", "--case", CASE["case_number"],
        "--uploader", "o1", *extra,
    )  # fmt: skip


def media_entries(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", env["LAWTRAIL_KEYS_DIR"])
    ledger = bootstrap.open_ledger(env["DATABASE_URL"], install_schema=False)
    try:
        return [
            e.data()["media"]
            for e in ledger.entries(
                "tonghua-market", case_number=CASE["case_number"], types=("media",)
            )
        ]
    finally:
        ledger.db.close()


def test_a_camera_folder_is_imported_with_times_from_the_file_names(
    env: dict[str, str], camera: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = import_folder(env, camera)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("：")[0] for line in lines[:-1]] == [
        "已导入 DCIM/100MEDIA/20260304_093012.MP4",
        "已导入 DCIM/100MEDIA/IMG_20260304_094501.JPG",
        "已跳过 DCIM/copy.MP4",
        "已导入 录音/REC 2026-03-04 10.15.00.wav",
        "已导入 录音/memo.amr",
    ]
    assert "拍摄时间 2026-03-04 09:30:12（取自文件名）" in lines[0]
    assert "本案已登记相同内容的文件" in lines[2]
    assert "拍摄时间 2026-03-05 08:00:00（取自文件修改时间）" in lines[4]
    assert lines[-1] == "共 5 个文件：导入 4 个，跳过 1 个（本案已登记），拒绝 0 个。"

    entries = {e["filename"]: e for e in media_entries(env, monkeypatch)}
    assert set(entries) == {Path(name).name for name in FILES}
    for name, data in FILES.items():
        entry = entries[Path(name).name]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["sm3"] == hashlib.new("sm3", data).hexdigest()
        assert entry["size"] == len(data)
        assert entry["uploader"] == "o1"
        assert entry["source"] == "body_camera"
        assert entry["labels"]["case_number"] == CASE["case_number"]
        assert entry["labels"]["party"] == "、".join(p["name"] for p in CASE["parties"])
        stored = tmp_path / "media" / "sha256" / entry["sha256"][:2] / entry["sha256"][2:4]
        assert (stored / entry["sha256"]).read_bytes() == data
    assert entries["20260304_093012.MP4"]["type"] == "video"
    assert entries["IMG_20260304_094501.JPG"]["type"] == "photo"
    assert entries["REC 2026-03-04 10.15.00.wav"]["captured_at"] == "2026-03-04T10:15:00+08:00"
    assert entries["memo.amr"]["type"] == "audio"
    assert entries["memo.amr"]["captured_at"] == MEMO_MTIME.isoformat()

    # The agency key pinned; no witness runs here (relaxed, and the report says so).
    verified = run_lawtrail(
        env,
        *("verify", "--agency", "tonghua-market", "--media", "--allow-unwitnessed"),
        *("--key", str(tmp_path / "keys" / "tonghua-market.vkey")),
    )
    assert verified.returncode == 0, verified.stdout
    assert "未要求见证联署" in verified.stdout
    assert "核验媒体 4 个" in verified.stdout


def test_a_second_run_skips_what_is_there_and_bad_files_are_refused_with_exit_1(
    env: dict[str, str], camera: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert import_folder(env, camera).returncode == 0
    (camera / "bad").mkdir()
    (camera / "bad/fake.mp4").write_bytes(b"<html><body>not a video</body></html>")
    (camera / "bad/player.exe").write_bytes(b"MZ\x90\x00" + bytes(100))
    (camera / "DCIM/100MEDIA/20260305_101010.MP4").write_bytes(
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isom" + noise(10_000, 9)
    )
    before = set((tmp_path / "media" / "sha256").rglob("*"))

    result = import_folder(env, camera)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "已导入 DCIM/100MEDIA/20260305_101010.MP4：" in out
    assert "已拒绝 bad/fake.mp4：文件内容与扩展名 .mp4 不符" in out
    assert "已拒绝 bad/player.exe：不允许的文件类型“.exe”" in out
    assert out.count("已跳过 ") == 5  # the four of the first run and the copy
    assert out.splitlines()[-1] == "共 8 个文件：导入 1 个，跳过 5 个（本案已登记），拒绝 2 个。"
    assert len(media_entries(env, monkeypatch)) == 5
    added = set((tmp_path / "media" / "sha256").rglob("*")) - before
    assert sorted(p.name for p in added if p.is_file()) == [
        hashlib.sha256((camera / "DCIM/100MEDIA/20260305_101010.MP4").read_bytes()).hexdigest()
    ]
    assert list((tmp_path / "media" / "incoming").iterdir()) == []


def test_an_unknown_case_or_a_missing_folder_cannot_run(
    env: dict[str, str], camera: Path, tmp_path: Path
) -> None:
    missing_case = run_lawtrail(
        env, "media", "import-folder", str(camera), "--agency", "tonghua-market",
        "--case", "不存在的案号", "--uploader", "o1",
    )  # fmt: skip
    assert missing_case.returncode == 2
    assert "不存在" in missing_case.stderr
    missing_folder = import_folder(env, tmp_path / "nowhere")
    assert missing_folder.returncode == 2
    assert "不存在或不是文件夹" in missing_folder.stderr
    assert not (tmp_path / "media" / "sha256").exists() or not any(
        p.is_file() for p in (tmp_path / "media" / "sha256").rglob("*")
    )
