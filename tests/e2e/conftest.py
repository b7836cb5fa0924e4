"""The running system in real headless Chromium.

A session-wide server is started the way an agency runs it (`lawtrail manage migrate`,
`seed_demo`, `lawtrail serve` — gunicorn on loopback, SQLite + local media in a temporary data
directory), and Debian's Chromium is driven by pip's playwright (never `playwright install`).
Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lawtrail.web.launch import LocalServer

CHROMIUM = os.environ.get("LAWTRAIL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "lawtrail-demo"  # the demo accounts' password (lawtrail.web.demo)


class Server(LocalServer):
    def verify(self, agency: str, case_number: str | None = None) -> dict:  # type: ignore[type-arg]
        """`lawtrail verify --format json` on the server's database."""
        args = ["verify", "--agency", agency, "--format", "json"]
        if case_number:
            args += ["--case", case_number]
        done = self.lawtrail(*args)
        assert done.returncode in (0, 1), done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("e2e-server"))
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: ./run.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page_for(server: Server, browser: object, request: pytest.FixtureRequest) -> Iterator[Callable]:  # type: ignore[type-arg]
    """page_for(username) → a logged-in page in its own browser context (own cookies)."""
    contexts = []

    def make(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(  # type: ignore[attr-defined]
            base_url=server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        external: list[str] = []
        page.on(
            "request",
            lambda r: (
                external.append(r.url)
                if not r.url.startswith(server.url) and not r.url.startswith(("data:", "blob:"))
                else None
            ),
        )
        page.external_requests = external
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable:  # type: ignore[type-arg]
    """shot(page, name): save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
