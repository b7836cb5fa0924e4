"""Agency isolation on every page that takes a case: an officer of another agency gets 403 (404
for what does not exist) and nothing of the case, and every refused attempt is in the ledger of
the case's agency as a denied access — where that agency's supervisors read it.

The pages are taken from the URL map itself, so a new case page is caught here until it is given
its parameters below.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from lawtrail.core import timeutil
from lawtrail.core.secrecy import Item
from lawtrail.web import actions, secrecy_actions, urls, wiring
from lawtrail.web.models import CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
CASE_NUMBER = "通市监罚〔2026〕201号"
TITLE = "鑫盛达商贸有限公司销售侵权运动鞋案"
PARTY = "通化市鑫盛达商贸有限公司"
OPINION = "拟没收侵权运动鞋185双并处罚款"
PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF-test-photo-of-the-shoes" * 40


@dataclass(frozen=True)
class Case:
    index: CaseIndex
    record_id: str  # the internal approval submitted by the handler
    sha256: str  # a photo ingested into the case
    document: str  # the SHA-256 of a 文书 generated from the case
    secrets: tuple[str, ...]  # what must never reach an outsider
    copy_request: str = ""  # a party's 查阅/复制 request with its copy issued (issue #16)


@pytest.fixture
def market_case(demo_users: list[tuple[str, str, str]]) -> Case:
    handler = User.objects.get(username="market.handler")
    header = {
        "case_number": CASE_NUMBER,
        "title": TITLE,
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "ex_officio",
        "opened_at": timeutil.now().isoformat(),
        "parties": [{"id": "p1", "name": PARTY}],
    }
    index = actions.do_open_case(handler, header)
    actions.do_append_record(
        handler,
        index,
        {
            "id": "r1",
            "kind": "internal_approval",
            "at": timeutil.now().isoformat(),
            "fields": {
                "subject": "处罚决定审批",
                "handler": "market.handler",
                "handler_opinion": OPINION,
                "handler_reason": "违反《商标法》第五十七条",
            },
        },
    )
    ingested = actions.do_ingest_media(
        handler,
        index,
        io.BytesIO(PHOTO),
        actions.Upload(type="photo", captured_at=timeutil.now(), filename="shoes.jpg"),
    )
    document = actions.do_generate_document(handler, index, "record", "r1", "pdf")
    copy = secrecy_actions.do_register_copy(
        handler,
        index,
        requester={"name": PARTY, "party": "p1"},
        items=[Item("record", "r1")],
        mode="copy",
        received_via="counter",
        received_at=timeutil.now(),
    )
    secrecy_actions.do_decide_copy(
        User.objects.get(username="market.head"),
        index,
        copy,
        outcome="whole",
        approved=[Item("record", "r1")],
        withheld=[],
        reason="同意",
    )
    secrecy_actions.do_produce_copy(
        handler, index, copy, delivery="disc", verify_url="http://testserver/copies/verify/"
    )
    return Case(
        index=index,
        record_id="r1",
        sha256=ingested.media.sha256,
        document=document.sha256,
        secrets=(CASE_NUMBER, TITLE, PARTY, OPINION, "shoes.jpg", "JFIF-test-photo"),
        copy_request=copy,
    )


# Every route that takes a case pk, with the other parameters it needs.
CASE_ROUTES = {
    "case_detail",
    "case_verification",
    "case_change",
    "record_new",
    "record_detail",
    "record_receipt",
    "approval_step",
    "role_act",
    "media_page",
    "media_upload",
    "media_file",
    "record_document",
    "document_file",
    "case_archive",
    "case_export",
    # 保密与查阅、复制 (issue #16)
    "case_secrecy",
    "copy_new",
    "copy_detail",
    "copy_file",
}
WRITING_ROUTES = {
    "case_secrecy",
    "copy_new",
    "copy_detail",
    "case_change",
    "record_new",
    "approval_step",
    "role_act",
    "media_upload",
    "record_document",
    "case_archive",
}
# media_upload only takes POST/PUT, record_document only POST
READING_ROUTES = CASE_ROUTES - {"media_upload", "record_document"}
# Who of the case's own agency may open the route (the control test); market.handler otherwise.
OWN_USER = {"case_archive": "market.archivist", "case_export": "market.archivist"}


def case_urls(case: Case, pk: int | None = None) -> dict[str, str]:
    """The path of every case route of the URL map, filled in for ``case``."""
    values = {
        "pk": str(case.index.pk if pk is None else pk),
        "kind": "inquiry_record",
        "record_id": case.record_id,
        "act": "av_exemption",
        "sha256": case.sha256,
        "format": "pdf",
        "request_id": case.copy_request,
    }
    found = {}
    for pattern in urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or "pk" not in pattern.pattern.converters:
            continue
        names = pattern.pattern.converters
        unknown = set(names) - set(values)
        assert not unknown, f"the isolation test does not know the parameters {unknown}"
        kwargs = {n: values[n] for n in names}
        if pattern.name == "document_file":
            kwargs["sha256"] = case.document
        found[pattern.name] = reverse(pattern.name, kwargs=kwargs)
    return found


def denied_attempts(username: str) -> list[dict[str, object]]:
    entries = wiring.ledger().entries(MARKET, case_number=CASE_NUMBER, types=("access",))
    bodies = [entry.data()["access"] for entry in entries]
    return [b for b in bodies if b["user"] == username and b["outcome"] == "denied"]


def stored(case: Case) -> list[tuple[str, str]]:
    entries = wiring.ledger().entries(MARKET, case_number=CASE_NUMBER, types=("record", "media"))
    return [(entry.type, entry.ref) for entry in entries]


def test_the_case_routes_of_the_url_map_are_the_ones_this_test_covers(market_case: Case) -> None:
    assert set(case_urls(market_case)) == CASE_ROUTES


@pytest.mark.parametrize("name", sorted(READING_ROUTES))
def test_an_officer_of_another_agency_gets_403_nothing_of_the_case_and_the_attempt_is_logged(
    market_case: Case, login: Login, name: str
) -> None:
    url = case_urls(market_case)[name]
    before = len(denied_attempts("postal.officer"))
    response = login("postal.officer").get(url)
    assert response.status_code == 403, (url, response.status_code)
    text = response.content.decode()
    assert "无权" in text
    for secret in market_case.secrets:
        assert secret not in text, (url, secret)
    attempts = denied_attempts("postal.officer")
    assert len(attempts) == before + 1, url
    assert attempts[-1]["user_agency"] == "tonghua-postal"


@pytest.mark.parametrize("name", sorted(WRITING_ROUTES))
def test_a_post_by_an_officer_of_another_agency_is_refused_logged_and_stores_nothing(
    market_case: Case, login: Login, name: str
) -> None:
    url = case_urls(market_case)[name]
    before_records = stored(market_case)
    before = len(denied_attempts("postal.reviewer"))
    client = login("postal.reviewer")  # a reviewer: would be allowed to review in its own agency
    if name == "media_upload":
        response = client.post(
            url, {"file": io.BytesIO(PHOTO), "type": "photo", "captured_at": "2026-11-20T10:00"}
        )
    else:
        response = client.post(
            url,
            {
                "opinion": "同意",
                "decision": "agree",
                "at": "2026-11-20T10:00",
                "f_subject": "外机关的记录",
            },
        )
    assert response.status_code == 403, (url, response.status_code)
    text = response.content.decode()
    for secret in market_case.secrets:
        assert secret not in text, (url, secret)
    assert stored(market_case) == before_records
    assert len(denied_attempts("postal.reviewer")) == before + 1, url


@pytest.mark.parametrize("name", sorted(READING_ROUTES))
def test_an_unknown_case_is_404_for_everyone(market_case: Case, login: Login, name: str) -> None:
    missing = CaseIndex.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    url = case_urls(market_case, pk=missing)[name]
    for username in ("postal.officer", "market.handler"):
        response = login(username).get(url)
        assert response.status_code == 404, (username, url)
        assert CASE_NUMBER not in response.content.decode()


@pytest.mark.parametrize("name", sorted(READING_ROUTES))
def test_the_refused_pages_serve_the_cases_own_agency(
    market_case: Case, login: Login, name: str
) -> None:
    """The control of the tests above: the same URLs answer the case's own staff."""
    url = case_urls(market_case)[name]
    response = login(OWN_USER.get(name, "market.handler")).get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)


def test_a_supervisor_of_the_agency_reads_and_is_logged_as_allowed(
    market_case: Case, login: Login
) -> None:
    url = case_urls(market_case)["approval_step"]
    response = login("supervisor").get(url)
    assert response.status_code == 200
    assert OPINION in response.content.decode()
    entries = wiring.ledger().entries(MARKET, case_number=CASE_NUMBER, types=("access",))
    last = [entry.data()["access"] for entry in entries][-1]
    assert (last["user"], last["outcome"], last["target"]) == (
        "supervisor",
        "allowed",
        market_case.record_id,
    )


# The 责令限期整改 pages are not case routes (no pk): an order belongs to an agency, maybe to no
# case. Their isolation — a handler, a supervisor of another agency, another agency's head
# refused (403, logged in the order's agency, nothing stored) — is tested in
# test_rectification_orders.py; a new route here must be added there and to this list.
ORDER_ROUTES = {
    "order_list": "lists only the orders of the agencies the user supervises or heads",
    "order_new": "only a supervisor of the agency issues (refused: 403, logged)",
    "order_detail": "only the agency's supervisors and head read (refused: 403, logged)",
    "order_answer": "only the agency's head answers, once (refused: 403, logged)",
    "order_evidence": "as order_detail, and only a file the answer names",
}


# The 案卷评查 pages are not case routes either (the scoring page names the case by its index
# row, ``case_pk``, within a sampling): a review belongs to the supervisor's log. Their isolation
# — a supervisor of another agency, another agency's head, an officer refused (403, logged in the
# reviewed agency, nothing stored); the agency's head read-only — is tested in
# test_case_review.py; a new route here must be added there and to this list.
REVIEW_ROUTES = {
    "review_list": "lists only the reviews of the agencies the user supervises or heads",
    "review_sample": "only a supervisor of the agency samples (refused: 403, logged)",
    "review_sampling": "only the agency's supervisors and head read (refused: 403, logged)",
    "review_score": "only a supervisor of the agency scores a case it sampled (403, logged)",
    "review_detail": "only the agency's supervisors and head read (refused: 403, logged)",
}


def test_the_review_routes_of_the_url_map_are_the_ones_listed() -> None:
    names = {
        p.name
        for p in urls.urlpatterns
        if isinstance(p, URLPattern) and str(p.pattern).startswith("supervision/reviews")
    }
    assert names == set(REVIEW_ROUTES)


def test_the_order_routes_of_the_url_map_are_the_ones_listed() -> None:
    names = {
        p.name
        for p in urls.urlpatterns
        if isinstance(p, URLPattern) and str(p.pattern).startswith("supervision/orders")
    }
    assert names == set(ORDER_ROUTES)
