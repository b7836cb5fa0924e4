"""The access log tells the truth (issue #13, item 4): every page and every API operation that
is about a case logs what it did — an allowed read as "allowed" with its act, a refused attempt
as "denied" with the reason the user was shown, once — and the access-log page shows both in
Chinese.

The test walks the URL map and the API's OpenAPI document (it does not list the views), so a view
added later that logs nothing fails here. Views that are not about a case are allowed only when
listed in ``NOT_CASE_SCOPED`` with the reason they need no access entry.

Writes are "logged by their own entry": an allowed POST that changes the case (a record, an
approval step, an archiving, a media upload, a 文书) is a ledger entry of its own that names its
``actor``; it is not also an access entry. A write refused as invalid (a form error, a 400) stores
nothing at all — the ledger's transaction (lawtrail.web.actions) — and is not an access either: it
showed the user nothing of the case the form page (logged as ``record_form`` etc.) had not shown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from lawtrail.core import timeutil
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.secrecy import Item
from lawtrail.web import actions, denials, secrecy_actions, wiring
from lawtrail.web.access_labels import ACTION_LABELS
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
OUTSIDER = "stats.handler"  # another agency's handler: may neither read nor record
READER = "supervisor"  # reads every case, records in none
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
WORLD_JPEG = JPEG[:-2] + b"world\xff\xd9"

# Pages that are not about one case, and why they log no access entry.
NOT_CASE_SCOPED = {
    "home": "a redirect to the inbox",
    "login": "signing in (logged by the sign-in events, lawtrail.web.signin)",
    "logout": "signing out (a sign-in event)",
    "inbox": "the user's own tasks, in the cases of the user's own agency",
    "case_list": "lists only the cases of agencies the user may read (no case is opened)",
    "case_new": "opening a case: the case's first ledger entry names who opened it",
    "access_log": "the supervisor's view of the access log itself (reads no case)",
    "witness_page": "the witness service's state: checkpoints and cosignatures, no case data",
    "dashboard": "counts over the agencies the user supervises or heads (no case is opened; "
    "its drill-down is the case list); a refusal is logged as a denial",
    "report": "the 评议考核 report: the dashboard's counts of one agency (no case is opened); its"
    " XLSX / PDF downloads are logged as download_report in the agency's ledger, a refusal as a"
    " denial in the ledger of the agency asked for (test_report)",
    "ledger_http": "public, read-only hashes and signatures (docs/ledger-http.md)",
    # 责令限期整改 (lawtrail.web.views.orders): not under /cases/, but each page that shows an
    # order logs it in the ledger of the agency it is addressed to (test_rectification_orders)
    "order_list": "the order index of the supervised agencies (no case data; reads no case)",
    "order_new": "issuing an order: the order's ledger entry names who issued it; the form of a"
    " case's order logs order_form, a refusal is logged in the case's agency",
    "order_detail": "logged as view_order in the ledger of the order's agency",
    "order_answer": "the answer's ledger entry names who answered; the form logs answer_form",
    "order_evidence": "logged as download_evidence in the ledger of the order's agency",
    # 案卷评查 (lawtrail.web.views.reviews): not under /cases/; the pages that show a case's
    # findings log them in the ledger of the reviewed agency (test_case_review)
    "review_list": "the review index of the supervised agencies (case numbers and grades only)",
    "review_sample": "drawing a sample: the sampling's entry in the supervisor's log names who",
    "review_sampling": "a sampling: seed, population and selection (case numbers only)",
    "review_score": "logged as review_form in the ledger of the reviewed agency",
    "review_detail": "logged as view_review in the ledger of the reviewed agency",
    "login_otp": "the sign-in's second factor (a sign-in event)",
    "account": "the user's own account (sign-in events)",
    "kept_form": "the user's own typing, given back after a new sign-in (shows no case data)",
    "password_change": "the user's own password (a sign-in event: password_changed)",
    "otp_enrol": "the user's own second factor (a sign-in event: otp_enrolled)",
    "tokens": "the user's own API tokens (sign-in events: token_created)",
    "token_revoke": "revoking one of the user's own API tokens (a sign-in event: token_revoked)",
    # 查阅/复制 (issue #16): the party's pages, no account
    "copy_download": "the party's one-time download: its copy_downloaded entry in the agency's"
    " log records it (test_secrecy_and_copies)",
    "copy_verify": "anyone checks a file's digest against the issued copies (no case data)",
}
CASE_ROUTE = "cases/<int:pk>/"
# Prefixes of patterns that are not the application's pages.
NOT_PAGES = ("admin/", "api/", "static/", "favicon.ico")

# The act a page or an operation logs when an allowed user reads it (GET).
READ_ACTIONS = {
    "case_detail": "view_case",
    "case_verification": "view_verification",
    "record_new": "record_form",
    "record_detail": "view_record",
    "record_receipt": "download_receipt",
    "document_file": "download",
    "case_archive": "archive_form",
    "case_export": "export",
    "approval_step": "view_approval",
    "role_act": "view_record",
    "media_page": "view_media_list",
    "media_file": "view_media",
    "case_secrecy": "view_secrecy",
    "copy_new": "copy_form",
    "copy_detail": "view_copy",
    "copy_file": "download_copy",
    "get_case": "view_case",
    "list_records": "view_records",
    "get_record": "view_record",
    "findings": "view_findings",
    "verification": "verify_case",
    "list_media": "view_media",
}
# Who reads a page that only some roles of the case's own agency may open.
ALLOWED_USER = {"case_archive": "market.archivist", "case_export": "market.archivist"}
# An allowed request that leaves no entry, and why.
NOTHING_LEFT = {
    # The examples' media bytes are not in the store: the package cannot be made (409) and
    # nothing left the system (documents.case_export).
    ("case_export", 409): "no package was made",
}


@dataclass(frozen=True)
class Entry:
    seq: int
    type: str
    case_number: str
    data: dict[str, Any]

    @property
    def access(self) -> dict[str, Any]:
        return dict(self.data.get("access") or {})


def entries_after(seq: int) -> list[Entry]:
    return [
        Entry(e.seq, e.type, e.case_number, e.data())
        for e in wiring.ledger().entries(MARKET)
        if e.seq > seq
    ]


def last_seq() -> int:
    last = -1
    for e in wiring.ledger().entries(MARKET):
        last = e.seq
    return last


@pytest.fixture
def world(demo_cases: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A market case with an internal approval, media and a generated 文书. The walks refuse
    one user more than ``denials.LIMIT`` times a minute: each refusal is logged on its own here
    (the limit's own test is test_denied_access_limit)."""
    monkeypatch.setattr(actions, "_denials", denials.DenialLimiter(limit=100_000))
    index = max(
        CaseIndex.objects.filter(agency_id=MARKET),
        key=lambda i: (
            any(r.kind == "internal_approval" for r in actions.case_of(i).records),
            any(r.media for r in actions.case_of(i).records),
            i.records,
        ),
    )
    case = actions.case_of(index)
    handler = User.objects.get(username="market.handler")
    record = (
        next(r for r in case.records if r.kind == "decision")
        if any(r.kind == "decision" for r in case.records)
        else case.records[0]
    )
    recorded = actions.do_generate_document(
        handler, index, _template(record.kind), record.id, "pdf"
    )
    approval = next((r.id for r in case.records if r.kind == "internal_approval"), record.id)
    with_acts = [r for r in case.records if RECORD_KINDS[r.kind].role_acts]
    act_record = with_acts[0].id if with_acts else record.id
    act = RECORD_KINDS[with_acts[0].kind].role_acts[0].name if with_acts else "av_exemption"
    # A media file whose bytes are in the store (the examples' are on their cameras only).
    uploaded = _send(
        Client(),
        "POST",
        f"/cases/{index.pk}/media/upload/",
        "media_upload",
        body=WORLD_JPEG,
        HTTP_AUTHORIZATION="",
    )
    assert uploaded.status_code in (401, 403)  # not signed in: refused, nothing stored
    client = Client()
    client.force_login(handler)
    uploaded = _send(
        client, "POST", f"/cases/{index.pk}/media/upload/", "media_upload", body=WORLD_JPEG
    )
    assert uploaded.status_code in (200, 201), uploaded.content
    media = hashlib.sha256(WORLD_JPEG).hexdigest()
    # A party's 查阅/复制 request with its copy made (issue #16).
    copy = secrecy_actions.do_register_copy(
        handler,
        index,
        requester={"name": "某公司"},
        items=[Item("record", record.id)],
        mode="copy",
        received_via="counter",
        received_at=timeutil.now(),
    )
    secrecy_actions.do_decide_copy(
        User.objects.get(username="market.head"),
        index,
        copy,
        outcome="whole",
        approved=[Item("record", record.id)],
        withheld=[],
        reason="同意",
    )
    secrecy_actions.do_produce_copy(
        handler, index, copy, delivery="disc", verify_url="http://testserver/copies/verify/"
    )
    return {
        "copy": copy,
        "index": index,
        "record": record.id,
        "approval": approval,
        "kind": record.kind if record.kind in RECORD_KINDS else next(iter(RECORD_KINDS)),
        "document": recorded.sha256,
        "act_record": act_record,
        "act": act,
        "media": media,
    }


def _template(kind: str) -> str:
    from lawtrail.documents import template_for

    return template_for(kind).id


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        else:
            yield route, p


def web_views() -> list[tuple[str, str]]:
    """(url name, route) of every page of the URL map."""
    return [
        (p.name or route, route)
        for route, p in _walk(get_resolver().url_patterns)
        if not route.startswith(NOT_PAGES)
    ]


def _url(route: str, world: dict[str, Any], name: str) -> str:
    values = {
        "pk": world["index"].pk,
        "record_id": {"approval_step": world["approval"], "role_act": world["act_record"]}.get(
            name, world["record"]
        ),
        "act": world["act"],
        "kind": world["kind"],
        "format": "pdf",
        "sha256": world["document"] if name == "document_file" else world["media"],
        "request_id": world["copy"],
    }

    def fill(match: re.Match[str]) -> str:
        return str(values[match.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _methods(client: Client, url: str) -> list[str]:
    """GET and/or POST, as the view accepts them (a GET answered 405 says what it allows)."""
    response = client.get(url)
    if response.status_code == 405:
        allowed = [m.strip() for m in response.get("Allow", "").split(",")]
        return [m for m in ("POST",) if m in allowed or "PUT" in allowed]
    return ["GET", "POST"]


def _send(
    client: Client, method: str, url: str, name: str, body: bytes = JPEG, **extra: Any
) -> Any:
    if method == "GET":
        return client.get(url, **extra)
    if name in ("media_upload", "upload_media"):
        query = urlencode(
            {
                "filename": "IMG_0001.jpg",
                "captured_at": "2026-03-05T10:01:00+08:00",
                "device": "body_camera",
            }
        )
        return client.post(f"{url}?{query}", body, content_type="application/octet-stream", **extra)
    if url.startswith("/api/"):
        return client.post(url, "{}", content_type="application/json", **extra)
    return client.post(url, {}, **extra)


def _assert_refused(name: str, username: str, before: int, index: CaseIndex, response: Any) -> None:
    assert response.status_code in (403, 405), (name, username, response.status_code)
    if response.status_code == 405:
        return
    new = [e for e in entries_after(before) if e.type == "access"]
    denied = [e for e in new if e.access.get("outcome") == "denied"]
    assert len(denied) == 1, f"{name} by {username}: {len(denied)} refused entries: {new}"
    [entry] = denied
    body = entry.access
    assert entry.case_number == index.case_number, (name, entry)
    assert body["user"] == username
    assert re.search(r"[\u4e00-\u9fff]", body.get("reason", "")), (name, body)
    assert body["action"] in ACTION_LABELS, (name, body["action"])
    assert not [e for e in new if e.access.get("outcome") == "allowed"], (name, new)


def _assert_logged(
    name: str, method: str, username: str, before: int, index: CaseIndex, response: Any
) -> None:
    assert response.status_code < 500, (name, method, response.status_code)
    new = entries_after(before)
    allowed = [
        e
        for e in new
        if e.type == "access"
        and e.access.get("outcome") == "allowed"
        and e.access.get("user") == username
        and e.case_number == index.case_number
    ]
    if method == "GET":
        if (name, response.status_code) in NOTHING_LEFT:
            assert not new
            return
        assert allowed, f"GET {name} by {username} ({response.status_code}) logged nothing"
        expected = READ_ACTIONS.get(name)
        actions_logged = {e.access["action"] for e in allowed}
        if expected is not None:
            assert expected in actions_logged, (name, actions_logged)
        assert actions_logged <= set(ACTION_LABELS), actions_logged
        return
    writes = [e for e in new if e.type != "access"]
    if writes:  # logged by its own entry, which names who made it
        assert all(e.data.get("actor") == username for e in writes), (name, writes)
    elif not allowed:
        # Refused as invalid: nothing stored at all (see the module doc).
        assert response.status_code in (200, 400, 409, 422), (name, response.status_code)
        assert not new, (name, new)


def test_every_page_is_about_a_case_or_listed_as_not(demo_users: Any) -> None:
    for name, route in web_views():
        assert route.startswith(CASE_ROUTE) or name in NOT_CASE_SCOPED, (
            f"page {name} ({route}) is not about a case: log its accesses (views.common.case_for)"
            " or list it in NOT_CASE_SCOPED with the reason it needs no access entry"
        )


def test_every_case_page_logs_allowed_reads_and_refusals_with_their_reason(
    world: dict[str, Any], login: Login
) -> None:
    index = world["index"]
    case_pages = [(n, r) for n, r in web_views() if r.startswith(CASE_ROUTE)]
    assert len(case_pages) >= 12
    for name, route in case_pages:
        url = _url(route, world, name)
        allowed = login(ALLOWED_USER.get(name, "market.handler"))
        for method in _methods(allowed, url):
            if method == "GET":
                before = last_seq()
                response = _send(allowed, method, url, name)
                _assert_logged(
                    name, method, ALLOWED_USER.get(name, "market.handler"), before, index, response
                )
            for username in (OUTSIDER, READER) if method == "POST" else (OUTSIDER,):
                before = last_seq()
                response = _send(login(username), method, url, name)
                if username == READER and response.status_code not in (403, 405):
                    # A page that does not write on POST (the media list): a read, logged.
                    _assert_logged(name, "GET", username, before, index, response)
                else:
                    _assert_refused(name, username, before, index, response)


def test_an_allowed_write_is_logged_by_its_own_entry(world: dict[str, Any], login: Login) -> None:
    index = world["index"]
    handler = login("market.handler")
    before = last_seq()
    response = _send(handler, "POST", f"/cases/{index.pk}/media/upload/", "media_upload")
    assert response.status_code in (200, 201), response.content
    _assert_logged("media_upload", "POST", "market.handler", before, index, response)
    assert [e for e in entries_after(before) if e.type == "media"]

    before = last_seq()
    response = handler.post(f"/cases/{index.pk}/records/{world['record']}/document/docx/")
    assert response.status_code == 200
    new = entries_after(before)
    assert [e.access["action"] for e in new if e.type == "access"] == ["download"]


def _bearer(username: str) -> dict[str, str]:
    _, key = ApiToken.issue(User.objects.get(username=username), "access-log test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_every_case_operation_of_the_api_logs_reads_and_refusals_with_their_reason(
    world: dict[str, Any],
) -> None:
    index = world["index"]
    client = Client()
    paths = client.get("/api/openapi.json").json()["paths"]
    scoped = [(p, ops) for p, ops in paths.items() if "{case_id}" in p]
    assert len(scoped) >= 7
    tokens = {u: _bearer(u) for u in ("market.handler", OUTSIDER, READER)}
    for path, operations in scoped:
        url = path.replace("{case_id}", str(index.pk)).replace("{record_id}", world["record"])
        url = url.replace("{sha256}", world["media"])
        for method, operation in operations.items():
            name = operation["operationId"]
            if method == "get":
                before = last_seq()
                response = client.get(url, **tokens["market.handler"])
                _assert_logged(name, "GET", "market.handler", before, index, response)
                users = [OUTSIDER]
            else:
                users = [OUTSIDER, READER]
            for username in users:
                before = last_seq()
                response = _send(client, method.upper(), url, name, **tokens[username])
                _assert_refused(name, username, before, index, response)


def test_a_refused_approval_step_is_logged_refused_not_allowed(
    world: dict[str, Any], login: Login
) -> None:
    index = world["index"]
    before = last_seq()
    response = login(READER).post(
        f"/cases/{index.pk}/approvals/{world['approval']}/",
        {"decision": "agree", "opinion": "同意"},
    )
    assert response.status_code == 403
    [entry] = [e for e in entries_after(before) if e.type == "access"]
    assert entry.access["outcome"] == "denied"
    assert entry.access["action"] == "approval_step"
    assert entry.access["reason"] in response.content.decode()

    page = login(READER).get("/supervision/access/", {"outcome": "denied"}).content.decode()
    assert "办理内部审批" in page and "拒绝" in page
    assert "拒绝原因：" + entry.access["reason"] in page
    assert "approval_step" not in page


def test_a_refusal_without_a_case_goes_to_the_users_own_agency(
    login: Login, demo_cases: None
) -> None:
    before = last_seq()
    response = login("market.handler").get("/supervision/access/")
    assert response.status_code == 403
    [entry] = [e for e in entries_after(before) if e.type == "access"]
    assert (entry.case_number, entry.access["action"]) == ("", "access_log")
    assert entry.access["reason"] == "只有监督人员可以查看查阅记录"
