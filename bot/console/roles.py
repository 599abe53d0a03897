"""The console's roles and what each may do (no imports: the CLI's --help reads it)."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("editor", "reviewer", "manager", "admin")

_EDITOR = frozenset({
    "entries.read", "entries.edit", "entries.try", "import", "export", "unanswered",
})
_REVIEWER = _EDITOR | {"entries.review", "publish", "audit.entries"}
_MANAGER = frozenset({"entries.read", "export", "dashboard"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": _EDITOR,
    "reviewer": _REVIEWER,
    "manager": _MANAGER,
    "admin": _REVIEWER | _MANAGER | {"users", "audit"},
}
# What a missing permission stops, for the 403 message ("您的角色没有权限…").
ACTIONS = {
    "entries.read": "查看知识条目",
    "entries.edit": "编辑知识条目",
    "entries.try": "试问和查重",
    "entries.review": "审核、驳回或下线条目",
    "publish": "发布或回滚索引版本",
    "import": "导入知识库",
    "export": "导出",
    "unanswered": "处理未解答问题",
    "dashboard": "查看运营看板",
    "users": "管理用户",
    "audit": "查看审计日志",
    "audit.entries": "查看条目的审计日志",
}
