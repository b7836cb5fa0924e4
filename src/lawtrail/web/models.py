"""The Django shell's tables: agencies, users with roles, API tokens, and the case index.

The ledger (tables ``ledger_*``, created by migration 0002 and written only through
:mod:`lawtrail.services`) is the store of record. :class:`CaseIndex` is a projection of it for
lists and inboxes — rewritten by :mod:`lawtrail.web.actions` in the same transaction as every
ledger write, and rebuildable from the ledger (``lawtrail manage reindex``). Nothing a user
records lives only here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from lawtrail.core.case_numbers import CaseNumberPattern, PatternError
from lawtrail.core.model import Person
from lawtrail.core.record_kinds import PROCEDURES, STAFF_ROLES
from lawtrail.web.roles import ROLE_LABELS, SUPERVISOR


def validate_case_number_patterns(value: Any) -> None:
    """{procedure: pattern}: each pattern numbers cases (lawtrail.core.case_numbers)."""
    if not isinstance(value, dict) or any(k not in PROCEDURES for k in value):
        raise ValidationError(
            f"案号格式应为 程序 → 格式 的对应，程序为：{'、'.join(PROCEDURES)}"
            '，例如 {"general": "通市监罚〔{year}〕{n}号"}'
        )
    for text in value.values():
        try:
            CaseNumberPattern(str(text))
        except PatternError as exc:
            raise ValidationError(str(exc)) from exc


class Agency(models.Model):
    code = models.SlugField("机关代码", primary_key=True, max_length=64)
    name = models.CharField("机关名称", max_length=200)
    regulation = models.CharField("适用制度文件", max_length=200)
    # The agency's 案号 per procedure ("general", "simplified"): a new case's number is offered
    # from it (lawtrail.web.case_numbers); empty: typed by hand.
    case_number_patterns = models.JSONField(
        "案号格式",
        default=dict,
        blank=True,
        validators=[validate_case_number_patterns],
        help_text="按程序设置：{year} 为年度，{n} 为序号，"
        '如 {"general": "通市监罚〔{year}〕{n}号"}',
    )

    class Meta:
        verbose_name = verbose_name_plural = "执法机关"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


def validate_roles(value: Any) -> None:
    if not isinstance(value, list) or any(r not in ROLE_LABELS for r in value):
        raise ValidationError(f"角色应为以下代码的列表：{'、'.join(ROLE_LABELS)}")


class User(AbstractUser):
    name = models.CharField("姓名", max_length=100)
    title = models.CharField("职务", max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name="所属机关", null=True, blank=True, on_delete=models.PROTECT
    )
    roles = models.JSONField("角色", default=list, blank=True, validators=[validate_roles])
    certificate_number = models.CharField("执法证件编号", max_length=64, blank=True)
    certificate_valid_from = models.DateField("证件有效期起", null=True, blank=True)
    certificate_valid_until = models.DateField("证件有效期至", null=True, blank=True)
    supervised_agencies = models.ManyToManyField(
        Agency, verbose_name="监督的机关", blank=True, related_name="supervisors"
    )

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return f"{self.name or self.username}（{self.username}）"

    @property
    def display_name(self) -> str:
        return self.name or self.username

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[r] for r in self.roles if r in ROLE_LABELS]

    def readable_agencies(self) -> set[str]:
        """Agencies whose cases this user may read: its own, plus the supervised ones."""
        codes = {self.agency_id} if self.agency_id else set()
        if SUPERVISOR in self.roles:
            codes |= set(self.supervised_agencies.values_list("code", flat=True))
        return codes

    def as_person(self) -> Person:
        """This user as a person of a case (the case file keeps a copy of these details)."""
        return Person(
            id=self.username,
            name=self.display_name,
            title=self.title,
            certificate_number=self.certificate_number,
            certificate_valid_from=self.certificate_valid_from,
            certificate_valid_until=self.certificate_valid_until,
            # The staff roles travel with the person, so the rules can tell the designated
            # archivist (000 art. 32 …) from anyone else named in that field.
            roles=tuple(role for role in self.roles if role in STAFF_ROLES),
        )

    def certificate_valid_on(self, day: date) -> bool:
        return self.as_person().certificate_valid_on(day)


TOKEN_SCOPES = {"read": "只读（仅查询与下载）", "write": "读写（可开案、记录、上传）"}
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 365
# last_used_at is written at most this often per token, not on every request.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _default_token_expiry() -> datetime:
    return timezone.now() + timedelta(days=TOKEN_DEFAULT_DAYS)


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 is stored.

    A token has a scope (``read``: GET only; ``write``: everything its user may do), expires
    (90 days by default, at most 365) and can be revoked by its owner (「我的接口令牌」) or an
    administrator (admin action); an expired or revoked token is answered 401.
    """

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE)
    label = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    scope = models.CharField(
        "权限范围", max_length=10, choices=list(TOKEN_SCOPES.items()), default="write"
    )
    expires_at = models.DateTimeField("有效期至", default=_default_token_expiry)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label}（{self.prefix}…）"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, label: str, *, scope: str = "write", days: int = TOKEN_DEFAULT_DAYS
    ) -> tuple[ApiToken, str]:
        if scope not in TOKEN_SCOPES:
            raise ValueError(f"未知的令牌权限范围：{scope}")
        if not 1 <= days <= TOKEN_MAX_DAYS:
            raise ValueError(f"令牌有效期应为 1 至 {TOKEN_MAX_DAYS} 天")
        key = "lt_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            label=label,
            prefix=key[:10],
            key_hash=cls.hash(key),
            scope=scope,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, key

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def status_label(self) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if timezone.now() >= self.expires_at:
            return "已过期"
        return "有效"

    def touch(self, now: datetime) -> None:
        """Record a use, at most once per :data:`TOKEN_LAST_USED_RESOLUTION`."""
        if self.last_used_at is None or now - self.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self, now: datetime | None = None) -> bool:
        """Revoke the token; False if it was already revoked."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now or timezone.now()
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=self.revoked_at
        )
        return True


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, so that one cannot be set again
    (:class:`lawtrail.web.passwords.PasswordHistoryValidator`)."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField("密码摘要", max_length=128)
    changed_at = models.DateTimeField("设置时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "历史密码"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:  # the admin's title of a row (Django's is "PasswordHistory object")
        return f"{self.user}于{timezone.localtime(self.changed_at):%Y-%m-%d %H:%M}设置的密码"


class CaseIndex(models.Model):
    """One case as a row, for lists and inboxes (a projection of the ledger, see module doc)."""

    agency = models.ForeignKey(Agency, verbose_name="执法机关", on_delete=models.PROTECT)
    case_number = models.CharField("案号", max_length=100)
    title = models.CharField("案由", max_length=300, blank=True)
    origin = models.CharField("启动方式", max_length=20)
    procedure = models.CharField("程序", max_length=20)
    acts = models.JSONField("行政执法行为", default=list)
    major = models.BooleanField("重大行政执法决定", default=False)
    opened_at = models.DateTimeField("立案时间")
    handler = models.ForeignKey(
        User, verbose_name="承办人", null=True, blank=True, on_delete=models.SET_NULL
    )
    stage = models.CharField("当前阶段", max_length=20, blank=True)
    records = models.PositiveIntegerField("记录数", default=0)
    violations = models.PositiveIntegerField("违规项", default=0)
    warnings = models.PositiveIntegerField("提示项", default=0)
    closed = models.BooleanField("已终结", default=False)
    archived = models.BooleanField("已归档", default=False)
    next_due = models.DateTimeField("最近期限", null=True, blank=True)
    # What waits for whom: [{"role", "title", "due", "article", "record"}] (lawtrail.web.inbox)
    pending = models.JSONField("待办", default=list)
    # For the dashboard (lawtrail.web.dashboard), rebuilt and checked like the columns above.
    opened_month = models.CharField("立案月份", max_length=7, blank=True)  # YYYY-MM, Beijing
    closed_at = models.DateTimeField("终结时间", null=True, blank=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    archive_lag = models.IntegerField("终结至归档（秒）", null=True, blank=True)
    av_required = models.PositiveIntegerField("应音像记录的行为", default=0)
    av_covered = models.PositiveIntegerField("已音像记录的行为", default=0)
    av_late = models.PositiveIntegerField("音像未按时存储", default=0)
    archive_due = models.DateTimeField("归档期限", null=True, blank=True)
    archive_late = models.BooleanField("归档逾期", default=False)
    approvals_pending = models.PositiveIntegerField("待审批", default=0)
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = verbose_name_plural = "案件索引"
        ordering = ["-opened_at", "case_number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "case_number"], name="case_number_unique")
        ]
        indexes = [
            models.Index(fields=["agency", "-opened_at"]),
            models.Index(fields=["agency", "closed_at"], name="caseindex_closed"),
            models.Index(fields=["agency", "archived_at"], name="caseindex_archived"),
            # Covering the dashboard's pass over a period (lawtrail.web.dashboard.figures): the
            # rows hold JSON (acts, pending), an index-only scan does not read them.
            models.Index(
                fields=[
                    "opened_at",
                    "agency",
                    "opened_month",
                    "handler",
                    "violations",
                    "av_required",
                    "av_covered",
                    "av_late",
                    "archive_late",
                    "archived",
                    "archive_due",
                    "approvals_pending",
                ],
                name="caseindex_dashboard",
            ),
            # The finding rows' join to their case: by id, to the period and the handler.
            models.Index(
                fields=["id", "opened_at", "opened_month", "handler"], name="caseindex_case_period"
            ),
            # The cases falling due for archiving in the current month (the dashboard's 归档逾期
            # of whole months read the aggregates, lawtrail.web.aggregates, except these):
            # covering, an index-only scan of the month's deadlines.
            models.Index(
                fields=["archive_due", "agency", "archived", "archive_late", "opened_at"],
                name="caseindex_archive_due",
            ),
        ]

    def __str__(self) -> str:
        return self.case_number


class CaseFinding(models.Model):
    """One finding of a case's evaluation as of its index row's ``updated_at`` — rule, article,
    accountability category (问责情形) — for the dashboard's counts. A projection of the ledger
    written with the index row (``actions.project``) and checked with it (``CaseIndexCheck``)."""

    # No database constraint: the rows are rebuilt, never a source, and a row left without its
    # case (the index row deleted by hand) is what ``lawtrail verify`` reports, not a failure.
    case = models.ForeignKey(
        CaseIndex,
        verbose_name="案件",
        on_delete=models.CASCADE,
        related_name="findings",
        db_constraint=False,
    )
    agency = models.ForeignKey(Agency, verbose_name="执法机关", on_delete=models.PROTECT)
    rule = models.CharField("规则", max_length=100)
    regulation = models.CharField("办法", max_length=100)
    article = models.PositiveIntegerField("条")
    category = models.CharField("问责情形", max_length=20)
    severity = models.CharField("性质", max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = "案件发现项"
        indexes = [
            models.Index(
                fields=["severity", "case", "regulation", "article", "category"],
                name="casefinding_dashboard",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}（第{self.article}条）"


class _Aggregate(models.Model):
    """A row of the dashboard's maintained aggregates (:mod:`lawtrail.web.aggregates`): sums over
    the case index, kept with every index row written and rebuilt by ``reindex``. The keys are
    plain values, no foreign keys: the rows are derived and checked by ``lawtrail verify``."""

    agency = models.CharField("执法机关", max_length=64)
    month = models.CharField("月份", max_length=7)  # YYYY-MM, Beijing time

    class Meta:
        abstract = True


class OpenedAggregate(_Aggregate):
    """Cases opened in a month, by ``opened_month`` and handler."""

    opened_month = models.CharField("立案月份", max_length=7, blank=True)
    handler = models.IntegerField("承办人", default=0)  # the user's id; 0: none
    cases = models.IntegerField("立案数", default=0)
    with_violations = models.IntegerField("有违规", default=0)
    av_late = models.IntegerField("音像未按时存储", default=0)
    archive_late = models.IntegerField("归档逾期", default=0)
    approvals = models.IntegerField("待审批", default=0)
    av_gap = models.IntegerField("应音像记录而未记录", default=0)
    av_required = models.IntegerField("应音像记录的行为", default=0)
    av_covered = models.IntegerField("已音像记录的行为", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "立案统计"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "month", "opened_month", "handler"],
                name="openedaggregate_key",
            )
        ]


class ArchiveDueAggregate(_Aggregate):
    """Cases opened in a month, neither archived nor archived late, by the month their archive
    falls due (whether they are overdue is decided at request time)."""

    due_month = models.CharField("归档期限月份", max_length=7)
    pending = models.IntegerField("待归档", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "待归档统计"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "month", "due_month"], name="archivedueaggregate_key"
            )
        ]


class ClosureAggregate(_Aggregate):
    """Cases closed (by the month of ``closed_at``) and archived (of ``archived_at``)."""

    closed = models.IntegerField("终结数", default=0)
    archived = models.IntegerField("归档数", default=0)
    lag_n = models.IntegerField("有终结至归档时长的案件", default=0)
    lag_sum = models.BigIntegerField("终结至归档（秒）合计", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "终结与归档统计"
        constraints = [
            models.UniqueConstraint(fields=["agency", "month"], name="closureaggregate_key")
        ]


class ViolationAggregate(_Aggregate):
    """Violation findings of the cases opened in a month, by article, with their cases."""

    opened_month = models.CharField("立案月份", max_length=7, blank=True)
    regulation = models.CharField("办法", max_length=100)
    article = models.PositiveIntegerField("条")
    findings = models.IntegerField("违规项", default=0)
    cases = models.IntegerField("案件数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "违规条款统计"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "month", "opened_month", "regulation", "article"],
                name="violationaggregate_key",
            )
        ]


class CategoryAggregate(_Aggregate):
    """Violation findings of the cases opened in a month, by accountability category."""

    opened_month = models.CharField("立案月份", max_length=7, blank=True)
    handler = models.IntegerField("承办人", default=0)
    category = models.CharField("问责情形", max_length=20)
    findings = models.IntegerField("违规项", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "问责情形统计"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "month", "opened_month", "handler", "category"],
                name="categoryaggregate_key",
            )
        ]


class RectificationOrder(models.Model):
    """One 责令限期整改 order, as a row for lists and inboxes: a projection of the ledger's
    ``supervision`` entries (:mod:`lawtrail.supervision`), rebuilt by ``lawtrail manage reindex``
    and checked by ``lawtrail verify`` (:class:`lawtrail.web.projections.OrderIndexCheck`). Whether
    an open order is overdue is decided at request time from ``due``."""

    agency = models.ForeignKey(Agency, verbose_name="被责令机关", on_delete=models.PROTECT)
    order_id = models.CharField("整改编号", max_length=40)
    case_number = models.CharField("案号", max_length=100, blank=True)
    category = models.CharField("类别", max_length=20)
    due = models.DateField("整改期限")
    issued_by = models.CharField("责令人", max_length=150)
    issued_at = models.DateTimeField("责令时间")
    answered_by = models.CharField("答复人", max_length=150, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    order_seq = models.PositiveIntegerField("责令的账本序号")
    answer_seq = models.PositiveIntegerField("答复的账本序号", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "责令整改索引"
        ordering = ["-issued_at", "order_id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "order_id"], name="order_id_unique")
        ]
        indexes = [models.Index(fields=["agency", "answered_at", "due"])]

    def __str__(self) -> str:
        return self.order_id


class AccessIndex(models.Model):
    """One ``access`` entry of an agency's log (a view, a download, a refused attempt), as a row
    for the supervisors' access log page (:mod:`lawtrail.web.access_index`): the page picks its
    rows here — filters, order and paging in SQL — and shows the entries it then reads from the
    ledger, never these columns. A projection: written in the transaction of its entry, rebuilt
    by ``lawtrail manage reindex``, checked by ``lawtrail verify`` (``AccessIndexCheck``)."""

    # No database constraint: a row is rebuilt, never a source (and an access entry must be
    # appendable to any agency's log, whatever the agency table holds).
    agency = models.ForeignKey(
        Agency,
        verbose_name="账本所属机关",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the indexes below all begin with it
    )
    seq = models.BigIntegerField("账本序号")
    recorded_at = models.DateTimeField("记录时间")
    # Text, not bounded: the values are whatever the hashed entry holds (a CLI export names any
    # operating-system account), and an over-long value must never refuse the access entry.
    case_number = models.TextField("案号", blank=True)
    username = models.TextField("用户名", blank=True)
    name = models.TextField("姓名", blank=True)
    outcome = models.CharField("结果", max_length=20, blank=True)
    leaf_hash = models.CharField("叶哈希", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "查阅记录索引"
        ordering = ["-recorded_at", "agency", "-seq"]
        constraints = [models.UniqueConstraint(fields=["agency", "seq"], name="access_index_entry")]
        # Per log, the page's order (newest first) behind each filter: the page reads each
        # supervised log's first rows as one index range and merges them (views.supervision),
        # so a page costs the same whatever the number of entries — the database never sorts.
        indexes = [
            models.Index(fields=["agency", "-recorded_at", "-seq"], name="access_index_time"),
            models.Index(
                fields=["agency", "username", "-recorded_at", "-seq"], name="access_index_user"
            ),
            models.Index(
                fields=["agency", "name", "-recorded_at", "-seq"], name="access_index_name"
            ),
            models.Index(
                fields=["agency", "outcome", "-recorded_at", "-seq"], name="access_index_outcome"
            ),
            models.Index(
                fields=["agency", "case_number", "-recorded_at", "-seq"], name="access_index_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} #{self.seq}"


class InboxTask(models.Model):
    """One task of a case's ``pending`` (:mod:`lawtrail.web.inbox`) as a row, so that the inbox
    and the navigation's counts are indexed queries for one person — not a read of every case's
    JSON (at 10,000 cases that read took 460 ms per inbox). A projection like the finding rows:
    rewritten with the case's index row (``actions.project``) and checked with it
    (``CaseIndexCheck``: the rows must be the row's ``pending``, which the check rebuilds from
    the ledger)."""

    case = models.ForeignKey(
        CaseIndex,
        verbose_name="案件",
        on_delete=models.CASCADE,
        related_name="tasks",
        db_constraint=False,  # rebuilt, never a source; an orphan is reported by verify
    )
    agency = models.ForeignKey(Agency, verbose_name="执法机关", on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField("序号")  # its place in the case's ``pending``
    role = models.CharField("应办理角色", max_length=20)
    kind = models.CharField("记录种类", max_length=64)
    title = models.TextField("事项")  # it may quote an approval's subject, of any length
    due = models.DateTimeField("期限", null=True, blank=True)
    article = models.PositiveIntegerField("条", null=True, blank=True)
    regulation = models.CharField("办法", max_length=200, blank=True)
    record = models.CharField("记录", max_length=100, blank=True)
    step = models.CharField("环节", max_length=64, blank=True)
    # The people who may not take it (earlier steps of the same approval), as ",a,b," — a text
    # column so that "not mine" is a portable LIKE on both databases (usernames hold no comma).
    not_by = models.TextField("不得办理的人", blank=True)
    # The case's handler, copied from its index row: the handler's tasks are routed to them, and
    # "what I wait for" is every other task of their cases.
    handler = models.ForeignKey(
        User,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = verbose_name_plural = "待办事项索引"
        ordering = ["case", "position"]
        indexes = [
            models.Index(fields=["agency", "role", "due"], name="inboxtask_role"),
            models.Index(fields=["handler", "due"], name="inboxtask_handler"),
            models.Index(fields=["agency", "due"], name="inboxtask_due"),
        ]

    def __str__(self) -> str:
        return self.title


class RecordDraft(models.Model):
    """A record being composed (草稿): the form's input kept on the server until its author
    submits it to the ledger — so a session that ends, a refused submit or a closed browser
    never loses typed work, and the rules' verdict is seen *before* the record becomes
    permanent (issue #15). A draft is not a record: it is not in the ledger, not evidence, and
    is shown only to its author and the case team (``lawtrail.web.drafts``). Once submitted it
    names the record it became and is kept read-only (``submitted_record``)."""

    case = models.ForeignKey(
        CaseIndex, verbose_name="案件", on_delete=models.CASCADE, related_name="drafts"
    )
    kind = models.CharField("记录种类", max_length=64)
    corrects = models.CharField("更正的记录", max_length=100, blank=True)
    author = models.ForeignKey(
        User, verbose_name="起草人", on_delete=models.PROTECT, related_name="drafts"
    )
    # The form's fields as posted (name → list of values), files excepted.
    data = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("起草时间")
    updated_at = models.DateTimeField("保存时间")
    submitted_record = models.CharField("提交后的记录", max_length=100, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    discarded_at = models.DateTimeField("放弃时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "记录草稿"
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["case", "submitted_at", "discarded_at"], name="draft_case"),
            models.Index(fields=["author", "submitted_at", "discarded_at"], name="draft_author"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} 草稿 {self.pk}"

    @property
    def open(self) -> bool:
        return self.submitted_at is None and self.discarded_at is None


class ReviewSampling(models.Model):
    """One 案卷评查 sampling (which closed cases of an agency and period were drawn), as a row for
    the review lists: a projection of the ``review`` entries of the supervisor's own log
    (:mod:`lawtrail.case_review`), rebuilt by ``lawtrail manage reindex`` and checked by
    ``lawtrail verify`` (:class:`lawtrail.web.review_index.ReviewIndexCheck`)."""

    agency = models.ForeignKey(Agency, verbose_name="被评查机关", on_delete=models.PROTECT)
    sampling_id = models.CharField("抽取编号", max_length=40, unique=True)
    period_from = models.DateField("期间起")
    period_to = models.DateField("期间止")
    period_label = models.CharField("期间", max_length=60)
    percent = models.PositiveSmallIntegerField("抽取比例（%）")
    population = models.PositiveIntegerField("已终结案件数")
    selected = models.JSONField("抽中的案件", default=list)
    sampled_by = models.CharField("抽取人", max_length=150)
    sampled_at = models.DateTimeField("抽取时间")
    seq = models.PositiveIntegerField("账本序号")

    class Meta:
        verbose_name = verbose_name_plural = "案卷抽取索引"
        ordering = ["-sampled_at", "sampling_id"]
        indexes = [models.Index(fields=["agency", "period_from", "period_to"])]

    def __str__(self) -> str:
        return self.sampling_id


class CaseReview(models.Model):
    """One 案卷评查 scoring sheet of a sampled case, as a row for the lists and the ranking (a
    projection like :class:`ReviewSampling`). A re-score is a new row; the one it replaced names
    it in ``superseded_by`` and no longer counts."""

    agency = models.ForeignKey(Agency, verbose_name="被评查机关", on_delete=models.PROTECT)
    sheet_id = models.CharField("评查表编号", max_length=40, unique=True)
    sampling_id = models.CharField("抽取编号", max_length=40)
    case_number = models.CharField("案号", max_length=100)
    total = models.SmallIntegerField("总分")
    grade = models.CharField("等级", max_length=10)
    vetoes = models.PositiveSmallIntegerField("一票否决项", default=0)
    reviewed_by = models.CharField("评查人", max_length=150)
    reviewed_at = models.DateTimeField("评查时间")
    judged_size = models.PositiveIntegerField("评查时机关日志大小")
    seq = models.PositiveIntegerField("账本序号")
    supersedes = models.CharField("取代的评查表", max_length=40, blank=True)
    superseded_by = models.CharField("被取代于", max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "案卷评查索引"
        ordering = ["-reviewed_at", "sheet_id"]
        indexes = [
            models.Index(fields=["sampling_id", "case_number"]),
            models.Index(fields=["agency", "superseded_by"]),
        ]

    def __str__(self) -> str:
        return self.sheet_id
