"""The ledger over HTTP (issue #12 item 1): /ledger/<agency>/… serves checkpoints, proofs and
tiles without login (hashes and signatures only) and stores a witness's cosignature only when
it verifies under a witness key configured for the system; and the supervisor's page shows
the witness service's alerts and cosigned sizes — or that it cannot be reached."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from lawtrail.core import merkle, notes
from lawtrail.ledger.witness import WitnessedState, write_state
from lawtrail.web import wiring
from lawtrail.web.launch import free_port
from lawtrail.witness_service.http import WitnessHTTPServer
from lawtrail.witness_service.service import WitnessService
from lawtrail.witness_service.settings import LogConfig, WitnessConfig

pytestmark = pytest.mark.django_db
Login = Callable[[str], Client]
MARKET = "tonghua-market"
POSTAL = "tonghua-postal"


def b64(items: list[str]) -> list[bytes]:
    return [base64.b64decode(item) for item in items]


def test_checkpoints_and_proofs_are_served_without_login_and_verify(
    demo_cases: None, web_env: Path
) -> None:
    client = Client()  # nobody logged in
    vkey = (web_env / "keys" / f"{MARKET}.vkey").read_text("utf-8").strip()
    verifier = notes.Ed25519Verifier.from_verifier_key_string(vkey)
    response = client.get(f"/ledger/{MARKET}/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    note = notes.parse_note(response.content.decode())
    assert notes.verify_note(note, [verifier])
    latest = notes.Checkpoint.from_text(note.text)

    status = client.get(f"/ledger/{MARKET}/status").json()
    ledger = wiring.ledger()
    assert status["origin"] == ledger.origin(MARKET)
    assert status["size"] == ledger.size(MARKET)
    assert status["checkpoint_size"] == latest.size
    assert status["checkpoint_time"].endswith("+08:00")

    old = ledger.checkpoint_covering(MARKET, 0)
    assert old is not None and old.size < latest.size
    proof = client.get(f"/ledger/{MARKET}/proof/consistency?old={old.size}&new={latest.size}")
    merkle.verify_consistency(
        old.size, latest.size, old.root, latest.root, b64(proof.json()["proof"])
    )
    inclusion = client.get(f"/ledger/{MARKET}/proof/inclusion?index=3&size={latest.size}").json()
    merkle.verify_inclusion(
        base64.b64decode(inclusion["leaf_hash"]),
        3,
        latest.size,
        b64(inclusion["proof"]),
        latest.root,
    )
    assert base64.b64decode(inclusion["leaf_hash"]) == ledger.entry(MARKET, 3).leaf_hash

    # tlog-tiles: the level-0 tile holds the leaf hashes (partial while the log is small).
    width = min(latest.size, 256)
    suffix = "" if width == 256 else f".p/{width}"
    tile = client.get(f"/ledger/{MARKET}/tile/0/000{suffix}")
    assert tile.status_code == 200
    assert tile.content[32 * 3 : 32 * 4] == ledger.entry(MARKET, 3).leaf_hash
    if latest.size >= 2:
        level1 = ledger.db.one(
            "SELECT hash FROM ledger_node WHERE agency = ? AND size = 2 AND level = 1", (MARKET,)
        )
        assert level1 is not None
        assert merkle.node_hash(tile.content[:32], tile.content[32:64]) == bytes(level1[0])

    assert client.get(f"/ledger/{MARKET}/proof/consistency?old=0&new=1").status_code == 400
    too_far = f"/ledger/{MARKET}/proof/consistency?old=1&new={latest.size + 5}"
    assert client.get(too_far).status_code == 400
    assert client.get("/ledger/no-such-agency/checkpoint").status_code == 404
    assert client.get(f"/ledger/{MARKET}/checkpoint/{old.size}").content.decode() == old.note
    assert client.get(f"/ledger/{MARKET}/checkpoint/{10**20}").status_code == 404
    assert client.get(f"/ledger/{MARKET}/tile/0/x999/999").status_code == 404
    assert client.get(f"/ledger/{MARKET}/entries").status_code == 404  # no content served


def test_a_cosignature_is_stored_only_from_a_configured_witness(
    demo_cases: None, web_env: Path
) -> None:
    client = Client(enforce_csrf_checks=True)  # a witness has no session and no CSRF token
    ledger = wiring.ledger()
    latest = ledger.latest_checkpoint(MARKET)
    assert latest is not None
    note, _ = latest.parsed()
    trusted = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    wiring.keys().add_witness(trusted.verifier().verifier_key())
    stranger = notes.CosignatureSigner.generate("someone.else")

    def post(*signers: notes.CosignatureSigner, text: str | None = None) -> int:
        lines = "".join(
            notes.Signature(s.name, s.key_id, s.sign(note.text_bytes)).to_line() for s in signers
        )
        body = (text if text is not None else latest.note) + lines
        response = client.post(f"/ledger/{MARKET}/cosignature", body, content_type="text/plain")
        return response.status_code

    def stored() -> list[tuple[int, str]]:
        return [(size, name) for size, name, _ in ledger.cosignatures(MARKET)]

    assert post(stranger) == 403
    assert stored() == []
    # A forgery under the trusted witness's name but another key: refused too.
    assert post(notes.CosignatureSigner.generate("yifazhishi.tonghua.example")) == 403
    # Over another text than the stored checkpoint of that size: refused.
    other = notes.sign_note(
        notes.Checkpoint(ledger.origin(MARKET), latest.size, bytes(32)).to_text(),
        notes.Ed25519Signer.generate(ledger.origin(MARKET)),
    )
    assert post(trusted, text=notes.format_note(other)) == 403
    assert stored() == []

    line = notes.Signature(trusted.name, trusted.key_id, trusted.sign(note.text_bytes)).to_line()
    response = client.post(
        f"/ledger/{MARKET}/cosignature", latest.note + line, content_type="text/plain"
    )
    assert response.status_code == 200, response.content
    assert response.json()["cosignatures"] == [{"witness": trusted.name, "stored": True}]
    again = client.post(
        f"/ledger/{MARKET}/cosignature", latest.note + line, content_type="text/plain"
    )
    assert again.status_code == 200
    assert again.json()["cosignatures"] == [{"witness": trusted.name, "stored": False}]
    assert stored() == [(latest.size, trusted.name)]
    # Served with the checkpoint from now on.
    served = Client().get(f"/ledger/{MARKET}/checkpoint").content.decode()
    assert served.endswith(line)
    # Another cosignature (another time) of the same size by the same witness: kept out.
    later = notes.CosignatureSigner.from_private_key_string(
        trusted.private_key_string(), clock=lambda: 2_000_000_000
    )
    assert post(later) == 409


@pytest.fixture
def witness_service(tmp_path: Path) -> Iterator[WitnessService]:
    """A real witness service (in this process, on a loopback port) following nothing: the
    alerts and states are put into its storage directly."""
    signer = notes.CosignatureSigner.generate("yifazhishi.test")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "witness.key").write_text(signer.private_key_string())
    ledger = wiring.ledger()
    logs = tuple(
        LogConfig(ledger.origin(a), wiring.keys().verifier(a).verifier_key(), None)
        for a in (MARKET, POSTAL)
    )
    port = free_port()
    config = WitnessConfig(
        tmp_path / "w" / "witness.toml",
        tmp_path / "w" / "witness.key",
        tmp_path / "w" / "state",
        "127.0.0.1",
        port,
        1.0,
        60.0,
        60.0,
        5.0,
        logs,
    )
    service = WitnessService(config)
    server = WitnessHTTPServer(("127.0.0.1", port), service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()
    service.stop()


def test_the_supervisor_sees_the_witness_alerts_and_cosigned_sizes(
    demo_cases: None,
    login: Login,
    witness_service: WitnessService,
    settings: object,
) -> None:
    ledger = wiring.ledger()
    settings.LAWTRAIL_WITNESS_URL = witness_service.config.url  # type: ignore[attr-defined]
    latest = ledger.latest_checkpoint(MARKET)
    assert latest is not None
    write_state(
        witness_service.state_dir,
        WitnessedState(
            ledger.origin(MARKET), latest.size, latest.root, "k", "2026-12-01T09:30:00+08:00"
        ),
        latest.parsed()[0].text,
    )
    witness_service.alert(
        ledger.origin(MARKET), "rollback", "日志 X 回退：见证方已联署大小 40 的检查点"
    )
    witness_service.alert(ledger.origin(POSTAL), "stalled", "日志 Y 停止推进")

    page = login("supervisor").get("/supervision/witness/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "见证方 <strong>yifazhishi.test</strong>" in html
    assert "未处理告警 2 条" in html
    assert "日志回退" in html and "见证方已联署大小 40 的检查点" in html
    assert "日志停止推进" in html and "日志 Y 停止推进" in html
    assert "通化市市场监督管理局" in html and str(latest.size) in html
    assert "2026-12-01 09:30:00" in html
    assert 'href="/supervision/witness/"' in html  # in the navigation

    # An agency head sees their own agency's log only; an officer not at all.
    head = login("market.head").get("/supervision/witness/").content.decode()
    assert "日志 X 回退" in head and "日志 Y 停止推进" not in head
    assert login("market.officer").get("/supervision/witness/").status_code == 403


def test_an_unreachable_witness_is_a_state_of_the_page_not_an_error(
    demo_users: object, login: Login, settings: object
) -> None:
    settings.LAWTRAIL_WITNESS_URL = f"http://127.0.0.1:{free_port()}"  # type: ignore[attr-defined]
    page = login("supervisor").get("/supervision/witness/")
    assert page.status_code == 200
    assert "见证服务不可达" in page.content.decode()
    settings.LAWTRAIL_WITNESS_URL = None  # type: ignore[attr-defined]
    assert "未配置见证服务地址" in login("supervisor").get("/supervision/witness/").content.decode()
