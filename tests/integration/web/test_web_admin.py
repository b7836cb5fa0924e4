"""The admin keeps reference data (agencies, users, roles, certificates) and cannot touch cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from lawtrail.web.models import CaseIndex, User

pytestmark = pytest.mark.django_db


def test_admin_creates_an_officer_with_roles_and_certificate(
    login: Callable[[str], Client],
) -> None:
    admin = login("admin")
    page = admin.get("/admin/lawtrail/user/add/")
    assert page.status_code == 200
    created = admin.post(
        "/admin/lawtrail/user/add/",
        {
            "username": "market.new",
            "password1": "x9-Long-Passw0rd",
            "password2": "x9-Long-Passw0rd",
        },
    )
    assert created.status_code == 302
    user = User.objects.get(username="market.new")
    form = {
        "username": "market.new",
        "name": "新同事",
        "title": "执法人员",
        "agency": "tonghua-market",
        "roles": ["officer", "handler"],
        "certificate_number": "22050099999",
        "certificate_valid_from": "2026-01-01",
        "certificate_valid_until": "2030-12-31",
        "is_active": "on",
        "date_joined_0": "2026-11-23",
        "date_joined_1": "10:00:00",
    }
    changed = admin.post(f"/admin/lawtrail/user/{user.pk}/change/", form)
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.roles == ["officer", "handler"]
    assert user.agency_id == "tonghua-market"


def test_admin_refuses_a_certificate_without_validity(login: Callable[[str], Client]) -> None:
    admin = login("admin")
    user = User.objects.get(username="market.officer")
    form = {
        "username": user.username,
        "name": user.name,
        "agency": "tonghua-market",
        "roles": ["officer"],
        "certificate_number": "22050099998",
        "is_active": "on",
        "date_joined_0": "2026-11-23",
        "date_joined_1": "10:00:00",
    }
    page = admin.post(f"/admin/lawtrail/user/{user.pk}/change/", form)
    assert page.status_code == 200
    assert "请填写执法证件的有效期" in page.content.decode()


def test_the_case_index_is_read_only_in_the_admin(
    demo_cases: None, login: Callable[[str], Client]
) -> None:
    admin = login("admin")
    case = CaseIndex.objects.first()
    assert case is not None
    assert admin.get("/admin/lawtrail/caseindex/").status_code == 200
    assert admin.get("/admin/lawtrail/caseindex/add/").status_code == 403
    deleted = admin.post(f"/admin/lawtrail/caseindex/{case.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert CaseIndex.objects.filter(pk=case.pk).exists()


def test_officers_cannot_open_the_admin(login: Callable[[str], Client]) -> None:
    response = login("market.handler").get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_names_stages_and_password_changes_in_chinese(
    demo_cases: None, login: Callable[[str], Client]
) -> None:
    from lawtrail.web.casepage import stage_label
    from lawtrail.web.models import PasswordHistory

    page = login("admin").get("/admin/lawtrail/caseindex/").content.decode()
    stages = set(CaseIndex.objects.exclude(stage="").values_list("stage", flat=True))
    assert stages
    for stage in stages:
        assert f'<td class="field-stage_label">{stage_label(stage)}</td>' in page
        assert stage_label(stage) != stage
    user = User.objects.get(username="market.handler")
    entry = PasswordHistory.objects.create(user=user, password="x")
    assert str(entry).endswith("设置的密码") and "object" not in str(entry)
