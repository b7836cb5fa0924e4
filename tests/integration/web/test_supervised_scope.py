"""The supervisor's scope is data (issue #14 item 5): ``User.supervised_agencies`` — one supervisor
may oversee several agencies, and sees exactly those on every supervision surface; an agency
head (批准人) sees only their own agency; nobody else sees any of it.

Each surface is asked for the agencies in scope and for one outside it, so a new page that
forgets the scope shows up here: the names of the agencies out of scope must not appear, and
asking for one of them is refused (403, or an error said in the page) — never answered.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from lawtrail.web.models import Agency, CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
IN_SCOPE = ("tonghua-market", "luanchuan-stats")
OUT = "tonghua-postal"


@pytest.fixture
def narrowed(demo_cases: None) -> dict[str, str]:
    """The demo supervisor, narrowed to two of the five agencies (edited as reference data)."""
    supervisor = User.objects.get(username="supervisor")
    supervisor.supervised_agencies.set(Agency.objects.filter(code__in=IN_SCOPE))
    return dict(Agency.objects.values_list("code", "name"))


def _out_names(names: dict[str, str]) -> list[str]:
    return [name for code, name in names.items() if code not in IN_SCOPE]


def test_a_supervisor_reads_the_cases_of_the_supervised_agencies_only(
    narrowed: dict[str, str], login: Login
) -> None:
    client = login("supervisor")
    assert {c.agency_id for c in CaseIndex.objects.all()} >= {*IN_SCOPE, OUT}
    html = client.get("/cases/").content.decode()
    for case in CaseIndex.objects.all():
        assert (case.case_number in html) == (case.agency_id in IN_SCOPE), case.case_number
    listed = client.get("/api/cases").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert {item["agency"] for item in items} == set(IN_SCOPE)
    me = client.get("/api/me").json()
    assert set(me["readable_agencies"]) == set(IN_SCOPE)
    outside = CaseIndex.objects.filter(agency_id=OUT).first()
    assert outside is not None
    assert client.get(f"/cases/{outside.pk}/").status_code == 403
    inside = CaseIndex.objects.filter(agency_id=IN_SCOPE[0]).first()
    assert inside is not None and client.get(f"/cases/{inside.pk}/").status_code == 200


def test_the_supervision_pages_show_the_supervised_agencies_only(
    narrowed: dict[str, str], login: Login
) -> None:
    client = login("supervisor")
    for url in (
        "/supervision/dashboard/",
        "/supervision/witness/",
        "/supervision/orders/",
        "/supervision/access/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        # (the witness page names no agency while no witness is configured, as here)
        assert url.endswith("/witness/") or narrowed[IN_SCOPE[0]] in html, url
        for name in _out_names(narrowed):
            assert name not in html, (url, name)
    # Asking for an agency outside the scope by name is refused, not answered.
    dashboard = client.get("/supervision/dashboard/", {"agency": OUT}).content.decode()
    assert "不在您可查看的范围内" in dashboard and narrowed[OUT] not in dashboard
    access = client.get("/supervision/access/", {"agency": OUT}).content.decode()
    assert "只能查看您所监督机关的查阅记录" in access
    outside = CaseIndex.objects.filter(agency_id=OUT).first()
    assert outside is not None
    assert client.get("/supervision/orders/new/", {"case": outside.pk}).status_code == 403
    # the 评议考核 report: each supervised agency's, not another's (page, downloads, API)
    report = client.get("/supervision/report/", {"agency": IN_SCOPE[0]})
    assert report.status_code == 200 and narrowed[IN_SCOPE[0]] in report.content.decode()
    for params in ({}, {"format": "xlsx"}, {"format": "pdf"}):
        refused = client.get("/supervision/report/", {"agency": OUT, **params})
        assert refused.status_code == 403, params
    assert client.get("/api/report", {"agency": OUT}).status_code == 403
    assert client.get("/api/report", {"agency": IN_SCOPE[1]}).status_code == 200


def test_widening_the_scope_is_a_change_of_data_not_of_code(
    narrowed: dict[str, str], login: Login
) -> None:
    supervisor = User.objects.get(username="supervisor")
    supervisor.supervised_agencies.add(Agency.objects.get(code=OUT))
    client = login("supervisor")
    html = client.get("/supervision/dashboard/").content.decode()
    assert narrowed[OUT] in html
    outside = CaseIndex.objects.filter(agency_id=OUT).first()
    assert outside is not None and client.get(f"/cases/{outside.pk}/").status_code == 200


def test_an_agency_head_sees_only_their_own_agency(demo_cases: None, login: Login) -> None:
    names = dict(Agency.objects.values_list("code", "name"))
    client = login("market.head")
    for url in ("/supervision/dashboard/", "/supervision/witness/", "/supervision/orders/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert url.endswith("/witness/") or names["tonghua-market"] in html, url
        for code, name in names.items():
            if code != "tonghua-market":
                assert name not in html, (url, name)


@pytest.mark.parametrize("username", ["market.handler", "market.archivist", "admin"])
def test_nobody_else_sees_a_supervision_page(demo_cases: None, login: Login, username: str) -> None:
    client = login(username)
    for url in ("/supervision/dashboard/", "/supervision/witness/", "/supervision/access/"):
        assert client.get(url).status_code == 403, (username, url)
