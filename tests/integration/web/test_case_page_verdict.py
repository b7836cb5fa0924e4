"""The case page's 「账本验证」 shows the three-way verdict (issue #12 item 2): with the system's
configured keys it is 完好 only when a configured witness cosigned every entry of the case,
未验证 (naming what is missing) before, 有问题 when an entry was changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client

from lawtrail.core import notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.ledger.witness import Witness
from lawtrail.web import wiring
from lawtrail.web.models import CaseIndex

Login = Callable[[str], Client]
MARKET = "tonghua-market"
EXAMPLE = "通市监罚〔2026〕12号"


def altered(data: dict[str, Any]) -> bytes:
    """The entry with the record's time moved a day back."""
    data["record"]["at"] = "2026-01-01T09:00:00+08:00"
    return canonical_bytes(data)


def verdict_section(client: Client, index: CaseIndex) -> str:
    text = client.get(f"/cases/{index.pk}/").content.decode()
    return text.split('<section class="card proof-summary">', 1)[1].split("</section>", 1)[0]


def test_the_case_page_shows_not_verified_then_intact_then_problems(
    demo_cases: None, login: Login, tmp_path: Path
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    client = login("market.handler")
    section = verdict_section(client, index)
    assert '<span class="badge warn">未验证</span>' in section
    assert "见证方" in section and "完好" not in section

    signer = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    wiring.keys().add_witness(signer.verifier_key())
    Witness(signer, tmp_path / "witness").cosign(wiring.ledger(), MARKET)
    section = verdict_section(client, index)
    assert '<span class="badge ok">完好</span>' in section, section
    assert "见证方联署" in section and "lawtrail verify --key" in section

    [entry] = wiring.ledger().entries_named(MARKET, "record", "r03", case_number=EXAMPLE)
    # An edit behind the application's back, the append-only trigger switched off (inside the
    # test's transaction: undone afterwards).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
        else:
            cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE ledger_entry SET body = %s WHERE agency = %s AND seq = %s",
            (altered(entry.data()), MARKET, entry.seq),
        )
        if connection.vendor != "sqlite":
            cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ALL")
    section = verdict_section(client, index)
    assert '<span class="badge bad">有问题</span>' in section, section
    assert f"第 {entry.seq} 条" in section
