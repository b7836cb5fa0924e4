"""Where the test PostgreSQL server is (one place for the ledger and the web test passes)."""

import os

POSTGRES_URL = os.environ.get(
    "LAWTRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
