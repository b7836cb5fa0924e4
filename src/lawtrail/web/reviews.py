"""The web shell's writers and readers of 案卷评查 (case file review, issue #14 item 2).

Who may (checked here; the services check the data, :mod:`lawtrail.case_review`):

- sample and score: a supervisor of the agency (``User.supervised_agencies``) — the 依法治市办
  supervises and inspects the recording work (001 art. 6) and counts it in the 评议考核 (000
  art. 35, 002 art. 36);
- read: the supervisors of the agency, and the agency's head (role 批准人), read-only — the head
  sees how the agency's cases were judged, not the other agencies' sheets.

Each write appends the entry to the supervisor's own log and rewrites the index rows in one
transaction. The population of a sampling is the case index's cases of the agency closed in the
period (:class:`~lawtrail.web.models.CaseIndex` ``closed_at``, Asia/Shanghai days) — the index
``lawtrail verify`` holds to the ledger.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import QuerySet

from lawtrail import case_review, config
from lawtrail.core import review
from lawtrail.web import wiring
from lawtrail.web.actions import PermissionDenied
from lawtrail.web.dashboard import Period
from lawtrail.web.models import Agency, CaseIndex, CaseReview, ReviewSampling, User
from lawtrail.web.orders import is_head, supervised
from lawtrail.web.review_index import review_values, sampling_values

DEFAULT_PERCENT = 10


# ---------------------------------------------------------------------------- who may


def can_review(user: User, agency: str) -> bool:
    return agency in supervised(user)


def can_read(user: User, agency: str) -> bool:
    return can_review(user, agency) or is_head(user, agency)


def readable(user: User) -> set[str]:
    """The agencies whose reviews the user may see."""
    agencies = supervised(user)
    if user.agency_id and is_head(user, user.agency_id):
        agencies.add(user.agency_id)
    return agencies


def require_review(user: User, agency: str) -> None:
    if not can_review(user, agency):
        raise PermissionDenied("只有该机关的监督人员可以抽取和评查案卷，本次尝试已记录")


def require_read(user: User, agency: str) -> None:
    if not can_read(user, agency):
        raise PermissionDenied("您无权查看该机关的案卷评查：只有监督人员和该机关负责人可以查看")


def log_name() -> str:
    return config.supervisor_log()


def check_log_name() -> None:
    """The supervisor's log must not be an agency's: its entries would be read as the agency's."""
    if Agency.objects.filter(code=log_name()).exists():
        raise PermissionDenied(
            f"监督机关日志名 {log_name()} 与一个执法机关的代码相同，请更改 LAWTRAIL_SUPERVISOR_LOG"
        )


# ---------------------------------------------------------------------------- the index


def _project(folded: case_review.Folded, ids: Iterable[str], sheets: Iterable[str]) -> None:
    for sampling_id in ids:
        ReviewSampling.objects.update_or_create(
            sampling_id=sampling_id, defaults=sampling_values(folded.samplings[sampling_id])
        )
    for sheet_id in sheets:
        CaseReview.objects.update_or_create(
            sheet_id=sheet_id, defaults=review_values(folded.reviews[sheet_id])
        )


def reindex_reviews() -> int:
    """Rebuild the whole review index from the supervisor's log (``lawtrail manage reindex``)."""
    folded = case_review.read(wiring.ledger(), log_name())
    _project(folded, folded.samplings, folded.reviews)
    ReviewSampling.objects.exclude(sampling_id__in=list(folded.samplings)).delete()
    CaseReview.objects.exclude(sheet_id__in=list(folded.reviews)).delete()
    return len(folded.samplings) + len(folded.reviews)


def period_of(start: date, end: date) -> Period:
    """A period with the label people use: a whole year or month by its name."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return Period(start, end, f"{start.year}年")
    last = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and (end.year, end.month, end.day) == (start.year, start.month, last):
        return Period(start, end, f"{start.year}年{start.month}月")
    return Period(start, end, f"{start.isoformat()} 至 {end.isoformat()}")


# ---------------------------------------------------------------------------- writing


def closed_cases(agency: str, period: Period) -> list[str]:
    """The agency's cases closed (执法行为终结) in the period, by the case index."""
    return sorted(
        CaseIndex.objects.filter(
            agency_id=agency, closed_at__gte=period.since, closed_at__lt=period.until
        ).values_list("case_number", flat=True)
    )


def do_sample(user: User, agency: str, period: Period, percent: int) -> case_review.Sampling:
    require_review(user, agency)
    check_log_name()
    with transaction.atomic():
        sampling = case_review.do_sample(
            wiring.ledger(),
            log_name(),
            agency=agency,
            period_from=period.start,
            period_to=period.end,
            period_label=period.label,
            percent=percent,
            population=closed_cases(agency, period),
            sampled_by=user.username,
        )
        ReviewSampling.objects.update_or_create(
            sampling_id=sampling.id, defaults=sampling_values(sampling)
        )
    return sampling


def do_review(
    user: User,
    sampling: case_review.Sampling,
    case_number: str,
    manual: Mapping[str, review.ManualScore],
    *,
    supersedes: str = "",
) -> case_review.Review:
    require_review(user, sampling.agency)
    check_log_name()
    with transaction.atomic():
        sheet = case_review.do_review(
            wiring.ledger(),
            log_name(),
            sampling_id=sampling.id,
            case_number=case_number,
            manual=manual,
            reviewed_by=user.username,
            supersedes=supersedes,
        )
        folded = case_review.read(wiring.ledger(), log_name())
        _project(folded, (), [sheet.id, *([supersedes] if supersedes else [])])
    return sheet


# ---------------------------------------------------------------------------- reading


def samplings_in(agencies: Iterable[str], period: Period) -> QuerySet[ReviewSampling]:
    """The samplings of these agencies whose period lies within ``period``."""
    return ReviewSampling.objects.filter(
        agency_id__in=list(agencies), period_from__gte=period.start, period_to__lte=period.end
    ).select_related("agency")


def current_reviews(sampling_ids: Iterable[str]) -> QuerySet[CaseReview]:
    return CaseReview.objects.filter(sampling_id__in=list(sampling_ids), superseded_by="")


@dataclass(frozen=True)
class Rank:
    agency: str
    name: str
    reviewed: int
    average: float | None
    grades: dict[str, int]
    vetoes: int  # reviewed cases with a veto hit

    @property
    def failed(self) -> int:
        return self.grades.get(review.FAILED, 0)


GRADE_ORDER = ("优秀", "合格", review.FAILED)


def ranking(agencies: Mapping[str, str], period: Period) -> list[Rank]:
    """The agencies by the average score of the period's reviewed cases (current sheets only),
    highest first; ties by fewer 不合格, then by code. Agencies without a reviewed case last."""
    sampling_ids = samplings_in(agencies, period).values_list("sampling_id", flat=True)
    rows: dict[str, list[CaseReview]] = {code: [] for code in agencies}
    for row in current_reviews(sampling_ids):
        rows.setdefault(row.agency_id, []).append(row)
    ranks = []
    for code, reviewed in rows.items():
        grades = {g: sum(1 for r in reviewed if r.grade == g) for g in GRADE_ORDER}
        average = round(sum(r.total for r in reviewed) / len(reviewed), 1) if reviewed else None
        ranks.append(
            Rank(
                code,
                agencies.get(code, code),
                len(reviewed),
                average,
                grades,
                sum(1 for r in reviewed if r.vetoes),
            )
        )
    ranks.sort(
        key=lambda r: (r.average is None, -(r.average or 0), r.failed, r.agency),
    )
    return ranks
