"""The ledger's tables and the triggers that make them append-only, for SQLite and PostgreSQL.

Tables (one row set per agency log, keyed by the agency id):

    ledger_log         the log: agency, origin, the agency's checkpoint verifier key
    ledger_entry       one row per leaf: seq (0-based, no gaps), recorded_at, case, type, the
                       canonical JSON body and its RFC 9162 leaf hash
    ledger_node        every *perfect* subtree hash above the leaves, keyed by the tree size
                       at which it completed (its last leaf + 1) and its level, so a proof at
                       any size is read with O(log n) primary-key lookups, never recomputed
    ledger_checkpoint  every signed checkpoint (C2SP tlog-checkpoint in a signed note)
    ledger_cosignature every witness cosignature line, with the checkpoint size it covers
    ledger_timestamp   RFC 3161 time-stamp tokens on checkpoints (optional)

The database itself refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) on all of them, and
refuses an entry whose seq is not the next one or a checkpoint that does not grow the tree:
whoever bypasses the application still has to drop a trigger first — and then `lawtrail
verify` sees what changed (the data is hashed and signed, the triggers are only a fence).

Times are stored as ISO 8601 text with the +08:00 offset (the same bytes the entries hash), so
the same statements serve both databases.
"""

from __future__ import annotations

import logging

from lawtrail.ledger.db import SQLITE, Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

APPEND_ONLY_TABLES = (
    "ledger_log",
    "ledger_entry",
    "ledger_node",
    "ledger_checkpoint",
    "ledger_cosignature",
    "ledger_timestamp",
)

_TABLES = """
CREATE TABLE IF NOT EXISTS ledger_log (
    agency      TEXT PRIMARY KEY,
    origin      TEXT NOT NULL UNIQUE,
    public_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_entry (
    agency       TEXT NOT NULL REFERENCES ledger_log (agency),
    seq          BIGINT NOT NULL CHECK (seq >= 0),
    recorded_at  TEXT NOT NULL,
    case_number  TEXT NOT NULL,
    type         TEXT NOT NULL,
    ref          TEXT NOT NULL,
    body         {blob} NOT NULL,
    leaf_hash    {blob} NOT NULL,
    PRIMARY KEY (agency, seq)
);
CREATE INDEX IF NOT EXISTS ledger_entry_case ON ledger_entry (agency, case_number, seq);
CREATE INDEX IF NOT EXISTS ledger_entry_ref ON ledger_entry (agency, type, ref);
-- A case's entries of one type: its last record or header however many access entries (one
-- per view of the case) follow it (issue #18: Ledger.case_head, case_state's reads).
CREATE INDEX IF NOT EXISTS ledger_entry_case_type ON ledger_entry (agency, case_number, type, seq);
CREATE TABLE IF NOT EXISTS ledger_node (
    agency  TEXT NOT NULL REFERENCES ledger_log (agency),
    size    BIGINT NOT NULL,
    level   INTEGER NOT NULL CHECK (level >= 1),
    hash    {blob} NOT NULL,
    PRIMARY KEY (agency, size, level)
);
CREATE TABLE IF NOT EXISTS ledger_checkpoint (
    agency     TEXT NOT NULL REFERENCES ledger_log (agency),
    size       BIGINT NOT NULL CHECK (size >= 0),
    root       {blob} NOT NULL,
    note       TEXT NOT NULL,
    signed_at  TEXT NOT NULL,
    PRIMARY KEY (agency, size)
);
CREATE TABLE IF NOT EXISTS ledger_cosignature (
    agency       TEXT NOT NULL REFERENCES ledger_log (agency),
    size         BIGINT NOT NULL,
    witness      TEXT NOT NULL,
    cosigned_at  TEXT NOT NULL,
    line         TEXT NOT NULL,
    PRIMARY KEY (agency, size, witness),
    FOREIGN KEY (agency, size) REFERENCES ledger_checkpoint (agency, size)
);
CREATE TABLE IF NOT EXISTS ledger_timestamp (
    agency    TEXT NOT NULL REFERENCES ledger_log (agency),
    size      BIGINT NOT NULL,
    token     {blob} NOT NULL,
    gen_time  TEXT NOT NULL,
    tsa       TEXT NOT NULL,
    PRIMARY KEY (agency, size),
    FOREIGN KEY (agency, size) REFERENCES ledger_checkpoint (agency, size)
);
CREATE TABLE IF NOT EXISTS ledger_meta (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""

_SQLITE_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'lawtrail: {table} is append-only (UPDATE refused)'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, 'lawtrail: {table} is append-only (DELETE refused)'); END;
"""

_SQLITE_SEQUENCE = """
CREATE TRIGGER IF NOT EXISTS ledger_entry_next_seq BEFORE INSERT ON ledger_entry
WHEN NEW.seq <> COALESCE((SELECT MAX(seq) FROM ledger_entry WHERE agency = NEW.agency), -1) + 1
BEGIN SELECT RAISE(ABORT, 'lawtrail: ledger_entry seq must be the next one (no gaps)'); END;
CREATE TRIGGER IF NOT EXISTS ledger_checkpoint_grows BEFORE INSERT ON ledger_checkpoint
WHEN NEW.size <= COALESCE((SELECT MAX(size) FROM ledger_checkpoint WHERE agency = NEW.agency), -1)
  OR NEW.size > COALESCE((SELECT MAX(seq) FROM ledger_entry WHERE agency = NEW.agency), -1) + 1
BEGIN
    SELECT RAISE(ABORT, 'lawtrail: a checkpoint must grow the tree and cover only stored entries');
END;
"""

_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION lawtrail_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lawtrail: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lawtrail_next_seq() RETURNS trigger AS $$
BEGIN
    IF NEW.seq <> COALESCE((SELECT MAX(seq) FROM ledger_entry WHERE agency = NEW.agency), -1) + 1
    THEN
        RAISE EXCEPTION 'lawtrail: ledger_entry seq must be the next one (no gaps)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lawtrail_checkpoint_grows() RETURNS trigger AS $$
BEGIN
    IF NEW.size <= COALESCE((SELECT MAX(size) FROM ledger_checkpoint
                             WHERE agency = NEW.agency), -1)
       OR NEW.size > COALESCE((SELECT MAX(seq) FROM ledger_entry
                               WHERE agency = NEW.agency), -1) + 1
    THEN
        RAISE EXCEPTION 'lawtrail: a checkpoint must grow the tree and cover only stored entries'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

_PG_TRIGGERS = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION lawtrail_append_only();
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION lawtrail_append_only();
"""

_PG_SEQUENCE = """
DROP TRIGGER IF EXISTS ledger_entry_next_seq ON ledger_entry;
CREATE TRIGGER ledger_entry_next_seq BEFORE INSERT ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION lawtrail_next_seq();
DROP TRIGGER IF EXISTS ledger_checkpoint_grows ON ledger_checkpoint;
CREATE TRIGGER ledger_checkpoint_grows BEFORE INSERT ON ledger_checkpoint
    FOR EACH ROW EXECUTE FUNCTION lawtrail_checkpoint_grows();
"""


def ddl(dialect: str) -> str:
    """The whole schema, triggers included, for one dialect (idempotent)."""
    blob = "BLOB" if dialect == SQLITE else "BYTEA"
    parts = [_TABLES.format(blob=blob)]
    if dialect == SQLITE:
        parts += [_SQLITE_TRIGGERS.format(table=t) for t in APPEND_ONLY_TABLES]
        parts.append(_SQLITE_SEQUENCE)
    else:
        parts.append(_PG_FUNCTIONS)
        parts += [_PG_TRIGGERS.format(table=t) for t in APPEND_ONLY_TABLES]
        parts.append(_PG_SEQUENCE)
    return "\n".join(parts)


def expected_triggers(dialect: str) -> set[str]:
    names = {"ledger_entry_next_seq", "ledger_checkpoint_grows"}
    suffixes = ("no_update", "no_delete") if dialect == SQLITE else ("append_only", "no_truncate")
    return names | {f"{table}_{suffix}" for table in APPEND_ONLY_TABLES for suffix in suffixes}


def has_schema(db: Database) -> bool:
    if db.dialect == SQLITE:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_meta'"
    else:
        sql = (
            "SELECT 1 FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'ledger_meta'"
        )
    return db.one(sql) is not None


EXPECTED_INDEXES = ("ledger_entry_case", "ledger_entry_ref", "ledger_entry_case_type")


def missing_indexes(db: Database) -> list[str]:
    """The ledger's indexes not in the database (one added since it was created)."""
    if db.dialect == SQLITE:
        rows = db.all("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = db.all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    present = {row[0] for row in rows}
    return [name for name in EXPECTED_INDEXES if name not in present]


def missing_triggers(db: Database) -> list[str]:
    """The append-only triggers that are missing or disabled (the fence is down)."""
    if db.dialect == SQLITE:
        rows = db.all("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        rows = db.all(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
            "AND c.relnamespace = current_schema()::regnamespace"
        )
    present = {row[0] for row in rows}
    return sorted(expected_triggers(db.dialect) - present)


def install(db: Database) -> None:
    """Create the ledger's tables and triggers if anything is missing (safe at every start).

    When all is in place nothing is executed: DDL takes table locks that would stall writers.
    A missing or disabled trigger is put back (and logged).
    """
    if has_schema(db):
        missing = missing_triggers(db)
        indexes = missing_indexes(db)
        if not missing and not indexes:
            return
        if missing:
            log.warning("ledger triggers missing or disabled, reinstalling: %s", ", ".join(missing))
        if indexes:  # an index added by a newer version: CREATE INDEX IF NOT EXISTS adds it
            log.info("creating ledger indexes: %s", ", ".join(indexes))
    if db.dialect != SQLITE:
        # Serialise concurrent installers: CREATE … IF NOT EXISTS is not race-free in PostgreSQL.
        with db.write():
            db.execute("SELECT pg_advisory_xact_lock(7262727372)")
            db.executescript(ddl(db.dialect))
            _record_version(db)
        return
    # sqlite3's executescript commits any open transaction first, so the script brings its own.
    db.executescript(f"BEGIN IMMEDIATE;\n{ddl(db.dialect)}\nCOMMIT;")
    with db.write():
        _record_version(db)


def _record_version(db: Database) -> None:
    row = db.one("SELECT value FROM ledger_meta WHERE name = 'schema_version'")
    if row is None:
        db.execute(
            "INSERT INTO ledger_meta (name, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    elif int(row[0]) != SCHEMA_VERSION:
        raise RuntimeError(
            f"ledger schema version {row[0]} in the database, this code knows {SCHEMA_VERSION}"
        )
