"""The roles a user can hold (DOMAIN.md §3 actors), with their Chinese names."""

from __future__ import annotations

OFFICER = "officer"  # 执法人员 (holds an enforcement certificate)
HANDLER = "handler"  # 承办人
REVIEWER = "reviewer"  # 审核人
APPROVER = "approver"  # 批准人 / 负责人
LEGAL = "legal"  # 法制审核人员
ARCHIVIST = "archivist"  # 档案管理员
SUPERVISOR = "supervisor"  # 监督机关（依法治市办）: reads the agencies it supervises
ADMIN = "admin"  # 系统管理员

ROLE_LABELS: dict[str, str] = {
    OFFICER: "执法人员",
    HANDLER: "承办人",
    REVIEWER: "审核人",
    APPROVER: "负责人（批准人）",
    LEGAL: "法制审核人员",
    ARCHIVIST: "档案管理员",
    SUPERVISOR: "监督人员",
    ADMIN: "系统管理员",
}
ROLE_CHOICES = list(ROLE_LABELS.items())
