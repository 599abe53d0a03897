// The audit log: who changed what, when, with the state before and after (admins see all of
// it; reviewers see the entries' part, the server decides).
import { api, el, errorBanner, fmtDateTime, table } from "/static/common.js";
import { pager } from "/static/console/ui.js";

const PAGE_SIZE = 50;
const ACTION_LABELS = {
  login: "登录", logout: "退出", create: "新建", update: "修改", submit: "提交审核",
  approve: "通过并发布", reject: "退回", created: "新建", updated: "修改", submitted: "提交审核",
  approved: "通过并发布", rejected: "退回", retired: "下线", retire: "下线", publish: "发布", rollback: "回滚",
  import: "导入", imported: "导入", similar_added: "添加相似问", user_created: "新建用户",
  user_updated: "修改用户", login_failed: "登录失败", seed: "初始导入知识库",
};

// Entry actions are logged as "entry_<action>" (bot/console/entries.py).
function actionLabel(action) {
  return ACTION_LABELS[action] || ACTION_LABELS[String(action).replace(/^entry_/, "")] || action;
}

function show(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 1);
}

// What changed, field by field, as text; the whole objects stay one click away.
function change(item) {
  const { before, after } = item;
  if (before && after && typeof before === "object" && typeof after === "object") {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return el("div", {}, el("ul", { class: "diff" }, keys.map((k) =>
      el("li", {}, el("strong", {}, k), "：", el("del", {}, show(before[k])), " → ", el("ins", {}, show(after[k]))))),
    el("details", {}, el("summary", {}, "完整内容"), el("pre", {}, `修改前：${show(before)}\n修改后：${show(after)}`)));
  }
  const text = [before != null ? `修改前：${show(before)}` : "", after != null ? `修改后：${show(after)}` : ""].filter(Boolean).join("\n");
  if (text.length <= 200) return el("pre", { class: "change" }, text);
  const headline = after && typeof after === "object" && after.question ? `修改后：${after.question}` : "查看内容";
  return el("details", {}, el("summary", {}, headline), el("pre", { class: "change" }, text));
}

export async function render(ctx) {
  const { root, query, go } = ctx;
  const page = Math.max(1, Number.parseInt(query.page || "1", 10) || 1);
  const user = el("input", { type: "text", id: "audit-user", name: "user", value: query.user || "", placeholder: "用户名" });
  const entity = el("input", { type: "text", id: "audit-entity", name: "entity", value: query.entity || "", placeholder: "对象，例如 entry:FAQ-0001 或 entry:" });
  const form = el("form", { class: "card filters" }, el("div", { class: "row" },
    el("div", { class: "grow" }, user), el("div", { class: "grow" }, entity), el("button", { type: "submit", class: "primary" }, "筛选")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go("audit", [], { user: user.value.trim(), entity: entity.value.trim(), page: 1 });
  });
  root.append(el("h2", {}, "操作日志"), form);
  let body;
  try {
    body = await api("/api/console/audit", { query: { user: query.user, entity: query.entity, page } });
  } catch (err) {
    root.append(errorBanner(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  const columns = [
    { label: "时间", value: (i) => fmtDateTime(i.at), class: "nowrap" },
    { label: "用户", value: (i) => i.username },
    { label: "操作", value: (i) => actionLabel(i.action) },
    { label: "对象", value: (i) => i.entity },
    { label: "修改内容", value: change },
  ];
  root.append(table(columns, body.items || [], { class: "data audit", empty: "没有记录" }),
    pager(body.total || 0, page, PAGE_SIZE, (p) => go("audit", [], { user: query.user, entity: query.entity, page: p })));
}
