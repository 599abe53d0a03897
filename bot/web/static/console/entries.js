// The FAQ list: search, filters (category, department, status, expiring soon), paging.
// The filters live in the hash (#/entries?q=..&status=..), so back and reload keep them.
import { api, el, errorBanner, fmtDateTime, table } from "/static/common.js";
import { pager, servingBadge, STATUS_LABELS, statusBadge, validity } from "/static/console/ui.js";

const PAGE_SIZE = 20;
const EXPIRING = [["", "到期时间不限"], ["7", "7 天内到期"], ["30", "30 天内到期"], ["90", "90 天内到期"]];

function select(name, value, options) {
  const node = el("select", { name, id: `filter-${name}` },
    options.map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
  return node;
}

export async function render(ctx) {
  const { root, query, go, can } = ctx;
  const page = Math.max(1, Number.parseInt(query.page || "1", 10) || 1);
  const filters = {
    q: query.q || "", category: query.category || "", department: query.department || "",
    status: query.status || "", expiring_days: query.expiring_days || "",
  };
  const results = el("div", { class: "results" }, el("p", { class: "muted" }, "正在加载…"));
  const heading = el("div", { class: "row view-head" }, el("h2", { class: "grow" }, "知识条目"),
    can("entries.edit") ? el("button", { type: "button", class: "primary", id: "new-entry", onclick: () => go("entry", ["new"]) }, "新建条目") : null);
  root.append(heading);

  let body;
  try {
    body = await api("/api/console/entries", { query: { ...filters, page, page_size: PAGE_SIZE } });
  } catch (err) {
    root.append(errorBanner(err));
    return;
  }
  if (!ctx.isCurrent()) return;

  const search = el("input", { type: "search", name: "q", id: "filter-q", value: filters.q, placeholder: "搜索问题、相似问或答案" });
  const categories = [["", "全部分类"], ...(body.categories || []).map((c) => [c, c])];
  const departments = [["", "全部部门"], ...(body.departments || []).map((d) => [d, d])];
  const statuses = [["", "全部状态"], ...Object.entries(STATUS_LABELS)];
  const form = el("form", { class: "filters card", id: "filters" },
    el("div", { class: "row" }, el("div", { class: "grow" }, search),
      el("button", { type: "submit", class: "primary" }, "搜索")),
    el("div", { class: "row filter-selects" },
      select("category", filters.category, categories),
      select("department", filters.department, departments),
      select("status", filters.status, statuses),
      select("expiring_days", filters.expiring_days, EXPIRING)));
  const apply = (event) => {
    if (event) event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    go("entries", [], { ...data, page: 1 });
  };
  form.addEventListener("submit", apply);
  for (const s of form.querySelectorAll("select")) s.addEventListener("change", () => apply());
  root.append(form, results);

  const columns = [
    { label: "编号", value: (e) => e.faq_id, class: "nowrap" },
    { label: "标准问题", value: (e) => el("span", { class: "question" }, e.question) },
    { label: "分类", value: (e) => e.category },
    { label: "部门", value: (e) => e.department || "" },
    { label: "状态", value: (e) => el("span", {}, statusBadge(e.status), " ", servingBadge(e)) },
    { label: "有效期", value: (e) => validity(e) },
    { label: "最后修改", value: (e) => `${fmtDateTime(e.updated_at)} ${e.updated_by || ""}` },
  ];
  results.replaceChildren(
    table(columns, body.items || [], {
      class: "data entries", empty: "没有符合条件的条目",
      onRow: (e) => go("entry", [e.faq_id]),
    }),
    pager(body.total || 0, page, PAGE_SIZE, (p) => go("entries", [], { ...filters, page: p })),
  );
}
