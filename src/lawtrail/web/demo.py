"""Demo data: users for every role in every agency, and the example cases imported into the
ledger. Idempotent: what exists already is left as it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from lawtrail import services
from lawtrail.core import review, timeutil
from lawtrail.core.caseio import parse_case
from lawtrail.web import actions, reviews, wiring
from lawtrail.web.models import Agency, CaseIndex, ReviewSampling, User
from lawtrail.web.roles import (
    ADMIN,
    APPROVER,
    ARCHIVIST,
    HANDLER,
    LEGAL,
    OFFICER,
    REVIEWER,
    SUPERVISOR,
)

DEMO_PASSWORD = "lawtrail-demo"
SHORT = {
    "tonghua-postal": "postal",
    "tonghua-gazetteer": "gazetteer",
    "tonghua-market": "market",
    "benxi-hrss": "hrss",
    "luanchuan-stats": "stats",
}


@dataclass(frozen=True)
class DemoUser:
    suffix: str
    name: str
    title: str
    roles: tuple[str, ...]
    certificate: bool = True
    expired: bool = False


STAFF = (
    DemoUser("handler", "刘建国", "执法人员（承办人）", (OFFICER, HANDLER)),
    DemoUser("officer", "陈晓燕", "执法人员", (OFFICER,)),
    DemoUser("reviewer", "王志刚", "执法机构负责人（审核人）", (OFFICER, REVIEWER)),
    DemoUser("head", "赵国栋", "分管负责人（批准人）", (APPROVER,), certificate=False),
    DemoUser("legal", "孙丽", "法制审核人员", (LEGAL,)),
    DemoUser("archivist", "周敏", "档案管理员", (ARCHIVIST,), certificate=False),
    DemoUser("expired", "李旧证", "执法人员（证件已过期）", (OFFICER,), expired=True),
)


def seed(examples: Path | None = None) -> list[tuple[str, str, str]]:
    """Create the demo users and import the examples; returns (username, name, what) rows."""
    accounts: list[tuple[str, str, str]] = []
    for number, (code, short) in enumerate(SHORT.items(), start=1):
        agency = Agency.objects.get(code=code)
        for position, member in enumerate(STAFF, start=1):
            username = f"{short}.{member.suffix}"
            cert = f"2205{number:02d}{position:05d}" if member.certificate else ""
            _user(
                username,
                member.name,
                member.title,
                list(member.roles),
                agency,
                certificate_number=cert,
                certificate_valid_from=date(2024, 1, 1) if cert else None,
                certificate_valid_until=(
                    date(2025, 12, 31) if member.expired else date(2029, 12, 31)
                )
                if cert
                else None,
            )
            roles = "、".join(User.objects.get(username=username).role_labels)
            accounts.append((username, member.name, f"{agency.name} {roles}"))
    supervisor = _user("supervisor", "吴监督", "依法治市办 执法监督科", [SUPERVISOR], None)
    supervisor.supervised_agencies.set(Agency.objects.all())
    accounts.append(("supervisor", "吴监督", "依法治市办 监督人员（五个机关）"))
    admin = _user("admin", "系统管理员", "信息中心", [ADMIN], None)
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    accounts.append(("admin", "系统管理员", "系统管理（/admin/）"))
    if examples is not None:
        import_examples(examples)
        seed_review(supervisor)
    return accounts


def _user(
    username: str,
    name: str,
    title: str,
    roles: list[str],
    agency: Agency | None,
    **extra: object,
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, name=name, title=title, roles=roles, agency=agency, **extra)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def import_examples(folder: Path) -> int:
    """Import every example case file not yet in the ledger; returns how many were imported."""
    ledger = wiring.ledger()
    imported = 0
    for path in sorted(folder.glob("*/*.json")):
        case = parse_case(json.loads(path.read_text(encoding="utf-8")))
        if CaseIndex.objects.filter(agency_id=case.agency, case_number=case.case_number).exists():
            continue
        handler = User.objects.filter(username=f"{SHORT[case.agency]}.handler").first()
        with transaction.atomic():
            services.do_import_case(ledger, case)
            actions.project(case.agency, case.case_number, handler=handler)
        imported += 1
    return imported


REVIEWED_AGENCY = "tonghua-market"


def seed_review(supervisor: User) -> None:
    """The supervisor's own log, and one 案卷评查 of the demo: a 10 % sampling of the market
    bureau's cases closed in the year of its latest closure, the first selected case scored
    (one manual deduction, with its reason). Skipped once any sampling exists.

    The log is created even when there is nothing to sample, so that `lawtrail witness init`
    (run after this by ./run.sh demo) pins its key with the agencies' keys."""
    wiring.ledger().ensure_log(reviews.log_name())
    if ReviewSampling.objects.exists():
        return
    latest = (
        CaseIndex.objects.filter(agency_id=REVIEWED_AGENCY, closed_at__isnull=False)
        .order_by("-closed_at")
        .first()
    )
    if latest is None or latest.closed_at is None:
        return
    year = timeutil.local(latest.closed_at).year
    period = reviews.period_of(date(year, 1, 1), date(year, 12, 31))
    sampling = reviews.do_sample(supervisor, REVIEWED_AGENCY, period, reviews.DEFAULT_PERCENT)
    sheet = review.load_sheet(REVIEWED_AGENCY)
    manual = {i.id: review.ManualScore(i.points) for i in sheet.manual_items}
    manual["documents.format"] = review.ManualScore(3, "部分文书未载明文号，用语不够规范")
    reviews.do_review(supervisor, sampling, sampling.selected[0], manual)
