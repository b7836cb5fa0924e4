"""The signing process (issue #12 item 5): the agency key outside the web application's reach.

Every test runs the real `python -m lawtrail signer serve` as its own process on a Unix socket
and talks to it through the real protocol; the ledger runs on SQLite and on PostgreSQL. The
attack of the issue — rewrite the log in the database and have it re-signed with the agency
key — fails: the application's key directory holds no private key, and the signer refuses any
checkpoint that does not extend what it signed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lawtrail import bootstrap, config
from lawtrail.core import merkle, notes
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory, KeyFileError
from lawtrail.ledger.log import Ledger, LedgerIntegrityError, NewEntry
from lawtrail.ledger.signer_client import (
    RemoteCheckpointSigner,
    SignerConnection,
    SignerKeys,
    start_signer_process,
)
from lawtrail.ledger.signing import SignerRefused, SignerUnavailable
from tests.builders import run_lawtrail
from tests.dbfixtures import RawSQL

AGENCY = "tonghua-market"
ORIGIN = f"lawtrail.local/{AGENCY}"


@dataclass
class Signer:
    directory: Path
    socket: Path
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None

    def start(self) -> None:
        assert self.log_file is not None
        with self.log_file.open("ab") as err:
            self.process = start_signer_process(self.directory, self.socket, stderr=err)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            assert self.process.wait(10) == 0
            self.process = None

    def log(self) -> str:
        assert self.log_file is not None
        return self.log_file.read_text("utf-8")

    def state(self) -> dict:  # type: ignore[type-arg]
        folder = self.directory / "logs" / ORIGIN.replace("/", "%2F")
        return json.loads((folder / "state.json").read_text("utf-8"))  # type: ignore[no-any-return]

    def journal(self) -> list[dict]:  # type: ignore[type-arg]
        folder = self.directory / "logs" / ORIGIN.replace("/", "%2F")
        lines = (folder / "journal.jsonl").read_text("utf-8").splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A Unix socket path must fit in 108 bytes; pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="lt-signer-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def signer(tmp_path: Path, short_dir: Path) -> Iterator[Signer]:
    running = Signer(tmp_path / "signer", short_dir / "signer.sock", log_file=tmp_path / "log")
    running.start()
    yield running
    running.stop()


def entry(ref: str, text: str = "") -> NewEntry:
    return NewEntry("测〔2026〕1号", "record", ref, {"id": ref, "kind": "note", "text": text})


@pytest.fixture
def app(database_url: str, tmp_path: Path, signer: Signer) -> Iterator[Ledger]:
    """The web application's ledger: public keys in its key directory, signatures from the
    signing process."""
    keys = SignerKeys(tmp_path / "keys", signer.socket, timeout=5)
    ledger = Ledger(Database(database_url), keys, "lawtrail.local")
    yield ledger
    ledger.db.close()


def append(ledger: Ledger, *refs: str) -> None:
    for ref in refs:
        ledger.append(AGENCY, [entry(ref)])


def checkpoint_sizes(ledger: Ledger) -> list[int]:
    return [c.size for c in ledger.checkpoints(AGENCY)]


def private_key_files(root: Path) -> list[Path]:
    return [
        p for p in root.rglob("*") if p.is_file() and p.read_text("utf-8").startswith("PRIVATE+")
    ]


def test_the_ledger_signs_through_the_signing_process_and_the_app_holds_no_private_key(
    app: Ledger, signer: Signer, tmp_path: Path
) -> None:
    append(app, "r1", "r2", "r3")
    assert checkpoint_sizes(app) == [1, 2, 3]
    verifier = app.keys.verifier(AGENCY)
    for stored in app.checkpoints(AGENCY):
        note, checkpoint = stored.parsed()
        assert notes.verify_note(note, [verifier]) == [verifier]
        assert checkpoint.size == stored.size
    info = app.log_info(AGENCY)
    assert info is not None and info.public_key == verifier.verifier_key()

    # The application's key directory has the public key only; the private key is in the
    # signer's own directory, 0700 / 0600.
    keys_dir = tmp_path / "keys"
    assert sorted(p.name for p in keys_dir.iterdir()) == [f"{AGENCY}.vkey"]
    assert not list(keys_dir.glob("*.key")) and not private_key_files(keys_dir)
    with pytest.raises(KeyFileError, match="签名服务"):
        app.keys.signer(AGENCY, ORIGIN)
    with pytest.raises(KeyFileError, match="找不到机关"):  # nor can a plain key directory sign
        KeyDirectory(keys_dir).checkpoint_signer(AGENCY, ORIGIN)
    (key_file,) = private_key_files(signer.directory)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(signer.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(signer.socket.stat().st_mode) == 0o660
    assert signer.state()["pending"]["size"] == 3
    assert signer.state()["confirmed"]["size"] == 2


def test_history_rewritten_from_an_older_checkpoint_gets_no_new_signature(
    app: Ledger, signer: Signer, database_url: str
) -> None:
    append(app, "r1", "r2", "r3", "r4")
    genuine = app.latest_checkpoint(AGENCY)
    assert genuine is not None and genuine.size == 4

    # The insider on the database host rolls the log back to its first checkpoint (a genuine,
    # validly signed one) and writes a different history after it.
    attacker = RawSQL(database_url)
    try:
        attacker("DELETE FROM ledger_checkpoint WHERE agency = ? AND size > 1", (AGENCY,))
        attacker("DELETE FROM ledger_node WHERE agency = ? AND size > 1", (AGENCY,))
        attacker("DELETE FROM ledger_entry WHERE agency = ? AND seq >= 1", (AGENCY,))
    finally:
        attacker.close()
    forger = Ledger(Database(database_url), app.keys, "lawtrail.local")
    try:
        with pytest.raises(LedgerIntegrityError) as caught:
            forger.append(AGENCY, [entry("r2", "另一份笔录")])
        message = str(caught.value)
        assert "不是签名服务签发并确认的检查点" in message
        assert "大小 1" in message and "大小 3" in message and "大小 4" in message
        # Nothing of the rewrite was stored, nothing was signed.
        assert checkpoint_sizes(forger) == [1]
        assert forger.size(AGENCY) == 1
    finally:
        forger.db.close()
    assert signer.state()["pending"]["size"] == 4
    assert "refused sign_checkpoint" in signer.log()

    # Without the signer there is no key to do it with: the key directory holds none.
    with pytest.raises(KeyFileError):
        KeyDirectory(app.keys.root).signer(AGENCY, ORIGIN)


def test_a_log_stripped_of_its_checkpoints_is_not_signed_as_new(
    app: Ledger, signer: Signer, database_url: str
) -> None:
    append(app, "r1", "r2")
    attacker = RawSQL(database_url)
    try:
        attacker("DELETE FROM ledger_checkpoint WHERE agency = ?", (AGENCY,))
        attacker("DELETE FROM ledger_node WHERE agency = ?", (AGENCY,))
        forged = b'{"recorded_at":"2026-01-01T00:00:00+08:00"}'
        attacker("UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = 0", (forged, AGENCY))
        attacker(
            "UPDATE ledger_entry SET leaf_hash = ? WHERE agency = ? AND seq = 0",
            (merkle.leaf_hash(forged), AGENCY),
        )
    finally:
        attacker.close()
    forger = Ledger(Database(database_url), app.keys, "lawtrail.local")
    try:
        with pytest.raises(LedgerIntegrityError, match="无（新日志）"):
            forger.integrate(AGENCY)
        assert checkpoint_sizes(forger) == []
    finally:
        forger.db.close()


def test_the_signer_checks_the_consistency_proof_itself(app: Ledger, signer: Signer) -> None:
    """A client that lies (the application's account talking to the socket directly) gets
    nothing signed that does not extend the signer's own last checkpoint."""
    append(app, "r1", "r2", "r3")
    last = app.latest_checkpoint(AGENCY)
    assert last is not None
    remote = RemoteCheckpointSigner(SignerConnection(signer.socket, timeout=5), ORIGIN)
    previous = notes.Checkpoint(ORIGIN, last.size, last.root)
    forged_root = merkle.root_from_leaf_hashes([merkle.leaf_hash(b"x%d" % i) for i in range(5)])
    forged = notes.Checkpoint(ORIGIN, 5, forged_root)
    with pytest.raises(SignerRefused, match="一致性证明不成立"):
        remote.sign_checkpoint(forged, previous=previous, proof=[b"\x00" * 32] * 3)
    with pytest.raises(SignerRefused, match="一致性证明不成立"):
        remote.sign_checkpoint(forged, previous=previous, proof=[])
    with pytest.raises(SignerRefused, match="不是签名服务签发并确认的检查点"):
        remote.sign_checkpoint(forged, previous=None, proof=[])
    smaller = notes.Checkpoint(ORIGIN, 2, forged_root)
    with pytest.raises(SignerRefused, match="小于已签发的 3"):
        remote.sign_checkpoint(smaller, previous=previous, proof=[])
    assert signer.state()["pending"]["size"] == 3
    # A retry of the last request gets the same (deterministic) signature.
    second = app.checkpoint(AGENCY, 2)
    assert second is not None
    again = remote.sign_checkpoint(
        notes.Checkpoint(ORIGIN, 3, last.root),
        previous=notes.Checkpoint(ORIGIN, 2, second.root),
        proof=app.consistency_proof(AGENCY, 2, 3),
    )
    assert again == last.note
    # And the ledger carries on.
    append(app, "r4")
    assert checkpoint_sizes(app) == [1, 2, 3, 4]


def test_an_unconfirmed_last_checkpoint_rolled_back_is_abandoned_and_journaled(
    app: Ledger, signer: Signer, database_url: str
) -> None:
    """The one checkpoint signed last whose transaction rolled back (a form error after the
    case header was signed) may be replaced — never silently: the signer logs and journals
    it. Anything the ledger has built on stays fixed (the test above)."""
    append(app, "r1", "r2")

    def action_failing_after_the_append() -> None:
        with app.db.write():
            app.append_in_transaction(AGENCY, [entry("r3", "rolled back")])
            raise RuntimeError("the action failed after the append")

    with pytest.raises(RuntimeError):
        action_failing_after_the_append()
    assert checkpoint_sizes(app) == [1, 2]
    assert signer.state()["pending"]["size"] == 3  # signed, then rolled back with the action
    append(app, "r3")
    assert checkpoint_sizes(app) == [1, 2, 3]
    events = [item["event"] for item in signer.journal()]
    assert events == ["created", "signed", "signed", "signed", "abandoned", "signed"]
    assert "abandoned" in signer.log()


def test_the_signer_signs_no_checkpoint_through_sign_note(app: Ledger, signer: Signer) -> None:
    append(app, "r1")
    remote = app.keys.checkpoint_signer(AGENCY, ORIGIN)
    last = app.latest_checkpoint(AGENCY)
    assert last is not None
    fake = notes.Checkpoint(ORIGIN, 1000, b"\x01" * 32).to_text()
    with pytest.raises(SignerRefused, match="该文本是一个检查点"):
        remote.sign_note(fake)
    other_log = notes.Checkpoint("example.org/other", 5, b"\x02" * 32).to_text()
    with pytest.raises(SignerRefused, match="该文本是一个检查点"):
        remote.sign_note(other_log)
    cosignature_message = notes.cosignature_message(1, fake.encode()).decode()
    with pytest.raises(SignerRefused, match="见证联署"):
        remote.sign_note(cosignature_message)
    # Any other note (an archive package's manifest) is signed under the agency key.
    manifest = f"lawtrail-bag/1\n{ORIGIN}\nagency {AGENCY}\n"
    signed = notes.parse_note(remote.sign_note(manifest))
    assert signed.text == manifest
    assert notes.verify_note(signed, [app.keys.verifier(AGENCY)])


def test_an_unreachable_signer_means_nothing_is_signed(
    app: Ledger, signer: Signer, short_dir: Path
) -> None:
    append(app, "r1")
    signer.stop()
    with pytest.raises(LedgerIntegrityError, match="无法连接签名服务") as caught:
        app.append(AGENCY, [entry("r2")])
    assert isinstance(caught.value.__cause__, SignerUnavailable)
    assert checkpoint_sizes(app) == [1] and app.size(AGENCY) == 1  # the append rolled back
    assert not list((app.keys.root).glob("*.key"))  # and no file key to fall back on

    # A signer that accepts the connection but never answers: the client's timeout.
    hung = short_dir / "hung.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(hung))
    listener.listen(1)
    try:
        slow = RemoteCheckpointSigner(SignerConnection(hung, timeout=0.5), ORIGIN)
        with pytest.raises(SignerUnavailable, match="秒内没有应答"):
            slow.sign_note("x\n")
    finally:
        listener.close()

    # No signer at that path at all.
    with pytest.raises(SignerUnavailable, match="无法连接签名服务"):
        SignerConnection(short_dir / "missing.sock", timeout=1).ping()

    signer.start()  # back: the ledger carries on where it was
    append(app, "r2")
    assert checkpoint_sizes(app) == [1, 2]


def test_the_signers_state_survives_a_restart(
    app: Ledger, signer: Signer, database_url: str
) -> None:
    append(app, "r1", "r2", "r3")
    signer.stop()
    signer.start()
    append(app, "r4")  # the ledger's previous (3) is the restarted signer's last
    assert checkpoint_sizes(app) == [1, 2, 3, 4]
    signer.stop()
    signer.start()
    attacker = RawSQL(database_url)
    try:
        attacker("DELETE FROM ledger_checkpoint WHERE agency = ? AND size > 2", (AGENCY,))
        attacker("DELETE FROM ledger_node WHERE agency = ? AND size > 2", (AGENCY,))
        attacker("DELETE FROM ledger_entry WHERE agency = ? AND seq >= 2", (AGENCY,))
    finally:
        attacker.close()
    forger = Ledger(Database(database_url), app.keys, "lawtrail.local")
    try:
        with pytest.raises(LedgerIntegrityError, match="已确认：大小 3"):
            forger.append(AGENCY, [entry("r3", "改写")])
    finally:
        forger.db.close()


def test_a_file_key_is_imported_with_a_trusted_checkpoint_and_leaves_the_key_directory(
    database_url: str, tmp_path: Path, short_dir: Path
) -> None:
    # A deployment that began with the embedded default (file key) ...
    keys_dir = tmp_path / "keys"
    embedded = Ledger(Database(database_url), KeyDirectory(keys_dir), "lawtrail.local")
    try:
        append(embedded, "r1", "r2", "r3")
    finally:
        embedded.db.close()
    signer_dir = tmp_path / "signer"
    key_file = keys_dir / f"{AGENCY}.key"
    env = {"DATABASE_URL": database_url, "LAWTRAIL_KEYS_DIR": str(keys_dir)}
    checkpoint = run_lawtrail(env, "ledger", "checkpoint", "--agency", AGENCY)
    assert checkpoint.returncode == 0, checkpoint.stderr
    trusted = tmp_path / "trusted.txt"
    trusted.write_text(checkpoint.stdout, "utf-8")

    # ... moves its key into the signer. Without a trusted checkpoint that is refused.
    base = ("signer", "import-key", "--dir", str(signer_dir), "--agency", AGENCY)
    refused = run_lawtrail({}, *base, "--key", str(key_file))
    assert refused.returncode == 2 and "--trust-checkpoint" in refused.stderr
    assert key_file.exists()
    done = run_lawtrail({}, *base, "--key", str(key_file), "--trust-checkpoint", str(trusted))
    assert done.returncode == 0, done.stderr
    assert "已删除原私钥文件" in done.stdout
    assert not key_file.exists() and not private_key_files(keys_dir)
    again = run_lawtrail({}, *base, "--key", str(trusted), "--trust-size", "1")
    assert again.returncode == 2  # not a key

    status = run_lawtrail({}, "signer", "status", "--dir", str(signer_dir), "--format", "json")
    assert status.returncode == 0, status.stderr
    (log_state,) = json.loads(status.stdout)["logs"]
    assert log_state["origin"] == ORIGIN and log_state["confirmed"]["size"] == 3

    running = Signer(signer_dir, short_dir / "s.sock", log_file=tmp_path / "signer.log")
    running.start()
    try:
        # The application now runs with LAWTRAIL_SIGNER set (wired by bootstrap).
        os.environ.update(
            LAWTRAIL_SIGNER=f"unix:{running.socket}",
            LAWTRAIL_KEYS_DIR=str(keys_dir),
            LAWTRAIL_DATA_DIR=str(tmp_path / "data"),
        )
        try:
            keys = bootstrap.key_directory()
        finally:
            for name in ("LAWTRAIL_SIGNER", "LAWTRAIL_KEYS_DIR", "LAWTRAIL_DATA_DIR"):
                del os.environ[name]
        assert isinstance(keys, SignerKeys)
        app = Ledger(Database(database_url), keys, "lawtrail.local")
        try:
            append(app, "r4")
            assert checkpoint_sizes(app) == [1, 2, 3, 4]
            latest = app.latest_checkpoint(AGENCY)
            assert latest is not None
            note, _ = latest.parsed()
            assert notes.verify_note(note, [KeyDirectory(keys_dir).verifier(AGENCY)])
        finally:
            app.db.close()

        # The key the signer already holds is never replaced by another import.
        other = notes.Ed25519Signer.generate(ORIGIN)
        other_file = tmp_path / "other.key"
        other_file.write_text(other.private_key_string() + "\n", "utf-8")
        root = base64.b64encode(b"\x00" * 32).decode()
        replaced = run_lawtrail(
            {}, *base, "--key", str(other_file), "--trust-size", "1", "--trust-root", root
        )
        assert replaced.returncode == 1 and "不会替换" in replaced.stderr
        assert other_file.exists()
    finally:
        running.stop()


def test_the_operator_can_set_the_trusted_checkpoint_after_a_restore(
    app: Ledger, signer: Signer, database_url: str, tmp_path: Path
) -> None:
    """A database restored from an older backup is, to the signer, a rollback; the operator
    (on the signer's account) decides, and the decision is journaled."""
    append(app, "r1", "r2", "r3", "r4")
    older = app.checkpoint(AGENCY, 2)
    assert older is not None
    attacker = RawSQL(database_url)  # stands for the restore of an older backup
    try:
        attacker("DELETE FROM ledger_checkpoint WHERE agency = ? AND size > 2", (AGENCY,))
        attacker("DELETE FROM ledger_node WHERE agency = ? AND size > 2", (AGENCY,))
        attacker("DELETE FROM ledger_entry WHERE agency = ? AND seq >= 2", (AGENCY,))
    finally:
        attacker.close()
    restored = Ledger(Database(database_url), app.keys, "lawtrail.local")
    try:
        with pytest.raises(LedgerIntegrityError):
            restored.append(AGENCY, [entry("r3b")])
        note_file = tmp_path / "cp.txt"
        note_file.write_text(older.note, "utf-8")
        result = run_lawtrail(
            {},
            *("signer", "trust", "--dir", str(signer.directory), "--origin", ORIGIN),
            *("--trust-checkpoint", str(note_file)),
        )
        assert result.returncode == 0, result.stderr
        restored.append(AGENCY, [entry("r3b")])
        assert checkpoint_sizes(restored) == [1, 2, 3]
        assert signer.journal()[-2]["event"] == "trust"
    finally:
        restored.db.close()


def test_settings_choose_the_signer_and_refuse_a_leftover_private_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: Signer
) -> None:
    monkeypatch.setenv("LAWTRAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("LAWTRAIL_SIGNER", raising=False)
    assert type(bootstrap.key_directory()) is KeyDirectory
    monkeypatch.setenv("LAWTRAIL_SIGNER", "file")
    assert type(bootstrap.key_directory()) is KeyDirectory
    for bad in ("unix:relative.sock", "tcp://127.0.0.1:9", "pkcs11:token", " "):
        monkeypatch.setenv("LAWTRAIL_SIGNER", bad)
        with pytest.raises(config.ConfigError, match="LAWTRAIL_SIGNER"):
            bootstrap.key_directory()
    monkeypatch.setenv("LAWTRAIL_SIGNER", f"unix:{signer.socket}")
    monkeypatch.setenv("LAWTRAIL_SIGNER_TIMEOUT", "0")
    with pytest.raises(config.ConfigError, match="LAWTRAIL_SIGNER_TIMEOUT"):
        bootstrap.key_directory()
    monkeypatch.setenv("LAWTRAIL_SIGNER_TIMEOUT", "3")
    assert isinstance(bootstrap.key_directory(), SignerKeys)

    # A private key left in the application's key directory: refused at start, named.
    KeyDirectory(tmp_path / "keys").signer(AGENCY, ORIGIN, create=True)
    with pytest.raises(config.ConfigError, match=f"{AGENCY}.key"):
        bootstrap.key_directory()
    result = run_lawtrail(
        {
            "LAWTRAIL_SIGNER": f"unix:{signer.socket}",
            "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
            "LAWTRAIL_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        },
        "ledger",
        "checkpoint",
        "--agency",
        AGENCY,
    )
    assert result.returncode == 2 and "lawtrail signer import-key" in result.stderr


def test_a_second_signer_on_a_live_socket_refuses_to_start(signer: Signer, tmp_path: Path) -> None:
    result = run_lawtrail(
        {}, "signer", "serve", "--dir", str(tmp_path / "other"), "--socket", str(signer.socket)
    )
    assert result.returncode == 2 and "已有签名服务在运行" in result.stderr
    mode = run_lawtrail(
        {}, "signer", "serve", "--dir", str(tmp_path / "o"), "--socket", "/tmp/x", "--mode", "666"
    )
    assert mode.returncode == 2 and "其他用户" in mode.stderr


def test_concurrent_appenders_share_one_signer(
    database_url: str, tmp_path: Path, signer: Signer
) -> None:
    keys = SignerKeys(tmp_path / "keys", signer.socket, timeout=10)
    first = Ledger(Database(database_url), keys, "lawtrail.local")
    first.ensure_log(AGENCY)
    first.db.close()
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        ledger = Ledger(Database(database_url), keys, "lawtrail.local", install_schema=False)
        try:
            for i in range(5):
                ledger.append(AGENCY, [entry(f"w{worker}-{i}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            ledger.db.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    check = Ledger(Database(database_url), keys, "lawtrail.local", install_schema=False)
    try:
        latest = check.latest_checkpoint(AGENCY)
        assert check.size(AGENCY) == 15 and latest is not None and latest.size == 15
    finally:
        check.db.close()
    assert "abandoned" not in signer.log()


def raw_request(path: Path, data: bytes) -> dict:  # type: ignore[type-arg]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(data)
        return json.loads(sock.makefile("rb").readline())  # type: ignore[no-any-return]


def test_malformed_requests_are_answered_not_fatal(signer: Signer) -> None:
    bad = [
        b"not json\n",
        b"[1, 2]\n",
        b'{"op": "launch"}\n',
        b'{"op": "sign_checkpoint", "origin": "a/b", "size": -1, "root": "AA=="}\n',
        b'{"op": "sign_checkpoint", "origin": "a b", "size": 1, "root": "!!"}\n',
        b'{"op": "create", "agency": "x"}\n',
    ]
    for data in bad:
        response = raw_request(signer.socket, data)
        assert response["ok"] is False and response["code"] == "bad_request", (data, response)
    unknown = raw_request(signer.socket, b'{"op": "verifier_key", "origin": "nobody.example"}\n')
    assert unknown["code"] == "unknown_log" and "没有日志" in unknown["error"]
    assert raw_request(signer.socket, b'{"op": "ping"}\n') == {"ok": True, "version": 1}


def test_an_archive_package_is_signed_by_the_signing_process(
    app: Ledger, signer: Signer, tmp_path: Path
) -> None:
    from lawtrail import archive
    from lawtrail.core.caseio import parse_case
    from lawtrail.evidence.store import LocalMediaStore
    from lawtrail.services import do_import_case
    from lawtrail.verify import SIGNATURE_FILE
    from tests.builders import t

    root = Path(__file__).resolve().parents[2]
    data = json.loads(
        (root / "examples" / AGENCY / "compliant-ex-officio-penalty.json").read_text("utf-8")
    )
    for record in data["records"]:
        record.pop("media", None)
    case = parse_case(data)
    do_import_case(app, case, now=t("2026-09-02 07:00"))
    dest = tmp_path / "bag"
    archive.export_case(
        app, LocalMediaStore(tmp_path / "media"), app.keys, AGENCY, case.case_number, dest
    )
    note = notes.parse_note((dest / SIGNATURE_FILE).read_text("utf-8"))
    assert note.text.startswith("lawtrail-bag/1\n")
    assert notes.verify_note(note, [app.keys.verifier(AGENCY)])
    assert "signed a note (lawtrail-bag/1)" in signer.log()
    assert not private_key_files(app.keys.root)
