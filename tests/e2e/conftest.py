"""The running system in real headless Chromium.

A session-wide server is started the way an agency runs it (`lawtrail manage migrate`,
`seed_demo`, `lawtrail serve` — gunicorn on loopback, SQLite + local media in a temporary data
directory), and Debian's Chromium is driven by pip's playwright (never `playwright install`).
Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lawtrail.web.launch import LocalServer

expect.set_options(timeout=20_000)

CHROMIUM = os.environ.get("LAWTRAIL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "lawtrail-demo"  # the demo accounts' password (lawtrail.web.demo)


class Server(LocalServer):
    def verify(self, agency: str, case_number: str | None = None) -> dict:  # type: ignore[type-arg]
        """`lawtrail verify --format json` on the server's database, with the agency's key and
        the witness's key pinned as the supervisor holds them. The verdict may be 未验证 only
        for entries the witness has not cosigned *yet* (the pages keep appending access
        entries; it follows within seconds) — see :func:`assert_verified`."""
        args = ["verify", "--agency", agency, "--format", "json"]
        args += ["--key", str(self.data_dir / "keys" / f"{agency}.vkey")]
        for vkey in sorted(self.witness_dir.rglob("*.vkey")) if self.witness_dir else []:
            args += ["--witness-key", str(vkey)]
        if case_number:
            args += ["--case", case_number]
        done = self.lawtrail(*args)
        assert done.returncode in (0, 1, 3), done.stderr
        return json.loads(done.stdout)


def assert_verified(report: dict) -> None:  # type: ignore[type-arg]
    """No problem, keys pinned; at most the latest entries not yet cosigned (or signed)."""
    assert report["problems"] == [], report
    assert report["status"] in ("intact", "not_verified"), report
    assert {r["code"] for r in report["not_verified"]} <= {"unwitnessed", "unsigned"}, report


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # With the supervisor's witness service as its own process (tests/e2e/test_e2e_witness.py).
    srv = Server(tmp_path_factory.mktemp("e2e-server"), witness=True)
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
            viewport={"width": 1440, "height": 900},
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
        # Console messages of type "error" (a CSP violation, a failed script, a missing
        # asset …) and uncaught exceptions: a clean page has none.
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                errors.append(f"{m.text} @ {m.location.get('url', '')}")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.console_errors = errors
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


SHOT_SIZES = ((1440, 900), (390, 844))  # a desktop and a phone


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable:  # type: ignore[type-arg]
    """shot(page, name): save full-page screenshots as test artifacts, on a desktop (1440 px)
    and on a phone (390 px): ``<test>-<name>-1440.png`` and ``-390.png``. The viewport is put
    back as it was; returns the desktop shot's path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        size = page.viewport_size
        paths = []
        try:
            for width, height in SHOT_SIZES:
                page.set_viewport_size({"width": width, "height": height})
                # from the top: the sticky top bar and side navigation then sit where they
                # belong on the full-page image
                page.evaluate("window.scrollTo(0, 0)")
                path = ARTIFACTS / f"{request.node.name}-{name}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                paths.append(path)
        finally:
            page.set_viewport_size(size)
        return paths[0]

    return take


# ---------------------------------------------------------------------------- full-case walks
# Shared by the walkthroughs (test_e2e_*_case.py): a real video to upload, and the moves of a
# user on the pages — fill a generated record form by the fields' names, sign on the canvas,
# submit and land on the record, read the case page, take a task from the 待办 inbox.

BEIJING = ZoneInfo("Asia/Shanghai")
FFMPEG = Path("/usr/bin/ffmpeg")

# A video recorded by Chromium itself (canvas → MediaRecorder → H.264 in MP4), used when ffmpeg
# is not installed: a real, playable MP4 that starts with its `ftyp` box.
_RECORD_MP4 = """
async (frames) => {
  const canvas = document.createElement("canvas");
  canvas.width = 160;
  canvas.height = 120;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(30), {
    mimeType: "video/mp4;codecs=avc1.42E01E",
  });
  const chunks = [];
  recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  await new Promise((resolve) => {
    let n = 0;
    const draw = () => {
      ctx.fillStyle = `hsl(${(n * 12) % 360}, 70%, 45%)`;
      ctx.fillRect(0, 0, 160, 120);
      ctx.fillStyle = "#fff";
      ctx.font = "20px sans-serif";
      ctx.fillText("LawTrail " + n, 12, 66);
      n += 1;
      if (n >= frames) resolve(); else requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
  });
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return btoa(text);
}
"""


@dataclass(frozen=True)
class SampleVideo:
    data: bytes
    how: str  # how it was made (for the report)

    def write(self, path: Path, captured: datetime) -> Path:
        """The video as a camera's file whose modification time is ``captured`` (the upload
        page sends a file's modification time as its capture time). Each file gets its own
        bytes: a trailing `free` box (ignored by players) names it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tag = path.name.encode()
        path.write_bytes(self.data + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag)
        os.utime(path, (captured.timestamp(), captured.timestamp()))
        return path


@pytest.fixture(scope="session")
def sample_video(browser: object, tmp_path_factory: pytest.TempPathFactory) -> SampleVideo:
    """A small real MP4 video: ffmpeg's test pattern when ffmpeg is installed, else recorded
    by Chromium (MediaRecorder, H.264)."""
    if FFMPEG.exists():
        out = tmp_path_factory.mktemp("video") / "testsrc.mp4"
        done = subprocess.run(
            [str(FFMPEG), "-v", "error", "-f", "lavfi", "-i",
             "testsrc=duration=2:size=160x120:rate=15", "-pix_fmt", "yuv420p",
             "-movflags", "+faststart", str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        video = SampleVideo(out.read_bytes(), "ffmpeg testsrc")
    else:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.set_content("<!DOCTYPE html><html><body></body></html>")
        data = base64.b64decode(page.evaluate(_RECORD_MP4, 45))
        page.close()
        video = SampleVideo(data, "Chromium MediaRecorder (H.264/MP4)")
    assert video.data[4:8] == b"ftyp", "an MP4 starts with its ftyp box"
    return video


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core (vendored from the npm registry, injected by the test — not by the page, whose
    CSP would refuse it) finds no serious or critical issue on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                 v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; "))"""
    )
    assert found == [], (page.url, found)


PHONE_WIDTH = 390


def assert_fits_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    """At 390 px (a phone) the page does not scroll sideways: a wide table scrolls in its own
    box. The viewport is put back as it was."""
    size = page.viewport_size
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """w => [...document.querySelectorAll("main *")]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + "." + [...e.classList].join(".")
                     + " " + Math.round(e.getBoundingClientRect().right))""",
            PHONE_WIDTH,
        )
    finally:
        page.set_viewport_size(size)
    assert width <= PHONE_WIDTH, (page.url, width, wide)


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(microsecond=0)


def typed(moment: datetime) -> str:
    """A moment as typed into a datetime-local input: the Beijing wall clock."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    record: str  # the record's id (data-record), "" for an entry that is not a record
    text: str  # 事项: what was recorded, its findings
    who: str  # 人员: the agency's people the record names
    by: str  # 录入人: who recorded it
    proof: str  # 验证


@dataclass(frozen=True)
class CaseView:
    """What the case page shows: the timeline (ledger order), the 规定应当办理的事项 panel, the
    findings badge."""

    rows: list[TimelineRow]
    required: list[str]
    badges: str

    def row_of(self, record_id: str) -> TimelineRow:
        found = [r for r in self.rows if r.record == record_id]
        assert len(found) == 1, (record_id, [r.text for r in self.rows])
        return found[0]


class Walk:
    """A user's moves on the pages (used by the full-case walkthroughs)."""

    def __init__(self, shot: Callable) -> None:  # type: ignore[type-arg]
        self.shot = shot

    @staticmethod
    def clean(page) -> None:  # type: ignore[no-untyped-def]
        """Nothing loaded from another host, nothing logged as an error on the console (a CSP
        violation, a script error), and no serious or critical accessibility issue (axe-core)."""
        assert page.external_requests == [], page.external_requests
        assert page.console_errors == [], page.console_errors
        assert_accessible(page)
        assert_fits_a_phone(page)

    def visit(self, page, url: str):  # type: ignore[no-untyped-def]
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.clean(page)
        return response

    @staticmethod
    def reveal(locator) -> None:  # type: ignore[no-untyped-def]
        """Unfold the <details> (a folded section, an extra signature, a refusal …) that hold
        the field, the outermost first."""
        folded = locator.evaluate(
            """el => { const out = []; let n = 0;
                for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) {
                    n += 1; if (!d.open) out.push(n); }
                return out.reverse(); }"""
        )
        for level in folded:
            locator.locator(f"xpath=ancestor::details[{level}]/summary").click()

    def fill(self, page, values: Mapping[str, Any]) -> None:  # type: ignore[no-untyped-def]
        """Fill a form by its fields' names: text, a select's value, a checkbox (bool) or the
        values of a group of checkboxes (list)."""
        for name, value in values.items():
            field = page.locator(f'[name="{name}"]')
            first = field.first
            self.reveal(first)
            what = first.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
            if what == "input:checkbox" and isinstance(value, bool):
                first.set_checked(value)
            elif what == "input:checkbox":
                for v in value:
                    page.locator(f'input[name="{name}"][value="{v}"]').check()
            elif what.startswith("select"):
                assert first.select_option(value=value) == [value], (name, value)
            else:
                first.fill(value)

    def draw_signature(self, page, slot: int) -> None:  # type: ignore[no-untyped-def]
        """Sign on the canvas of signature slot ``slot`` with the mouse (a few strokes)."""
        canvas = page.locator(f'canvas.sig-pad[data-target="id_sig_{slot}_drawn"]')
        self.reveal(canvas)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        left, top, width, height = box["x"], box["y"], box["width"], box["height"]
        for stroke in range(2):
            y = top + height * (0.4 + 0.25 * stroke)
            page.mouse.move(left + width * 0.15, y)
            page.mouse.down()
            for step in range(1, 16):
                dy = (-1) ** step * height * 0.12
                page.mouse.move(left + width * (0.15 + 0.045 * step), y + dy, steps=2)
            page.mouse.up()
        expect(canvas).to_have_class(re.compile(r"\bsigned\b"))
        expect(page.locator(f"#id_sig_{slot}_drawn")).to_have_value(
            re.compile(r"^data:image/png;base64,")
        )

    def submit(self, page, button: str = "form.record-form button.primary[type=submit]") -> str:  # type: ignore[no-untyped-def]
        """Submit the form; returns the URL landed on. A refused form fails with its messages."""
        before = page.url
        with page.expect_navigation():
            page.locator(button).click()
        if page.locator(".form-errors").count():
            problems = page.locator(".form-errors, .has-error, .verdict-list").all_inner_texts()
            raise AssertionError(f"form at {before} refused: {problems}")
        self.clean(page)
        return page.url

    def record(
        self,
        page,
        pk: int,
        kind: str,
        values: Mapping[str, Any],
        *,
        signatures=(),
        name: str = "",
        violation: str = "",
    ) -> str:  # type: ignore[no-untyped-def]
        """Open the form of ``kind`` from the case page's menu, fill it, sign on screen in the
        given slots, save; returns the new record's id (the record page is shown)."""
        page.goto(f"/cases/{pk}/")
        self.clean(page)
        page.locator(f'.kind-menu a[href$="/records/new/{kind}/"]').click()
        page.wait_for_url(f"**/cases/{pk}/records/new/{kind}/")
        return self.save(page, pk, values, signatures=signatures, name=name, violation=violation)

    def save(
        self,
        page,
        pk: int,
        values: Mapping[str, Any],
        *,
        signatures=(),
        name: str = "",
        violation: str = "",
    ) -> str:  # type: ignore[no-untyped-def]
        """Fill the record form shown, sign on screen in the given slots, save; returns the
        new record's id (the record page is shown). ``violation``: the record is known to
        break a rule — the first submit must stop at the draft's check naming it, and the
        second, confirmed knowingly, appends it."""
        self.clean(page)
        self.fill(page, values)
        for slot in signatures:
            self.draw_signature(page, slot)
        if name:
            self.shot(page, f"{name}-form")
        if violation:
            with page.expect_navigation():
                page.locator("form.record-form button.primary[type=submit]").click()
            expect(page.locator(".verdict-list")).to_contain_text(violation)
            if name:
                self.shot(page, f"{name}-verdict")
            page.locator("input[name=confirm_violations]").check()
            for slot in signatures:  # an on-screen signature is drawn again after a re-render
                if not page.locator(f"#id_sig_{slot}_drawn").input_value():
                    self.draw_signature(page, slot)
        url = self.submit(page)
        match = re.search(rf"/cases/{pk}/records/([^/]+)/$", url)
        assert match, url
        # named by its place in the case (第7份记录), never by its id (r7)
        number = int(re.search(r"(\d+)$", match[1])[1])  # type: ignore[index]
        expect(page.locator(".messages")).to_contain_text(f"（第{number}份记录，账本第")
        expect(page.locator("main")).not_to_contain_text(match[1])
        if name:
            self.shot(page, name)
        return match[1]

    def case_view(self, page, pk: int) -> CaseView:  # type: ignore[no-untyped-def]
        """The case page (the timeline: 事项 人员 录入人, the 规定应当办理的事项 panel, the
        findings badge) with each entry's sequence number and proof from its 核验 page."""
        self.visit(page, f"/cases/{pk}/verification/")
        proofs = dict(
            page.locator("section.verification table").evaluate(
                """table => [...table.tBodies[0].rows].map(
                    tr => [tr.dataset.seq, tr.querySelector("td.proof").innerText.trim()])"""
            )
        )
        self.visit(page, f"/cases/{pk}/")  # (the case page stays open)
        rows = page.locator("section.timeline table").evaluate(
            """table => {
                const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
                const columns = ["事项", "人员", "录入人"].map(name => heads.indexOf(name));
                if (columns.includes(-1)) throw new Error("timeline columns: " + heads);
                return [...table.tBodies[0].rows].map(tr => [
                    tr.dataset.seq, tr.dataset.record || "",
                    ...columns.map(i => tr.cells[i].innerText.trim())]);
            }"""
        )
        required = page.locator(".required-next .required-item").all_inner_texts()
        badges = page.locator(".case-header dl.facts").inner_text()
        view = CaseView(
            [TimelineRow(int(s), r, t, w, b, proofs.get(s, "")) for s, r, t, w, b in rows],
            required,
            badges,
        )
        self.assert_proven(view)
        return view

    def grown(self, page, pk: int, before: CaseView) -> CaseView:  # type: ignore[no-untyped-def]
        """The case page again: its timeline has grown since ``before``."""
        view = self.case_view(page, pk)
        self.assert_proven(view, before)
        return view

    @staticmethod
    def assert_proven(view: CaseView, before: CaseView | None = None) -> None:
        """The timeline is in ledger order, every entry proven by a signed checkpoint but the
        newest ones the integrator has not signed yet, and it grew (when an earlier view is
        given)."""
        seqs = [r.seq for r in view.rows]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        # The newest entries may still wait for the integrator (≤ 1 s): named as not yet signed.
        proven = [r.proof.startswith("已验证") for r in view.rows]
        waiting = proven.count(False)
        assert proven == [True] * (len(proven) - waiting) + [False] * waiting, [
            (r.seq, r.proof) for r in view.rows if not r.proof.startswith("已验证")
        ]
        assert all(r.proof.startswith("尚未签入检查点") for r in view.rows[len(proven) - waiting :])
        if before is not None:
            assert len(view.rows) > len(before.rows)
            assert view.rows[-1].seq > before.rows[-1].seq

    def upload(self, page, pk: int, path: Path, *, folder: bool = False) -> str:  # type: ignore[no-untyped-def]
        """Upload a file (or the folder holding it) on the case's media page; waits for its
        row's success; returns its SHA-256."""
        self.visit(page, f"/cases/{pk}/media/")
        page.set_input_files(
            "#upload-folder" if folder else "#upload-files", path.parent if folder else path
        )
        item = page.locator("#upload-queue li.upload-item").filter(has_text=path.name)
        expect(item.locator(".upload-result")).to_contain_text("已入库：sha256 ", timeout=60_000)
        expect(item).to_have_class(re.compile(r"\bupload-ok\b"))
        assert item.locator("progress.upload-bar").evaluate("b => b.value") == 100
        expect(page.locator("#upload-summary")).to_be_visible()
        match = re.search(r"sha256 ([0-9a-f]{64})，账本第 (\d+) 条", item.inner_text())
        assert match, item.inner_text()
        self.clean(page)
        return match[1]

    def take_task(self, page, case_number: str, title: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
        """Find the task in the user's 待办 and open it; returns the inbox row's cells."""
        self.visit(page, "/inbox/")
        mine = page.locator("table.inbox-mine tr.inbox-item")
        row = mine.filter(has_text=case_number).filter(has_text=title)
        expect(row).to_have_count(1)
        cells = row.locator("td").all_inner_texts()
        shown = dict(zip(("case", "title", "who", "due", "article"), cells, strict=False))
        # 办理人: the role and the people holding it ("审核人：王志刚")
        shown["role"], _, shown["people"] = shown["who"].partition("：")
        assert shown["people"], shown
        with page.expect_navigation():
            row.get_by_role("link", name="办理").click()
        self.clean(page)
        return shown


@pytest.fixture
def walk(shot: Callable) -> Walk:  # type: ignore[type-arg]
    return Walk(shot)
