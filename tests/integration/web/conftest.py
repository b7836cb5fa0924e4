"""Fixtures of the web tests: a fresh key directory and media store per test, demo users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from lawtrail.web import actions, denials, pagecache, wiring


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Runs before pytest-django creates the test database: the PostgreSQL pass skips with a
    clear reason (fails under LAWTRAIL_REQUIRE_POSTGRES=1) when no server is reachable."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        from tests.dbfixtures import require_postgres

        require_postgres()


@pytest.fixture(autouse=True)
def web_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test signs with fresh keys and stores media in its own directory."""
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LAWTRAIL_MEDIA_STORE", f"file://{tmp_path / 'media'}")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # Refusals are counted per process (lawtrail.web.denials): each test starts a fresh count.
    monkeypatch.setattr(actions, "_denials", denials.DenialLimiter())
    wiring.reset()
    # The case pages kept per process (lawtrail.web.pagecache) belong to the previous test's
    # database: two tests' cases can share a primary key and their ledgers a head.
    pagecache.clear()
    yield tmp_path
    wiring.reset()
    pagecache.clear()


@pytest.fixture
def demo_users(db: None) -> list[tuple[str, str, str]]:
    from lawtrail.web import demo

    return demo.seed(None)


@pytest.fixture
def demo_cases(demo_users: list[tuple[str, str, str]]) -> None:
    from lawtrail.web import demo

    demo.import_examples(Path(__file__).parents[3] / "examples")


@pytest.fixture
def login(demo_users: list[tuple[str, str, str]]) -> Callable[[str], Client]:
    def make(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password="lawtrail-demo"), username
        return client

    return make
