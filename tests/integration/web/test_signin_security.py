"""Sign-in at 等保 2.0 level 3 (issue #13 item 2): lockout, access log, password policy, TOTP,
idle timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from lawtrail.web import wiring
from lawtrail.web.models import PasswordHistory, User

pytestmark = pytest.mark.django_db

DEMO = "lawtrail-demo"
HANDLER, AGENCY = "market.handler", "tonghua-market"
HEAD = "market.head"


def events(agency: str = AGENCY) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(agency, types=("access",))
    return [{**e.data()["access"], "case_number": e.case_number} for e in entries]


def actions(agency: str = AGENCY) -> list[str]:
    return [e["action"] for e in events(agency)]


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_a_login_and_a_logout_are_logged_in_the_agency_ledger(demo_users: Any) -> None:
    client = Client()
    response = sign_in(client, HANDLER, DEMO)
    assert response.status_code == 302
    assert client.get("/inbox/").status_code == 200
    assert client.post("/logout/").status_code == 302
    logged = [e for e in events() if e["action"] in ("login", "logout")]
    assert [(e["action"], e["user"], e["outcome"], e["case_number"]) for e in logged] == [
        ("login", HANDLER, "allowed", ""),
        ("logout", HANDLER, "allowed", ""),
    ]
    assert client.get("/inbox/").status_code == 302  # signed out


def test_five_failures_lock_the_account_even_with_the_right_password(demo_users: Any) -> None:
    client = Client()
    for attempt in range(4):
        response = sign_in(client, HANDLER, f"wrong-{attempt}")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    fifth = sign_in(client, HANDLER, "wrong-4")
    assert fifth.status_code == 429
    right = sign_in(client, HANDLER, DEMO)
    assert right.status_code == 429
    page = right.content.decode()
    assert "登录已暂时锁定" in page and "请于" in page and "之后再试" in page
    assert int(right["Retry-After"]) == 15 * 60
    assert client.get("/inbox/").status_code == 302  # not signed in

    logged = actions()
    assert logged.count("login_failed") == 5
    assert logged.count("login_locked") == 2  # the lock starts, then the refused attempt
    assert "login" not in logged
    assert {e["outcome"] for e in events() if e["action"].startswith("login_")} == {"denied"}
    assert AccessAttempt.objects.filter(username=HANDLER).exists()

    # Another address is not locked (username + address), and after the cool-off it works.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(other, HANDLER, DEMO).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert sign_in(Client(), HANDLER, DEMO).status_code == 302


def test_failures_of_unknown_users_stay_in_the_axes_tables(demo_users: Any) -> None:
    sizes = {a: wiring.ledger().size(a) for a in (AGENCY,)}
    assert sign_in(Client(), "nobody", "whatever-1").status_code == 200
    assert sign_in(Client(), "admin", "whatever-1").status_code == 200  # no agency
    assert set(AccessFailureLog.objects.values_list("username", flat=True)) == {"nobody", "admin"}
    assert {a: wiring.ledger().size(a) for a in (AGENCY,)} == sizes


def test_the_password_change_page_applies_the_policy_in_chinese(demo_users: Any) -> None:
    client = Client()
    assert sign_in(client, HANDLER, DEMO).status_code == 302
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()

    def change(old: str, new: str) -> Any:
        return client.post(
            "/account/password/",
            {"old_password": old, "new_password1": new, "new_password2": new},
        )

    short = change(DEMO, "Ab1!").content.decode()
    assert "密码太短：至少 10 个字符" in short
    simple = change(DEMO, "abcdefghijkmnop").content.decode()
    assert "密码须至少包含大写字母、小写字母、数字、符号中的 3 类" in simple
    assert change("wrong", "Zhifa-2026-Secure").status_code == 200

    done = change(DEMO, "Zhifa-2026-Secure")
    assert done.status_code == 302
    assert "password_changed" in actions()
    assert PasswordHistory.objects.filter(user__username=HANDLER).count() == 2

    # Not one of the last five: back to the one in use, or the one before.
    again = change("Zhifa-2026-Secure", "Zhifa-2026-Secure").content.decode()
    assert "不能使用最近 5 次用过的密码" in again
    assert change("Zhifa-2026-Secure", "Second-Pass-77").status_code == 302
    assert (
        "不能使用最近 5 次用过的密码"
        in change("Second-Pass-77", "Zhifa-2026-Secure").content.decode()
    )
    assert actions().count("password_changed") == 2


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


@override_settings(LAWTRAIL_REQUIRE_2FA_ROLES=["approver", "supervisor", "admin"])
def test_an_approver_must_enrol_then_log_in_with_a_code(demo_users: Any) -> None:
    assert "approver" in User.objects.get(username=HEAD).roles
    client = Client()
    response = sign_in(client, HEAD, DEMO)
    assert response.status_code == 302 and response["Location"] == "/account/otp/"
    # Nothing else until enrolled.
    assert client.get("/cases/").url == "/account/otp/"
    assert client.get("/api/me").status_code == 403
    page = client.get("/account/otp/").content.decode()
    assert "<svg" in page and "确认绑定" in page
    device = TOTPDevice.objects.get(user__username=HEAD)
    assert not device.confirmed
    assert "动态验证码不正确" in client.post("/account/otp/", {"code": "000000"}).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # after the throttle
        device.refresh_from_db()
        assert client.post("/account/otp/", {"code": code_for(device)}).status_code == 302
    assert client.get("/cases/").status_code == 200
    assert "otp_enrolled" in actions()
    client.post("/logout/")

    # With a device: the password alone does not sign in, a wrong code is refused.
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        client = Client()
        response = sign_in(client, HEAD, DEMO)
        assert response["Location"] == "/login/otp/"
        assert client.get("/cases/").status_code == 302
        wrong = client.post("/login/otp/", {"code": "123456"})
        assert "动态验证码不正确" in wrong.content.decode()
        assert client.get("/cases/").status_code == 302
        assert "otp_failed" in actions()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        device.refresh_from_db()
        response = client.post("/login/otp/", {"code": code_for(device)})
        assert response.status_code == 302
        assert client.get("/cases/").status_code == 200
    assert actions().count("login") == 2


def test_a_user_with_a_device_signed_in_without_a_code_is_sent_back(demo_users: Any) -> None:
    user = User.objects.get(username=HANDLER)
    TOTPDevice.objects.create(user=user, name="x", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.get("/inbox/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_idle_session_is_signed_out_and_logged(demo_users: Any) -> None:
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert sign_in(client, HANDLER, DEMO).status_code == 302
        clock.shift(timedelta(minutes=20))
        assert client.get("/inbox/").status_code == 200  # activity refreshes the clock
        clock.shift(timedelta(minutes=20))
        assert client.get("/inbox/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/inbox/")
        assert response.status_code == 302 and response.url.startswith("/login/")
        assert client.get("/inbox/").status_code == 302
    logouts = [e for e in events() if e["action"] == "logout"]
    assert [e["target"] for e in logouts] == ["idle"]


def test_the_admin_login_page_is_the_one_sign_in(demo_users: Any) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
