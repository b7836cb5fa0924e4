"""The statutory text of the forms printed with the ``notice`` template (issue #17).

Each form an agency issues — 询问通知书, 先行登记保存证据通知书, 听证通知书, 强制执行申请书 … —
says what its law makes it say. The words are here, next to the article that requires them,
and are filled from the case: the template (``notice.html`` / ``notice.docx``) only lays out
``form.addressee``, ``form.paragraphs``, ``form.lists`` (titled item lists such as the
场所、设施、财物清单) and ``form.approval``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lawtrail.core.model import Record

if TYPE_CHECKING:  # pragma: no cover
    from lawtrail.documents.context import ContextBuilder

Text = dict[str, Any]


def _lines(record: Record, name: str) -> list[str]:
    value = record.fields.get(name)
    if isinstance(value, tuple):
        return [str(v) for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    return []


def _remedies(ctx: Mapping[str, Any]) -> str:
    """行政复议法 (2023) 第二十条 (六十日), 行政诉讼法 第四十六条 (六个月), bodies named."""
    agency, you = ctx["agency"], ctx["wording"]["you"]
    body = agency["reconsideration_body"] or "有管辖权的行政复议机关"
    court = agency["court"] or "有管辖权的人民法院"
    return (
        f"{you}如不服本决定，可以在收到本决定书之日起六十日内向{body}申请行政复议，"
        f"也可以在六个月内依法向{court}提起行政诉讼。"
    )


_ORGANISATION_ENDINGS = ("公司", "厂", "店", "部", "中心", "社", "所", "院", "会", "局", "站", "行")


def _you_for(recipient: str, ctx: Mapping[str, Any]) -> str:
    """你单位 / 你 for the addressee: the party's kind when it is the party; otherwise what its
    name says (an organisation's name ends with 公司, 厂, 中心 …)."""
    if not recipient or recipient == ctx["party"]["name"]:
        return str(ctx["wording"]["you"])
    return "你单位" if recipient.endswith(_ORGANISATION_ENDINGS) else "你"


def _ref(text: str) -> str:
    return f"（{text}）" if text else ""


def _case(ctx: Mapping[str, Any]) -> str:
    case = ctx["case"]
    title = case["title"] or f"{ctx['wording']['you']}的案件"
    # 某某案 is named as it is; any other title becomes 某某一案.
    named = title if title.endswith(("案", "案件")) else title + "一案"
    return f"{named}（案号：{case['number']}）"


def _proposed(ctx: Mapping[str, Any]) -> list[str]:
    pen = ctx.get("penalty") or {}
    me = ctx["wording"]["self"]
    out = []
    if pen.get("facts"):
        out.append(f"经调查，{me}拟认定以下事实：{pen['facts'].rstrip('。')}。")
    if pen.get("reasons"):
        out.append(f"{me}认为：{pen['reasons'].rstrip('。')}。")
    basis = pen.get("legal_basis")
    if pen.get("content"):
        out.append(
            (f"依据{basis}的规定，" if basis else "")
            + f"{me}拟对{ctx['wording']['you']}作出如下行政处罚：{pen['content'].rstrip('。')}。"
        )
    return out


def inquiry_notice(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f = ctx["f"]
    you = _you_for(f.recipient, ctx)
    return {
        "addressee": f.recipient or ctx["party"]["name"],
        "paragraphs": [
            f"因调查{_case(ctx)}，依据《中华人民共和国行政处罚法》第五十五条的规定，"
            f"请{you}（或者委托代理人）于{f.inquiry_at or '　　年　月　日'}"
            f"到{f.place or '　　　　'}接受询问调查。",
            f"询问事项：{f.matter}" if f.matter else "",
            # 行政处罚法 第五十五条第二款.
            "当事人或者有关人员应当如实回答询问，并协助调查，不得拒绝或者阻挠。",
            f"联系人及电话：{f.contact}" if f.contact else "",
        ],
        "lists": [{"title": "请携带以下材料", "items": _lines(r, "materials")}],
    }


def material_request(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, me = ctx["f"], ctx["wording"]["self"]
    you = _you_for(f.recipient, ctx)
    basis = f.legal_basis or "《中华人民共和国行政处罚法》第五十五条"
    return {
        "addressee": f.recipient or ctx["party"]["name"],
        "paragraphs": [
            f"因调查{_case(ctx)}，依据{basis}的规定，请{you}于{f.deadline or '　　年　月　日'}前"
            f"将下列材料提供至{f.place or me}。",
            "提供的材料应当真实、完整；提供复印件的，应当注明“与原件核对无误”，并签名或者盖章。",
            f"联系人及电话：{f.contact}" if f.contact else "",
        ],
        "lists": [{"title": "需提供的材料", "items": _lines(r, "materials")}],
    }


def register_preservation(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    # 行政处罚法 (2021) 第五十六条: 证据可能灭失或者以后难以取得, 经行政机关负责人批准, 先行登记
    # 保存, 七日内及时作出处理决定; 期间不得销毁或者转移证据.
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"因调查{_case(ctx)}，{me}认为下列证据可能灭失或者以后难以取得，经{me}负责人批准，"
            f"依据《中华人民共和国行政处罚法》第五十六条的规定，对下列证据予以先行登记保存"
            f"（保存地点：{f.keep_place or '　　'}）。",
            f"在先行登记保存期间，{you}不得损毁、销毁或者转移上述证据。"
            f"{me}将在七日内作出处理决定。",
        ],
        "lists": [{"title": "先行登记保存证据清单", "items": _lines(r, "items")}],
        "approval": (
            f"批准人：{f.approved_by}　　批准时间：{f.approved_at}" if f.approved_by else ""
        ),
    }


def preservation_handling(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, me = ctx["f"], ctx["wording"]["self"]
    ref = f"（{f.preservation}）" if f.preservation else ""
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}在调查{_case(ctx)}过程中，对下列证据予以先行登记保存{ref}。"
            f"依据《中华人民共和国行政处罚法》第五十六条的规定，{me}作出如下处理决定："
            f"{f.handling or '　　'}。",
            f"理由：{f.reason}" if f.reason else "",
        ],
        "lists": [{"title": "涉及的证据", "items": _lines(r, "items")}],
    }


def compulsory_measure(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    days = f.period_days or "三十"
    # 行政强制法 第二十四条: 理由、依据和期限; 场所、设施或者财物的名称、数量; 复议、诉讼的途径和
    # 期限; 第二十五条: 期限不得超过三十日.
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中，"
            + (f"因{f.reason.rstrip('。')}，" if f.reason else "")
            + (f"依据{f.legal_basis}的规定，" if f.legal_basis else "")
            + f"决定对{you}的下列场所、设施或者财物实施{f.measure}的行政强制措施，"
            f"期限为{days}日（《中华人民共和国行政强制法》第二十五条）。",
            "对查封、扣押的场所、设施或者财物，当事人不得擅自启封、使用、转移、损毁或者隐匿。",
            _remedies(ctx),
        ],
        "lists": [{"title": "场所、设施、财物清单", "items": _lines(r, "items")}],
    }


def compulsory_extension(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}对{you}实施的行政强制措施{_ref(f.measure_record)}，"
            + (f"因{f.reason.rstrip('。')}，" if f.reason else "因情况复杂，")
            + f"经{me}负责人批准，依据《中华人民共和国行政强制法》第二十五条第一款的规定，"
            f"决定将期限延长至{f.extended_until or '　　年　月　日'}（延长期限不超过三十日）。",
            _remedies(ctx),
        ],
        "approval": f"批准人：{f.approved_by}" if f.approved_by else "",
    }


def compulsory_release(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}对{you}实施的行政强制措施{_ref(f.measure_record)}，"
            f"因{(f.reason or '不再需要采取查封、扣押措施').rstrip('。')}，依据《中华人民共和国"
            f"行政强制法》第二十八条的规定，{me}决定予以解除，并退还下列场所、设施或者财物。",
        ],
        "lists": [{"title": "解除的场所、设施、财物清单", "items": _lines(r, "items")}],
    }


def appraisal(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, me = ctx["f"], ctx["wording"]["self"]
    if r.fields.get("form") == "appraisal_opinion":
        return {
            "addressee": "",
            "paragraphs": [
                f"鉴定机构：{f.institution}",
                f"鉴定事项：{f.subject}",
                f"鉴定意见：{f.opinion}",
            ],
        }
    return {
        "addressee": f.institution,
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中，需要对下列事项进行检验（检测、鉴定）："
            f"{f.subject or '　　'}。现委托你单位进行检验（检测、鉴定），"
            "请依法出具书面检验（检测、鉴定）报告，载明委托事项、依据、结论，并由检验"
            "（检测、鉴定）人员签名或者盖章，加盖机构公章。",
        ],
    }


def appraisal_result_notice(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中，委托{f.institution or '　　'}对{f.subject or '　　'}"
            f"进行了检验（检测、鉴定），结果如下：{(f.result or '　　').rstrip('。')}。",
            f"{you}对检验（检测、鉴定）结果有异议的，可以依照有关规定提出复检（复验）申请。",
        ],
    }


def hearing_right_notice(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    you = ctx["wording"]["you"]
    me = ctx["wording"]["self"]
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中，",
            *_proposed(ctx),
            # 行政处罚法 (2021) 第六十三条: the hearing right; 第六十四条 (一): 五日内提出.
            f"依据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，{you}有要求举行听证"
            f"的权利。{you}要求听证的，应当在{me}告知后五日内提出；逾期未提出的，视为放弃听证"
            "权利。",
            f"{you}同时享有陈述、申辩的权利（第四十五条）。",
        ],
    }


def hearing_notice(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    public = r.fields.get("public")
    # 行政处罚法 (2021) 第六十四条 (二)–(六).
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"根据{you}的申请，依据《中华人民共和国行政处罚法》第六十四条的规定，{me}定于"
            f"{f.hearing_at or '　　年　月　日'}在{f.place or '　　'}就{_case(ctx)}举行听证。"
            + (f"听证主持人：{f.presiding_officer}。" if f.presiding_officer else "")
            + (f"听证员、记录员：{f.hearing_officers}。" if f.hearing_officers else ""),
            (
                "本次听证公开举行。"
                if public is not False
                else "本次听证不公开举行，理由："
                f"{f.not_public_reason or '涉及国家秘密、商业秘密或者个人隐私'}。"
            ),
            f"{you}认为主持人与本案有直接利害关系的，有权申请回避。",
            f"{you}可以亲自参加听证，也可以委托一至二人代理；委托代理人参加听证的，应当提交"
            "授权委托书。",
            f"{you}无正当理由拒不出席听证或者未经许可中途退出听证的，视为放弃听证权利，"
            f"{me}终止听证。",
        ],
    }


def rectification_order(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    # 劳动保障监察条例 第十八条第一款第（二）项: 对应当改正未改正的，依法责令改正.
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中查明，{you}存在下列违法行为："
            f"{(f.violations or '　　').rstrip('。')}。",
            (f"上述行为违反了{f.legal_basis}的规定。" if f.legal_basis else "")
            + f"依据《劳动保障监察条例》第十八条第一款第（二）项的规定，{me}责令{you}于"
            f"{f.deadline or '　　年　月　日'}前改正：{(f.order or '　　').rstrip('。')}。",
            f"逾期不改正的，{me}将依法作出行政处罚或者行政处理决定。",
            _remedies(ctx).replace("本决定书", "本指令书").replace("本决定", "本指令"),
        ],
    }


def payment_deferral(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    mode = f.mode or "延期缴纳"
    plan = (
        [{"title": "分期缴纳的期限和数额", "items": _lines(r, "instalments")}]
        if r.fields.get("mode") == "instalments"
        else []
    )
    # 行政处罚法 (2021) 第六十六条第二款: 确有经济困难，经当事人申请和行政机关批准.
    return {
        "addressee": ctx["party"]["name"],
        "paragraphs": [
            f"{you}于{f.applied_at or '　　年　月　日'}申请{mode}{f.decision or '行政处罚决定书'}"
            f"确定的罚款。经审查，{(f.reason or '你单位确有经济困难').rstrip('。')}，"
            f"依据《中华人民共和国行政处罚法》第六十六条第二款的规定，经{me}负责人批准，"
            f"同意{you}{mode}罚款"
            + (f"，缴纳期限延至{f.deadline}" if f.deadline and mode == "延期缴纳" else "")
            + "。",
            f"逾期不缴纳的，{me}将依法加处罚款，并依法申请人民法院强制执行。",
        ],
        "lists": plan,
        "approval": f"批准人：{f.approved_by}" if f.approved_by else "",
    }


def case_transfer(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, me = ctx["f"], ctx["wording"]["self"]
    crime = r.fields.get("transfer_type") == "crime"
    basis = (
        # 行政处罚法 (2021) 第二十七条第一款; 行政执法机关移送涉嫌犯罪案件的规定 (国务院令第310号).
        "《中华人民共和国行政处罚法》第二十七条第一款和《行政执法机关移送涉嫌犯罪案件的规定》"
        if crime
        else (f.reason or "《中华人民共和国行政处罚法》第二十二条、第二十三条")
    )
    return {
        "addressee": f.receiver,
        "paragraphs": [
            f"{me}在办理{_case(ctx)}过程中，"
            + (f"查明：{f.facts.rstrip('。')}。" if f.facts else "")
            + ("该案涉嫌犯罪，" if crime else "该案不属于本机关管辖，")
            + f"依据{basis}的规定，现将该案移送你单位依法处理。",
            f"移送理由：{f.reason}" if crime and f.reason else "",
        ],
        "lists": [{"title": "随附材料", "items": _lines(r, "materials")}],
    }


def court_enforcement(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, me = ctx["f"], ctx["wording"]["self"]
    party = ctx["party"]
    # 行政强制法 第五十三条 (三个月内申请), 第五十四条 (催告), 第五十五条 (申请书由负责人签名、
    # 加盖印章).
    return {
        "addressee": f.court,
        "paragraphs": [
            f"申请人：{ctx['agency']['name']}",
            f"被申请人：{party['name']}"
            + (f"，{party['address_label']}：{party['address']}" if party["address"] else ""),
            f"{me}作出的{f.decision or '行政决定'}已依法送达被申请人。被申请人在法定期限内"
            "未申请行政复议或者提起行政诉讼，又不履行行政决定"
            + (f"（{f.performance.rstrip('。')}）" if f.performance else "")
            + "。"
            + (f"{me}已于{f.urged_at}依法催告，被申请人逾期仍未履行。" if f.urged_at else ""),
            "依据《中华人民共和国行政强制法》第五十三条、第五十四条、第五十五条的规定，"
            f"特申请你院强制执行：{(f.application_content or '　　').rstrip('。')}。",
        ],
    }


def stats_inspection_notice(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    return {
        "addressee": f.recipient or ctx["party"]["name"],
        "paragraphs": [
            f"依据《中华人民共和国统计法》第三十三条、第三十五条的规定，{me}定于"
            f"{f.inspection_at or '　　年　月　日'}对{you}{f.matters or '统计工作'}"
            "进行统计执法检查。"
            f"请{you}做好准备，如实提供下列资料，并安排熟悉情况的人员配合检查。",
            f"联系人及电话：{f.contact}" if f.contact else "",
        ],
        "lists": [{"title": "需准备的资料", "items": _lines(r, "materials")}],
    }


def stats_inquiry(b: ContextBuilder, r: Record, ctx: Mapping[str, Any]) -> Text:
    f, you, me = ctx["f"], ctx["wording"]["you"], ctx["wording"]["self"]
    # 统计法 第三十五条: 发出统计检查查询书，向检查对象查询有关事项.
    return {
        "addressee": f.recipient or ctx["party"]["name"],
        "paragraphs": [
            f"依据《中华人民共和国统计法》第三十五条的规定，{me}就下列事项向{you}查询。"
            f"请{you}于{f.reply_deadline or '　　年　月　日'}前如实作出书面答复，"
            f"并由单位负责人签名、加盖公章后送交{me}。",
        ],
        "lists": [{"title": "查询事项", "items": _lines(r, "questions")}],
    }


FORM_TEXTS: Mapping[str, Callable[[ContextBuilder, Record, Mapping[str, Any]], Text]] = {
    "inquiry_notice": inquiry_notice,
    "material_request": material_request,
    "register_preservation": register_preservation,
    "preservation_handling": preservation_handling,
    "compulsory_measure": compulsory_measure,
    "compulsory_extension": compulsory_extension,
    "compulsory_release": compulsory_release,
    "appraisal": appraisal,
    "appraisal_result_notice": appraisal_result_notice,
    "hearing_right_notice": hearing_right_notice,
    "hearing_notice": hearing_notice,
    "rectification_order": rectification_order,
    "payment_deferral": payment_deferral,
    "case_transfer": case_transfer,
    "court_enforcement": court_enforcement,
    "stats_inspection_notice": stats_inspection_notice,
    "stats_inquiry": stats_inquiry,
}


def form_text(builder: ContextBuilder, record: Record, ctx: Mapping[str, Any]) -> Text:
    """``form`` of the notice template: addressee, paragraphs, item lists, approval line."""
    make = FORM_TEXTS.get(record.kind)
    text: Text = make(builder, record, ctx) if make else {"paragraphs": []}
    return {
        "addressee": text.get("addressee") or "",
        "paragraphs": [p for p in text.get("paragraphs", []) if p],
        "lists": [
            {"title": x["title"], "entries": [f"{n}. {i}" for n, i in enumerate(x["items"], 1)]}
            for x in text.get("lists", [])
            if x["items"]
        ],
        "approval": text.get("approval") or "",
    }
