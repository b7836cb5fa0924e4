"""The supervisor's witness as its own service (issue #12 item 1): `lawtrail witness serve`
runs as a separate process with its own key and state directory, follows an agency's log over
HTTP (the ledger's /ledger/… interface, served here by the same code as the web application,
on SQLite and PostgreSQL), cosigns within seconds and hands the cosignature back to the log —
and raises alerts (stored, served, exit status) on a rollback, a fork, a bad signature, a
swapped log key, a lost state and a log that stops advancing. It never opens the database."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core import merkle, notes
from lawtrail.ledger.db import Database
from lawtrail.ledger.http_api import LedgerHTTP, Reply
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.services import do_append_record
from tests.builders import run_lawtrail, t
from tests.dbfixtures import fresh_postgres_schema
from tests.integration.test_witness_state import AGENCY, CASE, grow, open_case
from tests.integration.witnessing import LedgerServer, WitnessProcess, wait_for

ORIGIN = f"lawtrail.local/{AGENCY}"
WITNESS = "yifazhishi.test"


@dataclass
class World:
    url: str
    tmp: Path
    ledger: Ledger
    keys: KeyDirectory
    server: LedgerServer
    witnesses: list[WitnessProcess] = field(default_factory=list)

    @property
    def log_key(self) -> str:
        return self.keys.verifier(AGENCY).verifier_key()

    def witness(
        self, folder: str = "witness", *, key: str | None = None, trust: bool = True, **kw: Any
    ) -> WitnessProcess:
        log = {
            "origin": ORIGIN,
            "key": key or self.log_key,
            "url": f"{self.server.url}/ledger/{AGENCY}",
        }
        if kw.pop("push_only", False):
            del log["url"]
        witness = WitnessProcess(self.tmp / folder, [log], name=WITNESS, **kw)
        if trust:
            self.keys.add_witness(witness.verifier_key)
        self.witnesses.append(witness)
        return witness.start()

    def mine(self, ledger: Ledger | None = None) -> dict[int, str]:
        led = ledger or self.ledger
        return {size: line for size, name, line in led.cosignatures(AGENCY) if name == WITNESS}


@contextlib.contextmanager
def second_database(database_url: str, tmp: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp / 'other.sqlite3'}"
    else:
        with fresh_postgres_schema() as url:
            yield url


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(database_url, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path) -> Iterator[World]:
    """For what the command line adds on top (slow to start; the checks are the same)."""
    yield from make_world(sqlite_url, tmp_path)


def make_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    keys = KeyDirectory(tmp_path / "agency" / "keys")
    ledger = Ledger(Database(database_url), keys, "lawtrail.local")
    open_case(ledger, AGENCY)
    server = LedgerServer(database_url, keys.root)
    w = World(database_url, tmp_path, ledger, keys, server)
    yield w
    for witness in w.witnesses:
        witness.stop()
    server.stop()
    ledger.db.close()


def rewrite(ledger: Ledger) -> None:
    """An entry the original log does not have (another record where its r1 was)."""
    do_append_record(
        ledger,
        AGENCY,
        CASE,
        {
            "id": "rewritten",
            "kind": "site_inspection",
            "at": "2026-09-02T09:00:00+08:00",
            "fields": {"location": "仓库", "findings": "改写的记录"},
        },
        now=t("2026-09-02 10:00"),
    )


def verifies(line: str, note_text: str, vkey: str) -> bool:
    note = notes.parse_note(note_text.split("\n\n")[0] + "\n\n" + line)
    return bool(notes.verify_note(note, [notes.CosignatureVerifier.from_verifier_key_string(vkey)]))


def alert_kinds(witness: WitnessProcess) -> set[str]:
    return {a["kind"] for a in witness.alerts()}


# ---------------------------------------------------------------------------- following


def test_the_witness_follows_the_log_and_its_cosignatures_arrive_in_the_ledger(
    world: World,
) -> None:
    witness = world.witness()
    size = world.ledger.size(AGENCY)
    line = wait_for(lambda: world.mine().get(size), "the first cosignature", timeout=10)
    latest = world.ledger.latest_checkpoint(AGENCY)
    assert latest is not None and verifies(line, latest.note, witness.verifier_key)

    grow(world.ledger, 3)
    grown = world.ledger.size(AGENCY)
    wait_for(lambda: grown in world.mine(), "the cosignature of the grown log", timeout=10)
    status = witness.get("/status")
    (log,) = status["logs"]
    assert (log["origin"], log["cosigned_size"], log["reachable"]) == (ORIGIN, grown, True)
    assert log["cosigned_at"].endswith("+08:00")
    assert witness.alerts() == []
    # Its state is its own, beside its key — nothing in the agency's directory.
    assert (witness.folder / "state" / f"{ORIGIN.replace('/', '_')}.json").exists()
    assert not any("state" in p.name for p in (world.tmp / "agency").rglob("*"))


def test_a_rolled_back_or_forked_log_raises_alerts_and_is_not_cosigned(
    world: World, database_url: str
) -> None:
    grow(world.ledger, 3)
    witness = world.witness()
    cosigned = world.ledger.size(AGENCY)
    wait_for(lambda: cosigned in world.mine(), "the cosignature")
    with second_database(database_url, world.tmp) as other_url:
        # An older copy of the log (same key): the agency's database restored from a backup.
        older = Ledger(Database(other_url), world.keys, "lawtrail.local")
        open_case(older, AGENCY)
        world.server.db_url = other_url
        alert = wait_for(
            lambda: [a for a in witness.alerts() if a["kind"] == "rollback"], "a rollback alert"
        )[0]
        assert alert["origin"] == ORIGIN and alert["raised_at"].endswith("+08:00")
        assert f"见证方已联署大小 {cosigned} 的检查点" in alert["message"]
        assert "回退" in alert["message"]
        # Rewritten and re-signed with the agency's key beyond the cosigned size: a fork.
        rewrite(older)
        grow(older, cosigned)
        wait_for(lambda: "fork" in alert_kinds(witness), "a fork alert")
        fork = next(a for a in witness.alerts() if a["kind"] == "fork")
        assert "不一致" in fork["message"]
        assert world.mine(older) == {}  # nothing cosigned on the rewritten log
        older.db.close()
        world.server.db_url = world.url

    assert {a["kind"] for a in witness.alerts()} == {"rollback", "fork"}
    assert witness.get("/status")["logs"][0]["cosigned_size"] == cosigned


def test_a_checkpoint_with_a_bad_signature_raises_an_alert(world: World) -> None:
    class Forged(LedgerHTTP):
        def checkpoint(self, agency: str, size: int | None) -> Reply:
            reply = super().checkpoint(agency, size)
            text = reply.body.decode()
            body, _, signature = text.rstrip("\n").rpartition(" ")
            raw = bytearray(base64.b64decode(signature))
            raw[-1] ^= 1
            forged = f"{body} {base64.b64encode(bytes(raw)).decode()}\n"
            return Reply(reply.status, reply.content_type, forged.encode())

    world.server.api = Forged
    witness = world.witness()
    wait_for(lambda: "bad_signature" in alert_kinds(witness), "a bad-signature alert")
    assert "签名无效" in witness.alerts()[0]["message"]
    assert world.mine() == {}


def test_a_witness_configured_with_another_log_key_refuses_the_swapped_log(world: World) -> None:
    impostor = notes.Ed25519Signer.generate(ORIGIN).verifier_key()
    witness = world.witness(key=impostor)
    wait_for(lambda: "wrong_key" in alert_kinds(witness), "a wrong-key alert")
    assert "不是见证方配置的日志公钥" in witness.alerts()[0]["message"]
    assert world.mine() == {}
    assert witness.get("/status")["logs"][0]["cosigned_size"] is None


def test_a_witness_that_lost_its_state_does_not_start_trusting_again(world: World) -> None:
    witness = world.witness()
    wait_for(lambda: world.mine(), "the cosignature")
    witness.stop()
    shutil.rmtree(witness.folder / "state")
    grow(world.ledger, 2)
    witness.start()
    wait_for(lambda: "state_lost" in alert_kinds(witness), "a lost-state alert")
    assert "状态丢失" in witness.alerts()[0]["message"]
    assert max(world.mine()) < world.ledger.size(AGENCY)


def test_a_log_that_stops_signing_or_cannot_be_reached_raises_alerts(world: World) -> None:
    witness = world.witness(stall_after=0.5, unreachable_after=0.5)
    wait_for(lambda: world.mine(), "the first cosignature")
    # Entries sequenced but never signed into a checkpoint (an integrator that stopped).
    held = Ledger(Database(world.url), world.keys, "lawtrail.local", integrate_on_append=False)
    grow(held, 2)
    stalled = wait_for(
        lambda: [a for a in witness.alerts() if a["kind"] == "stalled"], "a stall alert"
    )[0]
    assert "未被签名检查点覆盖" in stalled["message"]
    held.integrate(AGENCY)
    size = held.size(AGENCY)
    wait_for(lambda: size in world.mine(), "the cosignature once it signs again")
    wait_for(lambda: "stalled" not in alert_kinds(witness), "the stall alert resolved")
    resolved = witness.alerts(unresolved=False)
    assert any(a["kind"] == "stalled" and a["resolved_at"] for a in resolved)
    held.db.close()

    world.server.stop()
    unreachable = wait_for(
        lambda: [a for a in witness.alerts() if a["kind"] == "unreachable"], "an unreachable alert"
    )[0]
    assert "无法访问" in unreachable["message"]
    assert witness.get("/status")["logs"][0]["reachable"] is False


# ---------------------------------------------------------------------------- pushing


def add_checkpoint_body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def test_a_log_can_push_checkpoints_per_c2sp_tlog_witness(world: World) -> None:
    witness = world.witness(push_only=True)
    first = world.ledger.latest_checkpoint(AGENCY)
    assert first is not None
    status, kind, body = witness.post("/add-checkpoint", add_checkpoint_body(0, [], first.note))
    assert status == 200, body
    assert verifies(body, first.note, witness.verifier_key)

    grow(world.ledger, 4)
    latest = world.ledger.latest_checkpoint(AGENCY)
    assert latest is not None
    proof = world.ledger.consistency_proof(AGENCY, first.size, latest.size)
    # An old size that is not the witness's: 409 with its size.
    status, kind, body = witness.post("/add-checkpoint", add_checkpoint_body(0, [], latest.note))
    assert (status, kind, body) == (409, "text/x.tlog.size", f"{first.size}\n")
    # A proof that does not verify: 422, and (the signature being valid) an alert.
    bad = [bytes(32)] * len(proof)
    status, _, body = witness.post(
        "/add-checkpoint", add_checkpoint_body(first.size, bad, latest.note)
    )
    assert status == 422, body
    assert "fork" in alert_kinds(witness)
    # Unknown log: 404; a forged signature: 403 (no alert: anyone can post).
    other = notes.sign_note(
        notes.Checkpoint("elsewhere/log", 1, bytes(32)).to_text(),
        notes.Ed25519Signer.generate("elsewhere/log"),
    )
    status, _, _ = witness.post(
        "/add-checkpoint", add_checkpoint_body(0, [], notes.format_note(other))
    )
    assert status == 404
    forged = notes.sign_note(
        notes.Checkpoint(ORIGIN, latest.size, bytes(32)).to_text(),
        notes.Ed25519Signer.generate(ORIGIN),
    )
    status, _, _ = witness.post(
        "/add-checkpoint", add_checkpoint_body(first.size, proof, notes.format_note(forged))
    )
    assert status == 403
    status, _, body = witness.post(
        "/add-checkpoint", add_checkpoint_body(first.size, proof, latest.note)
    )
    assert status == 200 and verifies(body, latest.note, witness.verifier_key)
    assert witness.get("/status")["logs"][0]["cosigned_size"] == latest.size
    # The witness's consistency check is RFC 9162's: the proof it accepted verifies.
    merkle.verify_consistency(first.size, latest.size, first.root, latest.root, proof)


# ---------------------------------------------------------------------------- the command


def test_witness_alerts_exit_status_for_monitoring(sqlite_world: World) -> None:
    world = sqlite_world
    grow(world.ledger, 2)
    witness = world.witness()
    wait_for(lambda: world.mine(), "the cosignature")
    done = run_lawtrail({}, "witness", "alerts", "--url", witness.url)
    assert (done.returncode, done.stdout.strip()) == (0, "没有未处理的告警"), done.stderr
    world.server.api = lambda ledger: Rollback(ledger)
    wait_for(lambda: witness.alerts(), "an alert")
    listed = run_lawtrail({}, "witness", "alerts", "--config", str(witness.config), "--json")
    assert listed.returncode == 1, listed.stderr
    (alert,) = json.loads(listed.stdout)["alerts"]
    assert alert["kind"] == "rollback" and alert["label"] == "日志回退"
    assert alert["raised_at"].endswith("+08:00")
    resolved = run_lawtrail(
        {}, "witness", "alerts", "--config", str(witness.config), "--resolve", str(alert["id"])
    )
    assert resolved.returncode == 0, resolved.stdout
    assert "已将 1 条告警标为已处理" in resolved.stdout
    unreachable = run_lawtrail({}, "witness", "alerts", "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 2 and "无法连接" in unreachable.stderr


class Rollback(LedgerHTTP):
    """Serves the log's first checkpoint as if it were the latest."""

    def checkpoint(self, agency: str, size: int | None) -> Reply:
        return super().checkpoint(agency, 1)

    def status(self, agency: str) -> Reply:
        return Reply(
            200, "application/json", json.dumps({"size": 1, "checkpoint_size": 1}).encode()
        )


def test_cosign_takes_the_log_key_from_configuration_not_from_the_database(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    key = world.tmp / "cmd-witness.key"
    key.write_text(notes.CosignatureSigner.generate("cmd.witness").private_key_string())
    env = {"DATABASE_URL": world.url, "LAWTRAIL_KEYS_DIR": str(world.keys.root)}
    base = ("witness", "cosign", "--agency", AGENCY, "--key", str(key), "--state")
    unpinned = run_lawtrail(env, *base, str(world.tmp / "s1"))
    assert unpinned.returncode == 2 and "--log-key" in unpinned.stderr
    wrong = world.tmp / "wrong.vkey"
    wrong.write_text(notes.Ed25519Signer.generate(ORIGIN).verifier_key() + "\n")
    refused = run_lawtrail(env, *base, str(world.tmp / "s2"), "--log-key", str(wrong))
    assert refused.returncode == 2
    assert "不是见证方配置的日志公钥" in refused.stderr and "Traceback" not in refused.stderr
    right = world.tmp / "right.vkey"
    right.write_text(world.log_key + "\n")
    done = run_lawtrail(env, *base, str(world.tmp / "s3"), "--log-key", str(right))
    assert done.returncode == 0, done.stderr
