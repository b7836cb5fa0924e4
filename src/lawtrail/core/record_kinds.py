"""Record kinds: what each act of a case records, as data.

One definition per kind (DOMAIN.md §2). The web forms, the JSON Schema of the case file and
the rule packs are all derived from or checked against these definitions, so a field exists in
exactly one place.

Structural ``required`` fields are the minimum without which a record is not a record of its
kind (a service without a method, an enforcement without a type). Everything the regulations
demand beyond that (a lodging service's refusal reason, a decision's legal basis …) is optional
here and enforced by the rule packs, so that a missing item becomes a finding that cites its
article instead of a record the officer cannot save at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Stage(StrEnum):
    INITIATION = "initiation"
    INVESTIGATION = "investigation"
    DECISION = "decision"
    SERVICE = "service"
    ENFORCEMENT = "enforcement"
    CLOSURE = "closure"
    INTERNAL = "internal"


STAGE_LABELS: Mapping[Stage, str] = {
    Stage.INITIATION: "程序启动",
    Stage.INVESTIGATION: "调查取证",
    Stage.DECISION: "审查决定",
    Stage.SERVICE: "送达",
    Stage.ENFORCEMENT: "执行",
    Stage.CLOSURE: "归档管理",
    Stage.INTERNAL: "内部审批",
}


class FieldType(StrEnum):
    TEXT = "text"  # one line or a paragraph of text
    TEXT_LIST = "text_list"  # a list of lines (item lists, document lists)
    BOOL = "bool"
    INTEGER = "integer"
    AMOUNT = "amount"  # money in yuan, a decimal string such as "5000.00"
    DATE = "date"  # a calendar day, ISO "2026-10-09"
    DATETIME = "datetime"  # an aware instant, ISO with offset
    CHOICE = "choice"  # one of `choices`
    CHOICES = "choices"  # a subset of `choices`
    PERSON = "person"  # id of an agency person (case.people)
    PERSONS = "persons"
    PARTY = "party"  # id of a party (case.parties)
    RECORD = "record"  # id of another record of the same case


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # Chinese label shown in forms and reports
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)  # value -> Chinese label
    help: str = ""
    # Set by the system when it makes the record (the 案卷 volume's digest, the archiving's
    # ledger commitment), never typed into a form.
    system: bool = False


@dataclass(frozen=True)
class RoleAct:
    """A part of a record that is one person's own act in a role — a head's decision, a legal
    reviewer's opinion, an approval step: only a user holding ``role`` makes it, in their own
    name (``person``, which the system sets to the acting user), never the handler on their
    behalf. The handler drafts the rest of the record; the role completes its part from its
    inbox, as a correction of the draft (:mod:`lawtrail.core.role_acts`).

    The regulations' internal approval rules exist for exactly this — a decision recorded under
    a head's name that the head never made (000 art. 37, 001 art. 31, 002 art. 38, 003 art. 28;
    for the start approval 000 art. 7, 002 art. 8, 003 art. 6; party copies 000 art. 33, 002
    art. 34, 003 art. 26).
    """

    name: str  # id within the kind: "head", "review" …
    role: str  # a STAFF_ROLES key; "" = any member of staff, in their own name
    label: str  # Chinese: 负责人审批意见 …
    fields: tuple[str, ...] = ()  # the fields that record the act
    person: str = ""  # the PERSON field naming who acted: always the acting user
    time: str = ""  # a DATETIME field the system sets to the moment of the act
    where: str = "fields"  # "fields", or "av_exemption" (the record's exemption from AV)
    requires: tuple[str, ...] = ()  # acts of the same record that come first
    distinct: bool = False  # its person may not be the person of an act it requires
    task: bool = True  # an unmade act waits in the role's inbox (else only the role may make it)
    major_only: bool = False  # … only in a major case (重大行政执法决定)

    @property
    def names(self) -> tuple[str, ...]:
        """Every field the act writes."""
        return tuple(n for n in (*self.fields, self.person, self.time) if n)


@dataclass(frozen=True)
class RecordKind:
    id: str
    label: str
    stage: Stage
    fields: tuple[FieldSpec, ...] = ()
    # Investigation records name the officers present and whether they showed certificates
    # (000 art. 9, 001 art. 9, 002 art. 10, 003 art. 8).
    has_officers: bool = False
    # The parts of the record that are a role's own act (see RoleAct).
    role_acts: tuple[RoleAct, ...] = ()
    # A kind that is wholly one role's act: no one else records it at all, not even empty.
    recorded_by: str = ""

    def role_act(self, name: str) -> RoleAct:
        for act in self.role_acts:
            if act.name == name:
                return act
        raise KeyError(f"记录类型 {self.id} 没有角色行为 {name}")

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"记录类型 {self.id} 没有字段 {name}")

    def has_field(self, name: str) -> bool:
        return any(spec.name == name for spec in self.fields)


def _f(
    name: str,
    label: str,
    type: FieldType = FieldType.TEXT,
    *,
    required: bool = False,
    choices: Mapping[str, str] | None = None,
    help: str = "",
    system: bool = False,
) -> FieldSpec:
    return FieldSpec(name, label, type, required, dict(choices or {}), help, system)


T = FieldType
_COMMITMENT_HELP = (
    "归档时由系统根据账本计算（立案及变更的案件信息、记录、音像入库、文书，不含查阅记录），"
    "档案包核验据此发现被遗漏的条目"
)

RIGHTS = {
    "statement": "陈述",
    "defense": "申辩",
    "recusal": "申请回避",
    "hearing": "听证",
    "reconsideration": "申请行政复议",
    "litigation": "提起行政诉讼",
}

SERVICE_METHODS = {
    "direct": "直接送达",
    "mail": "邮寄送达",
    "lodging": "留置送达",
    "entrusted": "委托送达",
    "forwarded": "转交送达",
    "announcement": "公告送达",
    "electronic": "传真/电子邮件送达",
}

DOCUMENT_KINDS = {
    "decision": "行政执法决定书",
    "urge_notice": "催告书",
    "rights_notice": "权利告知书",
    "hearing_notice": "听证通知书",
    "hearing_right_notice": "听证告知书",
    "compulsory_decision": "行政强制措施决定书",
    "enforcement_decision": "强制执行决定书",
    "other": "其他文书",
}

ENFORCEMENT_METHODS = {
    "surcharge": "加处罚款或滞纳金",
    "transfer": "划拨存款、汇款",
    "auction": "拍卖或依法处理查封、扣押的场所、设施或财物",
    "remove_obstruction": "排除妨碍、恢复原状",
    "substitute": "代履行",
    "other": "其他强制执行方式",
}

# 行政处罚的种类 (行政处罚法 2021 第九条), as the intended penalty of a rights notice or draft.
PENALTY_KINDS = {
    "warning": "警告",
    "criticism": "通报批评",
    "fine": "罚款",
    "confiscate_income": "没收违法所得",
    "confiscate_property": "没收非法财物",
    "suspend_license": "暂扣许可证件",
    "downgrade": "降低资质等级",
    "revoke_license": "吊销许可证件",
    "limit_business": "限制开展生产经营活动",
    "suspend_business": "责令停产停业",
    "close": "责令关闭",
    "restrict_employment": "限制从业",
    "detention": "行政拘留",
    "other_serious": "其他较重的行政处罚",
    "other": "其他行政处罚",
}

# The penalties that carry a hearing right whatever their amount (行政处罚法 第六十三条 (三)–(五)),
# and those that carry it from the "较大数额" the agency's rule pack states ((一)、(二)).
HEARING_PENALTIES: frozenset[str] = frozenset(
    {
        "downgrade",
        "revoke_license",
        "suspend_business",
        "close",
        "restrict_employment",
        "other_serious",
    }
)
HEARING_AMOUNT_PENALTIES: frozenset[str] = frozenset(
    {"fine", "confiscate_income", "confiscate_property"}
)
# Fines the law lets an officer impose on the spot (行政处罚法 2021 第五十一条: 对公民处以二百元
# 以下、对法人或者其他组织处以三千元以下罚款): whatever a department sets as 较大数额, it is never
# this small, so such a fine carries no hearing right even where the pack does not know it.
SMALL_FINE_PERSON = Decimal("200")
SMALL_FINE_ORGANIZATION = Decimal("3000")

# What a decision does to the party. Only a decision that imposes an obligation or a burden
# leaves the party something to perform (履行), to be urged to (催告) or enforced, and gives the
# rights to be heard before it (陈述、申辩、听证); a licence granted or a favourable 确认 does not
# (行政许可法 第三十八条: reasons and remedies only for a refusal; 第四十七条: hearing only where
# major interests are involved). One definition for every pack: rules select burdensome
# decisions with ``where = { imposes_obligation = true }`` (see DERIVED_FIELDS).
DECISION_CATEGORIES = {
    "penalty": "行政处罚",
    # 行政处罚法 (2021) 第五十七条第一款第（二）项、第三十三条: 不予行政处罚 is a decision too.
    "no_penalty": "不予行政处罚",
    # 劳动保障监察条例 第十八条第一款第（二）项: 行政处理决定 of a 劳动保障监察 case.
    "handling": "行政处理",
    "compulsory": "行政强制",
    "rectification": "责令改正（限期改正）",
    "levy": "行政征收",
    "fee": "行政收费",
    "license_granted": "准予行政许可",
    "license_refused": "不予行政许可",
    "confirmation": "行政确认（确认申请事项）",
    "confirmation_refused": "不予确认",
    "inspection_result": "行政检查结论（未发现违法）",
    "other": "其他决定",
}
BURDENSOME_DECISIONS: frozenset[str] = frozenset(
    {"penalty", "compulsory", "rectification", "handling", "levy", "fee"}
)

# The document kind of a served record (service.document → service.document_kind).
DOCUMENT_KIND_OF_RECORD: Mapping[str, str] = {
    "decision": "decision",
    "urge_notice": "urge_notice",
    "rights_notice": "rights_notice",
    "hearing": "hearing_notice",
    "hearing_notice": "hearing_notice",
    "hearing_right_notice": "hearing_right_notice",
    "compulsory_measure": "compulsory_decision",
    "enforcement": "enforcement_decision",
}

COMPULSORY_MEASURES = {
    "seal": "查封场所、设施或财物",
    "seize": "扣押财物",
    "restrict_liberty": "限制公民人身自由",
    "freeze": "冻结存款、汇款",
}

# The staff roles (STAFF_ROLES below) that make a role act.
OFFICER_ROLE, HANDLER_ROLE, REVIEWER_ROLE = "officer", "handler", "reviewer"
APPROVER_ROLE, LEGAL_ROLE, ARCHIVIST_ROLE = "approver", "legal", "archivist"

_KINDS: tuple[RecordKind, ...] = (
    # ---- initiation 程序启动
    RecordKind(
        "application_registration",
        "申请登记",
        Stage.INITIATION,
        (
            _f("applicant", "申请人", T.PARTY),
            _f("matter", "申请事项"),
            _f(
                "application_mode",
                "申请方式",
                T.CHOICE,
                choices={"written": "书面", "oral": "口头"},
            ),
            _f(
                "outcome",
                "处理结果",
                T.CHOICE,
                required=True,
                choices={
                    "accepted": "受理",
                    "rejected": "不予受理",
                    "supplement_required": "一次性告知补正",
                },
            ),
            _f("rejection_reason", "不予受理理由"),
            _f("corrected_on_spot", "当场更正的错误"),
            _f("receipt_number", "书面凭证或回执编号"),
            _f("missing_materials", "一次性告知需补正的全部内容"),
        ),
    ),
    RecordKind(
        "initiation_approval",
        "程序启动审批表",
        Stage.INITIATION,
        (
            _f("reason", "启动原因"),
            _f("case_source", "案件来源"),
            _f("party_info", "当事人基本情况"),
            _f("case_summary", "基本案情"),
            _f("handler_opinion", "承办人意见"),
            _f("unit_opinion", "承办机构意见"),
            _f("head_opinion", "行政机关负责人意见"),
            _f("head", "批准负责人", T.PERSON),
            _f("legality_review_opinion", "法制机构合法性审查意见"),
            # The head's decision: acting on a refused or undecided form is acting unapproved.
            _f("approved", "是否批准", T.BOOL),
        ),
        role_acts=(
            # 承办人意见、承办机构意见和行政机关负责人意见 (000 art. 7, 002 art. 8): the
            # handling unit's opinion is its reviewer's (审核人), the head's the head's.
            RoleAct("unit", REVIEWER_ROLE, "承办机构审核意见", ("unit_opinion",)),
            # 法制机构合法性审查意见 of a major case (000 art. 7, 002 art. 8).
            RoleAct(
                "legality",
                LEGAL_ROLE,
                "法制机构合法性审查意见",
                ("legality_review_opinion",),
                major_only=True,
            ),
            RoleAct(
                "head", APPROVER_ROLE, "行政机关负责人审批", ("head_opinion", "approved"), "head"
            ),
        ),
    ),
    RecordKind(
        "emergency_start",
        "紧急先行启动",
        Stage.INITIATION,
        (
            _f("reason", "紧急情况说明"),
            _f("legal_basis", "先行启动的依据"),
        ),
    ),
    RecordKind(
        "complaint",
        "投诉举报",
        Stage.INITIATION,
        (
            _f("complainant", "投诉人、举报人"),
            _f("real_name", "实名投诉举报", T.BOOL),
            _f("content", "投诉举报内容"),
            _f("taken_up", "是否启动执法程序", T.BOOL),
            _f("review_opinion", "审查意见"),
        ),
    ),
    RecordKind(
        "complaint_reply",
        "告知投诉人、举报人",
        Stage.INITIATION,
        (
            _f("complaint", "所答复的投诉举报", T.RECORD),
            _f("reply_content", "告知内容"),
            _f("method", "告知方式"),
            _f("written_record", "书面记录"),
        ),
    ),
    # ---- investigation 调查取证
    RecordKind(
        "inquiry_record",
        "询问笔录",
        Stage.INVESTIGATION,
        (
            _f("interviewee", "被询问人"),
            _f(
                "interviewee_role",
                "被询问人身份",
                T.CHOICE,
                choices={"party": "当事人", "witness": "证人", "other": "其他"},
            ),
            _f("location", "询问地点"),
            _f("content", "询问内容"),
            _f("rights_notified", "告知的权利", T.CHOICES, choices=RIGHTS),
            _f("rights_notice_method", "权利告知方式"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "evidence_request",
        "调取证据通知书",
        Stage.INVESTIGATION,
        (
            _f("recipient", "被调取单位或个人"),
            _f("evidence_items", "调取的书证、物证", T.TEXT_LIST),
            _f("document_number", "文书编号"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "evidence_register",
        "证据登记保存清单",
        Stage.INVESTIGATION,
        (
            _f("items", "登记保存的证据", T.TEXT_LIST),
            _f("keeper", "保存地点或保管人"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "site_inspection",
        "现场检查(勘验)笔录",
        Stage.INVESTIGATION,
        (
            _f("location", "检查地点"),
            _f("findings", "检查情况"),
            _f("present_persons", "在场人员"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "sampling",
        "抽样取证",
        Stage.INVESTIGATION,
        (
            _f("notice_number", "抽查取样通知书编号"),
            _f("items", "抽样物品清单", T.TEXT_LIST),
            _f("location", "抽样地点"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "rights_notice",
        "权利告知书",
        Stage.INVESTIGATION,
        (
            _f("rights", "告知的权利", T.CHOICES, choices=RIGHTS),
            _f(
                "method",
                "告知方式",
                T.CHOICE,
                choices={
                    "written_notice": "制作告知书",
                    "in_record": "在笔录中告知",
                    "oral": "口头告知（简易程序）",
                },
            ),
            _f("document_number", "文书编号"),
            # Whether the hearing right must be notified depends on the intended penalty
            # (行政处罚法 第六十三条): its kinds and, for fines and confiscations, the amount.
            _f("penalty_kinds", "拟作出的行政处罚种类", T.CHOICES, choices=PENALTY_KINDS),
            _f("penalty_amount", "拟罚款或没收的数额（元）", T.AMOUNT),
            # 行政处罚法 (2021) 第四十四条: the party is told the content of the intended penalty
            # and its facts, reasons and basis before the decision.
            _f("proposed_penalty", "拟作出的行政处罚内容"),
            _f("facts", "拟认定的违法事实"),
            _f("reasons", "拟作出处罚的理由"),
            _f("legal_basis", "拟作出处罚的依据"),
        ),
    ),
    RecordKind(
        "statement_defense",
        "陈述申辩笔录",
        Stage.INVESTIGATION,
        (
            _f(
                "concerns",
                "针对",
                T.CHOICE,
                choices={"decision": "拟作出的决定", "urge_notice": "催告"},
            ),
            _f("waived", "放弃陈述申辩", T.BOOL),
            _f("waiver_form", "放弃方式", T.CHOICE, choices={"oral": "口头", "written": "书面"}),
            _f("content", "陈述申辩的事实、理由和证据"),
            _f("review_opinion", "复核及处理意见"),
            _f("adopted", "是否采纳", T.BOOL),
            _f("adoption_reason", "采纳或不采纳的理由"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "hearing",
        "听证",
        Stage.INVESTIGATION,
        (
            _f("notice_number", "听证通知书（公告）编号"),
            _f("notice_served_at", "听证通知送达时间", T.DATETIME),
            _f("presiding_officer", "听证主持人", T.PERSON),
            _f("transcript", "听证笔录"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "appraisal",
        "鉴定、检验",
        Stage.INVESTIGATION,
        (
            _f(
                "form",
                "文书",
                T.CHOICE,
                choices={
                    "appraisal_opinion": "鉴定意见书",
                    "commission": "检验（检测、检疫、鉴定、评审）委托书",
                },
            ),
            _f("institution", "鉴定或检验机构"),
            _f("subject", "鉴定、检验事项"),
            _f("opinion", "鉴定意见"),
        ),
    ),
    RecordKind(
        "evidence_preservation",
        "证据保全",
        Stage.INVESTIGATION,
        (
            _f("reason", "证据保全的启动理由"),
            _f("object", "证据保全的具体标的"),
            _f(
                "form",
                "证据保全的形式",
                T.CHOICES,
                choices={
                    "register_preservation": "先行登记保存证据法定文书",
                    "copy": "复制",
                    "av": "音像",
                    "appraisal": "鉴定",
                    "inspection": "勘验",
                    "inquiry_record": "制作询问笔录",
                },
            ),
        ),
        has_officers=True,
    ),
    RecordKind(
        "compulsory_measure",
        "行政强制措施",
        Stage.INVESTIGATION,
        (
            _f("measure", "强制措施", T.CHOICE, required=True, choices=COMPULSORY_MEASURES),
            _f("decision_number", "强制措施决定书编号"),
            # 行政强制法 第二十四条第二款 (二): 查封、扣押的理由、依据和期限.
            _f("reason", "实施的理由"),
            _f("legal_basis", "实施的依据"),
            _f("period_days", "期限（日）", T.INTEGER),
            _f("items", "查封（扣押）物品（财产）清单", T.TEXT_LIST),
            _f("site_record", "现场笔录"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "refusal",
        "拒绝接受调查或提供证据",
        Stage.INVESTIGATION,
        (
            _f("refusing_person", "拒绝人"),
            _f(
                "refused_act",
                "拒绝事项",
                T.CHOICE,
                choices={
                    "investigation": "拒绝接受调查",
                    "inspection": "拒绝接受行政检查",
                    "evidence": "拒绝提供证据",
                },
            ),
            _f("circumstances", "具体情况"),
        ),
        has_officers=True,
    ),
    # ---- decision 审查决定
    RecordKind(
        "decision_draft",
        "草拟行政执法决定",
        Stage.DECISION,
        (
            _f("drafter", "起草人（承办人）", T.PERSON),
            _f("unit_reviewer", "起草机构审查人", T.PERSON),
            _f("legal_basis", "决定形成的法律依据"),
            _f("evidence", "证据材料"),
            _f("factors", "应考虑的有关因素"),
            _f("penalty_kinds", "拟作出的行政处罚种类", T.CHOICES, choices=PENALTY_KINDS),
            _f("penalty_amount", "拟罚款或没收的数额（元）", T.AMOUNT),
        ),
        role_acts=(
            # The drafting unit's review of the draft (000 art. 15 …): its reviewer signs it off.
            RoleAct("unit_review", REVIEWER_ROLE, "起草机构审查", person="unit_reviewer"),
        ),
    ),
    RecordKind(
        "legal_review",
        "法制审核",
        Stage.DECISION,
        (
            _f("reviewer", "法制审核人员", T.PERSON),
            _f("opinion", "审查意见"),
            _f("suggestions", "审查建议"),
            _f(
                "form",
                "载体",
                T.CHOICE,
                choices={
                    "opinion_document": "法制审核意见书",
                    "on_approval_form": "在内部审批件上载明",
                },
            ),
            _f("passed", "审核是否通过", T.BOOL),
        ),
        role_acts=(
            RoleAct(
                "legal",
                LEGAL_ROLE,
                "法制审核",
                ("opinion", "suggestions", "form", "passed"),
                "reviewer",
                task=False,
            ),
        ),
        recorded_by=LEGAL_ROLE,
    ),
    RecordKind(
        "expert_argument",
        "专家论证",
        Stage.DECISION,
        (
            _f(
                "form",
                "文书",
                T.CHOICE,
                choices={"minutes": "专家论证会议纪要", "expert_opinion": "专家意见书"},
            ),
            _f("experts", "参加专家"),
            _f("content", "论证意见"),
        ),
    ),
    RecordKind(
        "collective_discussion",
        "集体讨论",
        Stage.DECISION,
        (
            _f(
                "form",
                "文书",
                T.CHOICE,
                choices={"discussion_record": "集体讨论记录", "minutes": "会议纪要"},
            ),
            _f("participants", "参加人员"),
            _f("minutes", "讨论情况"),
            _f("conclusion", "讨论结论"),
        ),
        role_acts=(
            # 行政机关负责人集体讨论 decides (行政处罚法 第五十七条): its conclusion is the heads'.
            RoleAct("conclusion", APPROVER_ROLE, "集体讨论结论", ("conclusion",)),
        ),
    ),
    RecordKind(
        "head_approval",
        "负责人审批",
        Stage.DECISION,
        (
            _f("head", "负责人", T.PERSON),
            _f("opinion", "负责人签署意见"),
            _f("approved", "负责人是否同意", T.BOOL),
        ),
        role_acts=(
            RoleAct(
                "head", APPROVER_ROLE, "负责人审批", ("opinion", "approved"), "head", task=False
            ),
        ),
        recorded_by=APPROVER_ROLE,
    ),
    RecordKind(
        "decision",
        "行政执法决定书",
        Stage.DECISION,
        (
            _f("document_number", "文号"),
            _f("decision_type", "决定类型"),
            _f("category", "决定种类", T.CHOICE, choices=DECISION_CATEGORIES),
            _f("facts", "认定的事实"),
            # 行政处罚法 (2021) 第五十九条第一款第（二）项: 违反法律、法规、规章的事实和证据.
            _f("evidence", "证据", T.TEXT_LIST),
            _f("reasons", "决定的理由"),
            _f("legal_basis", "法律依据"),
            _f("content", "决定内容"),
            _f("amount", "罚没金额（元）", T.AMOUNT),
            # 当场处罚 (第五十二条): where the decision was made on the spot.
            _f("place", "作出决定的地点"),
            _f("rectification_ordered", "责令改正", T.BOOL),
            _f("rectification_deadline", "改正期限", T.DATE),
            _f("performance_deadline", "履行期限", T.DATE),
        ),
    ),
    RecordKind(
        "simplified_procedure",
        "简易程序记录",
        Stage.DECISION,
        (
            _f("factual_basis", "适用简易程序的事实依据"),
            _f("legal_conditions", "适用简易程序的法律依据的具体条件"),
            _f("steps_documents", "实施简易程序的程序步骤及法定文书"),
            _f("statement_record", "当事人陈述、申辩的记录"),
            _f("statement_review", "对陈述、申辩的复核及处理，是否采纳的理由"),
            # 当场收缴罚款 (000 art. 21(六), 002 art. 22(六), 003 art. 14(六)): whether it
            # happened decides whether the collection's record is due.
            _f("on_the_spot_collection", "是否当场收缴罚款", T.BOOL),
            _f("on_the_spot_fine", "当场收缴罚款的实施过程"),
            _f("collection_receipt", "当场收缴罚款的收据（票据）编号"),
            _f("collected_amount", "当场收缴的罚款数额（元）", T.AMOUNT),
            _f("dispute_prone", "容易引起行政争议", T.BOOL),
        ),
        has_officers=True,
    ),
    RecordKind(
        "filing",
        "备案",
        Stage.DECISION,
        (
            _f(
                "filed_with",
                "备案机关",
                T.CHOICE,
                choices={"agency": "所属行政机关（本机关）", "legal_office": "所属法制机构"},
            ),
            _f("content", "备案的内容"),
        ),
    ),
    # ---- service 送达
    RecordKind(
        "service",
        "送达",
        Stage.SERVICE,
        (
            _f("method", "送达方式", T.CHOICE, required=True, choices=SERVICE_METHODS),
            _f("document", "送达的文书", T.RECORD),
            _f("document_kind", "文书种类", T.CHOICE, choices=DOCUMENT_KINDS),
            _f("recipient", "受送达人"),
            _f("receipt_number", "送达回证编号"),
            _f(
                "mail_type",
                "邮寄方式",
                T.CHOICE,
                choices={"registered": "挂号信", "express": "特快专递", "ordinary": "平信"},
            ),
            _f("mail_registration", "邮寄送达登记"),
            _f("postage_receipt", "付邮凭证"),
            _f("return_receipt", "回执"),
            _f("returned", "被邮政企业退回", T.BOOL),
            _f("return_circumstances", "退回的具体情况"),
            _f("refusal_reason", "拒收事由"),
            _f("refusal_date", "拒收日期", T.DATE),
            _f("lodged_at", "留置地点（受送达人住所）"),
            _f("reason", "委托、转交原因"),
            _f("other_methods_failed", "其他方式均无法送达的情况"),
            _f("announcement_medium", "公告的方式和载体"),
            _f("announcement_kept", "留存书面公告", T.BOOL),
            _f("case_file_note", "案卷中记明的原因和经过"),
            _f(
                "electronic_channel",
                "电子送达渠道",
                T.CHOICE,
                choices={"fax": "传真", "email": "电子邮件"},
            ),
            _f(
                "electronic_evidence",
                "电子送达的记录方式",
                T.CHOICES,
                choices={
                    "phone_recording": "电话录音",
                    "sms": "短信",
                    "screenshot": "截屏截图",
                    "screen_recording": "屏幕录像",
                },
            ),
            _f("fax_time", "传真时间", T.DATETIME),
            _f("fax_number", "受送达人传真号码"),
        ),
    ),
    # ---- enforcement 执行
    RecordKind(
        "performance",
        "履行情况",
        Stage.ENFORCEMENT,
        (
            _f(
                "status",
                "履行情况",
                T.CHOICE,
                choices={
                    "performed": "已履行",
                    "partially": "部分履行",
                    "not_performed": "逾期未履行",
                },
            ),
            _f("details", "具体情况"),
        ),
    ),
    RecordKind(
        "rectification_check",
        "责令改正核查",
        Stage.ENFORCEMENT,
        (
            _f("result", "核查结果", T.CHOICE, choices={"rectified": "已改正", "not": "未改正"}),
            _f("details", "核查情况"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "urge_notice",
        "催告书",
        Stage.ENFORCEMENT,
        (
            _f("document_number", "文号"),
            _f("content", "催告内容"),
            _f("performance_deadline", "履行期限", T.DATE),
        ),
    ),
    RecordKind(
        "enforcement",
        "强制执行",
        Stage.ENFORCEMENT,
        (
            _f("method", "强制执行方式", T.CHOICE, required=True, choices=ENFORCEMENT_METHODS),
            _f("decision_number", "强制执行决定书文号"),
            _f("site_record", "现场笔录"),
            _f("details", "执行情况"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "court_enforcement",
        "申请法院强制执行",
        Stage.ENFORCEMENT,
        (
            _f("application_document", "强制执行申请书"),
            _f("court", "受理法院"),
            _f("result", "强制执行结果"),
            # 行政强制法 第五十五条: the application states the decision, the party's
            # non-performance and the 催告, with the agency head's signature.
            _f("document_number", "文号"),
            _f("decision", "申请执行的决定书", T.RECORD),
            _f("performance", "当事人履行情况"),
            _f("urged_at", "催告日期", T.DATE),
            _f("application_content", "申请执行的内容"),
        ),
    ),
    # ---- closure & archive 归档管理
    RecordKind(
        "closure",
        "执法行为终结",
        Stage.CLOSURE,
        (_f("reason", "终结情形"),),
    ),
    RecordKind(
        "case_file",
        "案卷归档",
        Stage.CLOSURE,
        (
            _f("archivist", "档案管理员", T.PERSON),
            _f("volume_number", "案卷号"),
            _f("documents", "卷内文件", T.TEXT_LIST),
            _f("retention", "保管期限"),
            # The SHA-256 of the assembled volume (案卷封面 + 卷内目录 + documents + 备考表), whose
            # own "document" ledger entry carries its SM3, size and catalog (issue #5).
            _f("volume", "案卷电子文件（SHA-256）", system=True),
            # The completeness commitment (issue #12; lawtrail.core.completeness): the case's
            # ledger entries before this record, computed by the system when it archives.
            _f("ledger_log", "账本日志", help=_COMMITMENT_HELP, system=True),
            _f("ledger_entries", "归档前本案账本条目序号", help=_COMMITMENT_HELP, system=True),
            _f(
                "ledger_count",
                "归档前本案账本条目数",
                T.INTEGER,
                help=_COMMITMENT_HELP,
                system=True,
            ),
            _f(
                "ledger_digest",
                "归档前本案账本条目清单摘要（SHA-256）",
                help=_COMMITMENT_HELP,
                system=True,
            ),
        ),
        role_acts=(
            RoleAct(
                "archive",
                ARCHIVIST_ROLE,
                "组卷归档",
                ("volume_number", "documents", "retention"),
                "archivist",
                task=False,
            ),
        ),
        recorded_by=ARCHIVIST_ROLE,
    ),
    RecordKind(
        "copy_request",
        "当事人申请查阅、复制",
        Stage.CLOSURE,
        (
            _f("requester", "申请人", T.PARTY),
            _f("scope", "申请查阅、复制的内容"),
            _f(
                "request_type",
                "申请类型",
                T.CHOICES,
                choices={"inspect": "查阅", "copy": "复制"},
            ),
            # Who consents differs by agency (000 art. 33, 002 art. 34, 003 art. 26: 行政机关
            # 负责人; 001 art. 28: 行政科室负责人; 004: no provision): the label fits them all.
            _f(
                "head",
                "同意的负责人",
                T.PERSON,
                help="依本机关记录制度须同意查阅、复制的负责人：邮政管理局（第三十三条）、"
                "市场监督管理局（第三十四条）、人社局（第二十六条）为行政机关负责人；"
                "地方志办（第二十八条）为行政科室负责人",
            ),
            _f("approved", "负责人是否同意", T.BOOL),
            _f("secrets_excluded", "已排除依法应保密的内容", T.BOOL),
            _f("provided", "已提供查阅、复制", T.BOOL),
        ),
        role_acts=(RoleAct("head", APPROVER_ROLE, "负责人同意查阅、复制", ("approved",), "head"),),
    ),
    RecordKind(
        "access",
        "查阅记录",
        Stage.CLOSURE,
        (
            _f("viewer", "查阅人"),
            _f("target", "查阅的记录", T.RECORD),
            _f("action", "操作", T.CHOICE, choices={"view": "查看", "download": "下载"}),
            _f("purpose", "用途"),
        ),
    ),
    # ---- internal approval 内部审批
    RecordKind(
        "internal_approval",
        "内部审批",
        Stage.INTERNAL,
        (
            _f("subject", "审批事项"),
            _f("handler", "承办人", T.PERSON),
            _f("handler_opinion", "承办人意见"),
            _f("handler_reason", "承办人理由"),
            _f("reviewer", "审核人", T.PERSON),
            _f("reviewer_opinion", "审核意见"),
            _f("reviewed_at", "审核时间", T.DATETIME),
            _f("approver", "批准人", T.PERSON),
            _f("approver_opinion", "批准意见"),
            _f("approved_at", "批准时间", T.DATETIME),
            _f("approved", "批准人是否批准", T.BOOL),
        ),
        # 承办人 → 审核人 → 批准人, one person per step (000 art. 37, 001 art. 31, 002 art. 38,
        # 003 art. 28): the chain's own pages take the steps (web/inbox.py).
        role_acts=(
            RoleAct(
                "handler",
                "",
                "承办人意见",
                ("handler_opinion", "handler_reason"),
                "handler",
                task=False,
            ),
            RoleAct(
                "review",
                REVIEWER_ROLE,
                "审核",
                ("reviewer_opinion",),
                "reviewer",
                "reviewed_at",
                requires=("handler",),
                distinct=True,
                task=False,
            ),
            RoleAct(
                "approve",
                APPROVER_ROLE,
                "批准",
                ("approver_opinion", "approved"),
                "approver",
                "approved_at",
                requires=("review",),
                distinct=True,
                task=False,
            ),
        ),
    ),
    # ---- corrections: a void is a record that points at the record it withdraws
    RecordKind(
        "void",
        "作废声明",
        Stage.INTERNAL,
        (
            _f("target", "作废的记录", T.RECORD, required=True),
            _f("reason", "作废理由", required=True),
        ),
    ),
)


# The forms of 行政处罚法 (2021), 行政强制法 and the departments' 文书格式范本 that an agency issues
# or fills in besides the records above (issue #17). Each is its own kind, so the rule packs
# and the documents can name it; an agency's own forms are listed in its pack
# ([documents] own_forms).
_FORM_KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "case_source_registration",
        "案件来源登记表",
        Stage.INITIATION,
        (
            _f(
                "source",
                "案件来源",
                T.CHOICE,
                choices={
                    "inspection": "监督检查发现",
                    "complaint": "投诉、举报",
                    "referral": "其他机关移送",
                    "assigned": "上级机关交办",
                    "other": "其他",
                },
            ),
            _f("received_at", "登记时间", T.DATETIME),
            _f("provider", "提供人（投诉人、举报人、移送机关）"),
            _f("provider_contact", "提供人联系方式"),
            _f("summary", "案件来源内容"),
            _f("handler_opinion", "登记人意见"),
            _f("head_opinion", "负责人意见"),
            _f("head", "负责人", T.PERSON),
        ),
    ),
    RecordKind(
        "no_filing_approval",
        "不予立案审批表",
        Stage.INITIATION,
        (
            _f("case_summary", "基本情况"),
            _f("reason", "不予立案的理由"),
            _f("handler_opinion", "承办人意见"),
            _f("unit_opinion", "承办机构意见"),
            _f("head_opinion", "负责人意见"),
            _f("head", "负责人", T.PERSON),
            _f("approved", "是否批准", T.BOOL),
        ),
    ),
    RecordKind(
        "inquiry_notice",
        "询问通知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("recipient", "被通知人"),
            _f("inquiry_at", "接受询问的时间", T.DATETIME),
            _f("place", "接受询问的地点"),
            _f("matter", "询问事项"),
            _f("materials", "需携带的材料", T.TEXT_LIST),
            _f("contact", "联系人及电话"),
        ),
    ),
    RecordKind(
        "material_request",
        "限期提供材料通知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("recipient", "被通知人"),
            _f("materials", "需提供的材料", T.TEXT_LIST),
            _f("deadline", "提供期限", T.DATE),
            _f("place", "提供地点"),
            _f("legal_basis", "依据"),
            _f("contact", "联系人及电话"),
        ),
    ),
    RecordKind(
        "register_preservation",
        "先行登记保存证据通知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("items", "先行登记保存的证据", T.TEXT_LIST),
            _f("keep_place", "保存地点"),
            _f("keep_until", "保存期限至", T.DATE),
            # 行政处罚法 (2021) 第五十六条: 经行政机关负责人批准.
            _f("approved_by", "批准的负责人", T.PERSON),
            _f("approved_at", "批准时间", T.DATETIME),
        ),
        has_officers=True,
    ),
    RecordKind(
        "preservation_handling",
        "先行登记保存证据处理决定书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("preservation", "先行登记保存证据通知书", T.RECORD),
            _f(
                "handling",
                "处理决定",
                T.CHOICE,
                choices={
                    "release": "解除先行登记保存",
                    "seize": "依法查封、扣押",
                    "appraisal": "送交检验、检测、鉴定",
                    "transfer": "移送有关机关",
                    "other": "其他处理",
                },
            ),
            _f("items", "涉及的证据", T.TEXT_LIST),
            _f("reason", "处理理由"),
        ),
        has_officers=True,
    ),
    RecordKind(
        "compulsory_extension",
        "延长行政强制措施期限决定书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("measure_record", "原行政强制措施", T.RECORD),
            _f("reason", "延长的理由"),
            _f("extended_until", "延长至", T.DATE),
            _f("approved_by", "批准的负责人", T.PERSON),
        ),
    ),
    RecordKind(
        "compulsory_release",
        "解除行政强制措施决定书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("measure_record", "原行政强制措施", T.RECORD),
            _f(
                "reason",
                "解除的理由",
                T.CHOICE,
                # 行政强制法 第二十八条第一款 (一)–(五).
                choices={
                    "no_violation": "当事人没有违法行为",
                    "unrelated": "查封、扣押的场所、设施或者财物与违法行为无关",
                    "decided": "行政机关对违法行为已经作出处理决定，不再需要查封、扣押",
                    "expired": "查封、扣押期限已经届满",
                    "other": "其他不再需要采取查封、扣押措施的情形",
                },
            ),
            _f("items", "解除的场所、设施或者财物", T.TEXT_LIST),
        ),
        has_officers=True,
    ),
    RecordKind(
        "appraisal_result_notice",
        "检验（检测、鉴定）结果告知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("appraisal", "检验（检测、鉴定）", T.RECORD),
            _f("institution", "检验（检测、鉴定）机构"),
            _f("subject", "检验（检测、鉴定）事项"),
            _f("result", "检验（检测、鉴定）结果"),
        ),
    ),
    RecordKind(
        "hearing_right_notice",
        "听证告知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("penalty_kinds", "拟作出的行政处罚种类", T.CHOICES, choices=PENALTY_KINDS),
            _f("penalty_amount", "拟罚款或没收的数额（元）", T.AMOUNT),
            _f("proposed_penalty", "拟作出的行政处罚内容"),
            _f("facts", "拟认定的违法事实"),
            _f("reasons", "拟作出处罚的理由"),
            _f("legal_basis", "拟作出处罚的依据"),
        ),
    ),
    RecordKind(
        "hearing_notice",
        "听证通知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("hearing_at", "听证时间", T.DATETIME),
            _f("place", "听证地点"),
            _f("presiding_officer", "听证主持人", T.PERSON),
            _f("hearing_officers", "听证员、记录员"),
            _f("public", "公开举行", T.BOOL),
            _f("not_public_reason", "不公开举行的理由"),
        ),
    ),
    RecordKind(
        "hearing_report",
        "听证报告",
        Stage.INVESTIGATION,
        (
            _f("hearing", "听证", T.RECORD),
            _f("presiding_officer", "听证主持人", T.PERSON),
            _f("summary", "听证基本情况"),
            _f("party_views", "当事人的陈述、申辩和质证意见"),
            _f("facts_found", "听证认定的事实和证据"),
            _f("opinion", "听证主持人的处理意见和建议"),
        ),
    ),
    RecordKind(
        "investigation_report",
        "案件调查终结报告",
        Stage.INVESTIGATION,
        (
            _f("party_info", "当事人基本情况"),
            _f("facts", "违法事实"),
            _f("evidence", "证据", T.TEXT_LIST),
            _f("nature", "违法行为的性质"),
            _f("legal_basis", "处理依据"),
            _f("discretion", "从重、从轻、减轻等情节"),
            _f("proposal", "处理意见"),
            _f("handlers", "案件承办人", T.PERSONS),
        ),
    ),
    RecordKind(
        "case_approval",
        "案件审批表",
        Stage.DECISION,
        (
            _f("case_summary", "案情摘要"),
            _f("legal_basis", "处理依据"),
            _f("proposal", "承办人处理意见"),
            _f("unit_opinion", "承办机构意见"),
            _f("legal_review_opinion", "法制审核意见"),
            _f("head_opinion", "负责人意见"),
            _f("head", "负责人", T.PERSON),
            _f("approved", "是否批准", T.BOOL),
        ),
    ),
    RecordKind(
        "rectification_order",
        "责令改正（限期改正）指令书",
        Stage.DECISION,
        (
            _f("document_number", "文号"),
            _f("violations", "违法事实"),
            _f("legal_basis", "依据"),
            _f("order", "改正要求"),
            _f("deadline", "改正期限", T.DATE),
        ),
    ),
    RecordKind(
        "payment_deferral",
        "延期（分期）缴纳罚款决定书",
        Stage.ENFORCEMENT,
        (
            _f("document_number", "文号"),
            _f("decision", "行政处罚决定书", T.RECORD),
            _f("mode", "方式", T.CHOICE, choices={"defer": "延期缴纳", "instalments": "分期缴纳"}),
            _f("applied_at", "当事人申请日期", T.DATE),
            _f("reason", "批准的理由"),
            _f("deadline", "延期缴纳至", T.DATE),
            _f("instalments", "分期缴纳的期限和数额", T.TEXT_LIST),
            _f("approved_by", "批准的负责人", T.PERSON),
        ),
    ),
    RecordKind(
        "confiscated_disposal",
        "罚没物品处理记录",
        Stage.ENFORCEMENT,
        (
            _f("decision", "行政处罚决定书", T.RECORD),
            _f("items", "罚没物品", T.TEXT_LIST),
            _f(
                "method",
                "处理方式",
                T.CHOICE,
                choices={
                    "destroy": "销毁",
                    "auction": "公开拍卖",
                    "transfer": "移交有关部门处理",
                    "other": "其他方式",
                },
            ),
            _f("place", "处理地点"),
            _f("approved_by", "批准的负责人", T.PERSON),
            _f("proceeds", "拍卖款项（元）", T.AMOUNT),
        ),
        has_officers=True,
    ),
    RecordKind(
        "closure_approval",
        "结案审批表",
        Stage.CLOSURE,
        (
            _f("result", "处理结果"),
            _f("performance", "执行情况"),
            _f("closure_reason", "结案理由"),
            _f("handler_opinion", "承办人意见"),
            _f("unit_opinion", "承办机构意见"),
            _f("head_opinion", "负责人意见"),
            _f("head", "负责人", T.PERSON),
            _f("approved", "是否批准", T.BOOL),
        ),
    ),
    RecordKind(
        "case_transfer",
        "案件移送",
        Stage.DECISION,
        (
            _f("document_number", "文号"),
            _f(
                "transfer_type",
                "移送类型",
                T.CHOICE,
                choices={"jurisdiction": "案件移送函", "crime": "涉嫌犯罪案件移送书"},
            ),
            _f("receiver", "接收机关"),
            _f("facts", "涉嫌违法（犯罪）事实"),
            _f("reason", "移送理由和依据"),
            _f("materials", "随附材料", T.TEXT_LIST),
        ),
    ),
    RecordKind(
        "address_confirmation",
        "送达地址确认书",
        Stage.SERVICE,
        (
            _f("recipient", "受送达人"),
            _f("address", "送达地址"),
            _f("postal_code", "邮政编码"),
            _f("receiver", "指定代收人"),
            _f("phone", "联系电话"),
            _f("email", "电子邮箱"),
            _f("fax", "传真号码"),
            _f("electronic_consent", "同意以电子方式送达", T.BOOL),
        ),
    ),
    RecordKind(
        "power_of_attorney",
        "授权委托书",
        Stage.INVESTIGATION,
        (
            _f("principal", "委托人", T.PARTY),
            _f("agent", "受托人"),
            _f("agent_id_number", "受托人身份证号码"),
            _f("agent_contact", "受托人联系方式"),
            _f("scope", "委托事项和权限"),
            _f("period", "委托期限"),
        ),
    ),
    RecordKind(
        "stats_inspection_notice",
        "统计执法检查通知书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("recipient", "检查对象"),
            _f("matters", "检查内容"),
            _f("inspection_at", "检查时间", T.DATE),
            _f("materials", "需准备的资料", T.TEXT_LIST),
            _f("contact", "联系人及电话"),
        ),
    ),
    RecordKind(
        "stats_inquiry",
        "统计检查查询书",
        Stage.INVESTIGATION,
        (
            _f("document_number", "文号"),
            _f("recipient", "检查对象"),
            _f("questions", "查询事项", T.TEXT_LIST),
            _f("reply_deadline", "答复期限", T.DATE),
        ),
    ),
)

_KINDS = (*_KINDS, *_FORM_KINDS)

RECORD_KINDS: Mapping[str, RecordKind] = {kind.id: kind for kind in _KINDS}

# Records the regulations call 调查笔录 / 调查取证文书: they name the officers and their
# certificates (000 art. 9 …) and are signed by officers and the party (000 art. 11 …).
INVESTIGATION_KINDS: tuple[str, ...] = tuple(
    kind.id for kind in _KINDS if kind.stage is Stage.INVESTIGATION
)

MEDIA_TYPES: Mapping[str, str] = {"photo": "照片", "audio": "录音", "video": "录像"}

# What a media file is labelled with (004 art. 14: 案号、当事人姓名或者名称、承办人姓名).
MEDIA_LABELS: Mapping[str, str] = {"case_number": "案号", "party": "当事人", "handler": "承办人"}

SIGNATURE_ROLES: Mapping[str, str] = {
    "officer": "执法人员",
    "party": "当事人",
    "present_person": "有关在场人员",
    "witness": "见证人",
    "server": "送达人",
    "recipient": "受送达人",
    "signatory": "符合法定条件的签收人",
    "head": "负责人",
    "reviewer": "审核人",
    "legal_reviewer": "法制审核人员",
    "appraiser": "鉴定机构",
    "expert": "专家",
    "archivist": "档案管理员",
}

SIGNATURE_METHODS: Mapping[str, str] = {
    "handwritten": "手写签名",
    "seal": "盖章",
    "fingerprint": "捺印",
    "screen": "屏幕签名",
}

ACTS: Mapping[str, str] = {
    "license": "行政许可",
    "penalty": "行政处罚",
    "compulsory": "行政强制",
    "levy": "行政征收",
    "fee": "行政收费",
    "inspection": "行政检查",
    "confirmation": "行政确认",
    "other": "其他行政执法行为",
}

ORIGINS: Mapping[str, str] = {
    "application": "依申请",
    "ex_officio": "依职权",
    "complaint": "投诉举报",
    "emergency": "紧急先行启动",
}

PROCEDURES: Mapping[str, str] = {"general": "一般程序", "simplified": "简易程序"}

# Who set the case in motion: on application the party; in every other case the agency, on its
# own authority (依职权). A complaint or report only brings a matter to the agency's notice — it
# decides itself whether to start (000 art. 8 "需要查处的，及时启动执法程序") — and an emergency
# start is an ex-officio start whose approval comes late. One definition for every pack: rules
# select these cases with ``case = { own_authority = true }``; the emergency exception, where a
# regulation has one, is the ``except_after = ["emergency_start"]`` of the approval rule.
OWN_AUTHORITY_ORIGINS: frozenset[str] = frozenset({"ex_officio", "complaint", "emergency"})

# The roles of agency staff a case's people may hold (the web application's user roles).
STAFF_ROLES: Mapping[str, str] = {
    OFFICER_ROLE: "执法人员",
    HANDLER_ROLE: "承办人",
    REVIEWER_ROLE: "审核人",
    APPROVER_ROLE: "负责人（批准人）",
    LEGAL_ROLE: "法制审核人员",
    ARCHIVIST_ROLE: "档案管理员",
}

# A record's exemption from audio/video: the regulations leave out acts 不适宜音像记录的
# (000 art. 12, 001 art. 12, 002 art. 13, 003 art. 11); that a case is such an exception is
# the head's decision (the record's 批准不进行音像记录的负责人), not the handler's own.
AV_EXEMPTION_ACT = RoleAct(
    "av_exemption",
    APPROVER_ROLE,
    "批准不进行音像记录",
    ("approved",),
    "approved_by",
    where="av_exemption",
)

# Signatures that are a role's act: the head's, a reviewer's, the legal reviewer's and the
# archivist's signatures are made by that person, in the system, never entered on their behalf.
# (A party's, a witness's or an officer's signature on paper or on the officer's screen is
# captured by the officer present — with its image, or the refusal to sign: 000 art. 11 ….)
SIGNATURE_ACT_ROLES: Mapping[str, str] = {
    "head": APPROVER_ROLE,
    "reviewer": REVIEWER_ROLE,
    "legal_reviewer": LEGAL_ROLE,
    "archivist": ARCHIVIST_ROLE,
}


@dataclass(frozen=True)
class DerivedField:
    """A value the rules read like a field but which is computed from the record's fields
    (and the case's acts): one definition, used by every pack."""

    name: str
    label: str
    kind: str  # the record kind it belongs to
    compute: Callable[[Mapping[str, object], tuple[str, ...]], object]


# How an opinion states its decision when no yes/no was recorded (the web application's
# approval steps write "同意：…" / "不同意：…"; paper forms "同意立案", "不予批准" …). Negative
# words are looked for first: "不同意" begins with "不", not with "同意".
# ("不予处罚" approves a decision not to punish, so "不予" alone is no refusal.)
_REFUSING = (
    "不同意",
    "不予批准",
    "不予同意",
    "不予立案",
    "不批准",
    "不准",
    "驳回",
    "否决",
    "退回",
    "暂缓",
)
_GRANTING = ("同意", "批准", "准予", "准许", "拟同意")


def opinion_decision(opinion: object) -> bool | None:
    """True / False when an opinion begins by granting / refusing, None when it does not say."""
    if not isinstance(opinion, str):
        return None
    text = opinion.strip().lstrip("：:，,。 ")
    if text.startswith(_REFUSING):
        return False
    if text.startswith(_GRANTING):
        return True
    return None


def _granted(decision_field: str, opinion_field: str) -> Callable[..., object]:
    def compute(fields: Mapping[str, object], acts: tuple[str, ...]) -> object:
        stated = fields.get(decision_field)
        if isinstance(stated, bool):
            return stated
        return opinion_decision(fields.get(opinion_field)) if opinion_field else None

    return compute


# Words of a decision's 决定类型 that tell its category when `category` is not given.
_BURDEN_WORDS = (
    "处罚",
    "罚款",
    "没收",
    "警告",
    "吊销",
    "撤销",
    "注销",
    "暂扣",
    "责令",
    "强制",
    "查封",
    "扣押",
    "征收",
    "收费",
    "追缴",
)
_BENEFIT_WORDS = ("准予", "许可", "确认", "登记", "核准", "批准")


def _imposes_obligation(fields: Mapping[str, object], acts: tuple[str, ...]) -> bool:
    """Whether a decision imposes an obligation or a burden on the party.

    The stated `category` decides. Without one, the 决定类型 wording: a refusal ("不予…")
    imposes nothing, a penalty, measure, order or levy does, a licence or confirmation granted
    does not. When the wording says neither, the case's acts: a case of licences or
    confirmations only is judged beneficial, any other as burdensome (the stricter reading).
    """
    category = fields.get("category")
    if isinstance(category, str):
        return category in BURDENSOME_DECISIONS
    text = str(fields.get("decision_type") or "")
    if "不予" in text:
        return False
    if any(word in text for word in _BURDEN_WORDS):
        return True
    if any(word in text for word in _BENEFIT_WORDS):
        return False
    return not (acts and set(acts) <= {"license", "confirmation"})


DERIVED_FIELDS: Mapping[tuple[str, str], DerivedField] = {
    (d.kind, d.name): d
    for d in (
        DerivedField(
            "imposes_obligation",
            "课以义务或不利的决定",
            "decision",
            _imposes_obligation,
        ),
        # "granted": the approval's decision — its yes/no, or else what its opinion begins
        # with; None (undecided) when neither says. A refusal is not an approval.
        DerivedField(
            "granted", "负责人批准", "initiation_approval", _granted("approved", "head_opinion")
        ),
        DerivedField("granted", "负责人同意", "head_approval", _granted("approved", "opinion")),
        DerivedField(
            "granted", "批准人批准", "internal_approval", _granted("approved", "approver_opinion")
        ),
        DerivedField("granted", "负责人同意", "copy_request", _granted("approved", "")),
        DerivedField("granted", "审核通过", "legal_review", _granted("passed", "opinion")),
    )
}

# The penalty a decision's wording names (for the hearing right when no draft states the
# intended penalty): the first matching words win, so the longer phrases come first.
PENALTY_WORDS: tuple[tuple[str, str], ...] = (
    ("没收违法所得", "confiscate_income"),
    ("没收非法财物", "confiscate_property"),
    ("没收", "confiscate_property"),
    ("降低资质", "downgrade"),
    ("吊销", "revoke_license"),
    ("暂扣", "suspend_license"),
    ("责令停产停业", "suspend_business"),
    ("停产停业", "suspend_business"),
    ("责令关闭", "close"),
    ("限制从业", "restrict_employment"),
    ("限制开展生产经营", "limit_business"),
    ("通报批评", "criticism"),
    ("罚款", "fine"),
    ("警告", "warning"),
    ("行政拘留", "detention"),
)


_RECORD_NUMBER = re.compile(r"(\d+)$")


def record_label(record_id: str) -> str:
    """A record as users name it: 第7份记录, not its id ``r7`` (issue #15: no raw ids shown).
    The number is the record's place in the case; an id without one (an API client's own)
    is shown as it is."""
    found = _RECORD_NUMBER.search(str(record_id))
    return f"第{int(found[1])}份记录" if found else str(record_id)


# "记录 r9" as the rule engine's and the case format's messages name a record (they cite the
# id, which the ledger and the tests rely on)
_RECORD_CITED = re.compile(r"记录 ([A-Za-z][\w\-]*?\d+)(?![\w\-]) ?")


def records_named(text: str) -> str:
    """A message for users with each record it cites named by its number (第9份记录)."""
    return _RECORD_CITED.sub(lambda m: record_label(m[1]), str(text))
