"""`lawtrail verify` on a web deployment's database also checks the case index (issue #12,
item 6): the installed command, on SQLite and PostgreSQL, after `lawtrail manage migrate` and
`seed_demo` — the demo's eleven cases, projected as the web application projects them.

An insider edits the index by raw SQL (the 有违规 count, the 已终结 flag) and swaps the ``ref``
of two record entries: the command exits 1 and names the agency, the case or entry, and the
column. A ledger-only database (no web tables) is verified as before.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lawtrail.ledger.db import Database
from tests.builders import run_lawtrail
from tests.dbfixtures import RawSQL, require_postgres
from tests.pgurl import POSTGRES_URL

VIOLATIONS = ("tonghua-market", "通市监罚〔2026〕27号")  # the typical-violations example
CLOSED = ("tonghua-postal", "通邮管罚〔2026〕8号")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def web_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of its own for a web deployment (Django migrates the public schema of a
    PostgreSQL database, so that is a new database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lawtrail.sqlite3'}"
        return
    require_postgres()
    name = f"lawtrail_cli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_verify_reports_an_edited_case_index_and_a_swapped_ref(
    web_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real settings on a data directory of its own (not pytest-django's test settings)
    for name in ("DJANGO_SETTINGS_MODULE", "LAWTRAIL_MEDIA_STORE", "LAWTRAIL_KEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    env = {"LAWTRAIL_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": web_database}
    for args in (("manage", "migrate", "--no-input", "-v", "0"), ("manage", "seed_demo")):
        done = run_lawtrail(env, *args)
        assert done.returncode == 0, done.stderr
    # The CLI's own access entry (an export) gets its row of the access log's index (issue #18).
    exported = run_lawtrail(
        env,
        *("export", "--agency", CLOSED[0], "--case", CLOSED[1]),
        *("--to", str(tmp_path / "bag"), "--allow-missing-media", "--actor", "档案员"),
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    # No witness here: the projections are what this checks, so trust is relaxed (said so).
    intact = run_lawtrail(env, "verify", "--allow-unpinned", "--allow-unwitnessed")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "案件索引（lawtrail_caseindex）：11 行" in intact.stdout
    assert "查阅记录索引（lawtrail_accessindex）：1 行" in intact.stdout
    assert "结论：完好（已按要求放宽" in intact.stdout and "未要求见证联署" in intact.stdout

    with Database(web_database) as db:
        db.execute(
            "UPDATE lawtrail_caseindex SET violations = 0 WHERE agency_id = ? AND case_number = ?",
            VIOLATIONS,
        )
        db.execute(
            "UPDATE lawtrail_caseindex SET closed = ? WHERE agency_id = ? AND case_number = ?",
            (False, *CLOSED),
        )
        seqs = {
            json.loads(bytes(body))["record"]["id"]: int(seq)
            for seq, body in db.all(
                "SELECT seq, body FROM ledger_entry WHERE agency = ? AND case_number = ? "
                "AND type = 'record'",
                VIOLATIONS,
            )
        }
    raw = RawSQL(web_database)
    try:
        a, b = sorted(seqs.values())[1:3]
        refs = {v: k for k, v in seqs.items()}
        for seq, other in ((a, b), (b, a)):
            raw(
                "UPDATE ledger_entry SET ref = ? WHERE agency = ? AND seq = ?",
                (refs[other], VIOLATIONS[0], seq),
            )
    finally:
        raw.close()

    done = run_lawtrail(env, "verify", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    found = {
        (p["code"], p["agency"], p["case_number"], p["column"], p["seq"])
        for p in report["problems"]
    }
    assert found == {
        ("case_index_mismatch", *VIOLATIONS, "violations", None),
        ("case_index_mismatch", *CLOSED, "closed", None),
        ("entry_header_mismatch", *VIOLATIONS, "ref", a),
        ("entry_header_mismatch", *VIOLATIONS, "ref", b),
        # the dashboard's sums, still the ledger's, no longer those of the edited row
        ("dashboard_aggregate_mismatch", VIOLATIONS[0], "", "with_violations", None),
    }
    assert report["projections"] == [
        {"name": "案件索引", "table": "lawtrail_caseindex", "rows": 11},
        {"name": "责令整改索引", "table": "lawtrail_rectificationorder", "rows": 0},
        # the demo's one sampling and its one scored case (lawtrail.web.demo.seed_review)
        {
            "name": "案卷评查索引",
            "table": "lawtrail_reviewsampling, lawtrail_casereview",
            "rows": 2,
        },
        {
            "name": "监督看板统计",
            "table": "lawtrail_openedaggregate",
            "rows": report["projections"][3]["rows"],
        },
        {"name": "查阅记录索引", "table": "lawtrail_accessindex", "rows": 1},
    ]
    assert report["projections"][3]["rows"] > 0
    text = run_lawtrail(env, "verify", "--agency", VIOLATIONS[0])
    assert text.returncode == 1
    assert f"{VIOLATIONS[1]} 的违规项（violations）为 0" in text.stdout
    assert CLOSED[1] not in text.stdout  # another agency's log and rows


def test_migrating_fills_the_access_index_with_the_entries_appended_before_it(
    web_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment upgraded to the access log's index (migration 0011) finds the entries
    already in its logs on the page at once, not after a `lawtrail manage reindex`."""
    for name in ("DJANGO_SETTINGS_MODULE", "LAWTRAIL_MEDIA_STORE", "LAWTRAIL_KEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    env = {"LAWTRAIL_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": web_database}
    export = ("export", "--agency", CLOSED[0], "--case", CLOSED[1], "--allow-missing-media")
    for args in (
        ("manage", "migrate", "--no-input", "-v", "0"),
        ("manage", "seed_demo"),
        # back to before the index (later migrations, e.g. the dashboard's aggregates, need
        # tables the demo's seeding writes)
        ("manage", "migrate", "lawtrail", "0010", "--no-input", "-v", "0"),
        (*export, "--to", str(tmp_path / "bag")),
        ("manage", "migrate", "--no-input", "-v", "0"),
    ):
        done = run_lawtrail(env, *args)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
    intact = run_lawtrail(env, "verify", "--allow-unpinned", "--allow-unwitnessed")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "查阅记录索引（lawtrail_accessindex）：1 行" in intact.stdout
