"""What each action code of the access log means, in Chinese: the one map the access-log page
shows (and ``tests/unit/test_access_labels.py`` checks that every code used in ``src`` has a
label). The codes are those of :func:`lawtrail.web.actions.do_log_access` callers, the sign-in
events, and — for a refusal logged where no view named the act — the name of the page or API
operation the request was for (:mod:`lawtrail.web.middleware`)."""

from __future__ import annotations

from lawtrail.core.record_kinds import RECORD_KINDS

ACTION_LABELS: dict[str, str] = {
    # reading a case
    "view_case": "查看案件",
    "view_verification": "查看案件核验",
    "view_records": "查看记录列表",
    "view_record": "查看记录",
    "view_findings": "查看检查结果",
    "verify_case": "核验账本",
    "view_approval": "查看内部审批",
    "view_media_list": "查看音像资料",
    "view_media": "播放音像资料",
    "download_media": "下载音像资料",
    "download": "下载文书",
    "download_receipt": "下载存证回执",
    "archive_form": "查看组卷归档",
    "export": "导出电子档案包",
    # recording in a case
    "record_form": "填写记录",
    "append_record": "记录",
    "save_draft": "保存记录草稿",
    "approval_step": "办理内部审批",
    "role_act": "办理本人职责事项",
    "upload_media": "上传音像资料",
    "generate_document": "生成文书",
    "archive_case": "组卷归档",
    "open_case": "立案",
    "change_header_form": "查看变更案件信息",
    "change_header": "变更案件信息",
    # 保密与查阅、复制 (lawtrail.web.views.secrecy, issue #16)
    "view_secrecy": "查看保密管理",
    "secrecy": "标识密级或申请查看",
    "view_labelled": "查看标识为秘密的内容",
    "copy_form": "查看查阅复制申请登记表",
    "register_copy": "登记查阅复制申请",
    "view_copy": "查看查阅复制申请",
    "copy_act": "办理查阅复制申请",
    "download_copy": "下载查阅复制副本",
    "case_secrecy": "查看保密管理",
    "copy_new": "登记查阅复制申请",
    "copy_detail": "查看查阅复制申请",
    "copy_file": "下载查阅复制副本",
    # 责令限期整改 (lawtrail.web.views.orders)
    "order_form": "查看责令整改表单",
    "issue_order": "责令限期整改",
    "view_order": "查看责令整改",
    "answer_form": "查看整改答复表单",
    "answer_order": "答复整改",
    "download_evidence": "下载整改证明材料",
    "order_list": "查看责令整改列表",
    "order_new": "责令限期整改",
    "order_detail": "查看责令整改",
    "order_answer": "答复整改",
    "order_evidence": "下载整改证明材料",
    "list_orders": "查看责令整改列表",
    # 监督看板 and the 评议考核 report (lawtrail.web.views.dashboard, lawtrail.web.views.report)
    "dashboard": "查看监督看板",
    "report": "查看评议考核报表",
    "download_report": "下载评议考核报表",
    "get_report": "查看评议考核报表",
    "get_order": "查看责令整改",
    # 案卷评查 (lawtrail.web.views.reviews, lawtrail.web.api_reviews)
    "sample_cases": "抽取评查案卷",
    "review_form": "查看案卷评查表单",
    "review_case": "案卷评查评分",
    "view_review": "查看案卷评查表",
    "review_list": "查看案卷评查",
    "review_sample": "抽取评查案卷",
    "review_sampling": "查看案卷抽取记录",
    "review_score": "案卷评查评分",
    "review_detail": "查看案卷评查表",
    "list_reviews": "查看案卷评查",
    "create_sampling": "抽取评查案卷",
    "get_sampling": "查看案卷抽取记录",
    "submit_review": "案卷评查评分",
    "get_review": "查看案卷评查表",
    # signing in
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定",
    "password_changed": "修改密码",
    "otp_enrolled": "绑定动态口令",
    "otp_failed": "动态口令错误",
    "token_created": "创建API令牌",
    "token_revoked": "吊销API令牌",
    # refusals counted, not logged one by one (lawtrail.web.denials), of several acts
    "multiple": "多项操作",
    # pages and API operations (the action of a refusal no view named; see the module doc)
    "request": "请求",
    "home": "访问首页",
    "inbox": "查看待办",
    "case_list": "查看案件列表",
    "case_new": "立案",
    "case_detail": "查看案件",
    "record_new": "记录",
    "record_detail": "查看记录",
    "record_receipt": "下载存证回执",
    "record_document": "生成文书",
    "document_file": "下载文书",
    "case_archive": "组卷归档",
    "case_export": "导出电子档案包",
    "media_page": "查看音像资料",
    "media_upload": "上传音像资料",
    "media_file": "播放音像资料",
    "access_log": "查看查阅记录",
    "witness_page": "查看见证服务",
    "kept_form": "恢复填写内容",
    "me": "查看当前用户",
    "record_kinds": "查看记录类型",
    "list_cases": "查看案件列表",
    "get_case": "查看案件",
    "list_records": "查看记录列表",
    "get_record": "查看记录",
    "findings": "查看检查结果",
    "verification": "核验账本",
    "list_media": "查看音像资料",
    "case_change": "变更案件信息",
    "list_header_changes": "查看案件信息变更记录",
}

# Targets that are codes rather than ids of what was accessed.
TARGET_LABELS: dict[str, str] = {"idle": "长时间未操作，自动退出"}

OUTCOME_LABELS = {"allowed": "允许", "denied": "拒绝"}
CHANNEL_LABELS = {"web": "网页", "api": "接口", "cli": "命令行"}


def action_label(code: object) -> str:
    """The Chinese label of an action code; an unknown one is shown as 其他操作（code）."""
    text = "" if code is None else str(code)
    label = ACTION_LABELS.get(text)
    return label if label is not None else f"其他操作（{text}）"


def target_label(target: object) -> str:
    """What the access was to, for the page: a record kind (the target of a record form) by its
    Chinese name, a token by its prefix; record ids, digests and order ids as they are."""
    text = "" if target is None else str(target)
    kind = RECORD_KINDS.get(text)
    if kind is not None:
        return kind.label
    if text.startswith("token:"):
        return f"令牌 {text.removeprefix('token:')}…"
    return TARGET_LABELS.get(text, text)
