// Bulk import (xlsx, CSV in UTF-8 or GBK, TSV) with a preview of what would be added, changed
// and rejected before anything is written; export of the knowledge base as CSV or XLSX.
import { add, api, downloadHref, el, errorBanner, table, toast } from "/static/common.js";
import { STATUS_LABELS } from "/static/console/ui.js";

const FIELD_LABELS = {
  faq_id: "编号", category: "分类", question: "标准问题", similar_questions: "相似问法",
  answer: "答案", department: "承办部门", valid_from: "生效日期", valid_to: "失效日期",
};

function exportCard(can) {
  if (!can("export")) return null;
  const status = el("select", { id: "export-status" },
    el("option", { value: "" }, "全部状态"),
    Object.entries(STATUS_LABELS).map(([v, label]) => el("option", { value: v, selected: v === "published" }, label)));
  const links = ["csv", "xlsx"].map((format) => el("a", { class: "button", id: `export-${format}`, download: "", dataset: { format } },
    format === "csv" ? "导出 CSV" : "导出 Excel（XLSX）"));
  const point = () => { for (const a of links) a.href = downloadHref("/api/console/export", { format: a.dataset.format, status: status.value }); };
  status.addEventListener("change", point);
  point();
  return el("section", { class: "card" }, el("h3", {}, "导出知识库"),
    el("div", { class: "row" }, el("label", { htmlFor: "export-status", class: "inline" }, "导出范围"), status,
      ...links));
}

function preview(result, onApply, onCancel) {
  const added = result.added || [];
  const changed = result.changed || [];
  const rejected = result.rejected || [];
  const summary = el("p", { id: "import-summary" },
    `新增 ${added.length} 条，修改 ${changed.length} 条，未变化 ${result.unchanged || 0} 条，拒绝 ${rejected.length} 行。`);
  const apply = el("button", { type: "button", class: "primary", id: "import-apply", disabled: !added.length && !changed.length }, "确认导入");
  const submit = el("input", { type: "checkbox", id: "import-submit" });
  apply.addEventListener("click", () => onApply(apply, submit.checked));
  return el("section", { class: "card", id: "import-preview" },
    el("h3", {}, "导入预览（尚未写入）"), summary,
    el("h4", {}, `将新增（${added.length}）`),
    table([{ label: "编号", value: (r) => r.faq_id || "自动编号" }, { label: "标准问题", value: (r) => r.question }],
      added, { class: "data import-added", empty: "无" }),
    el("h4", {}, `将修改（${changed.length}）`),
    table([{ label: "编号", value: (r) => r.faq_id }, { label: "标准问题", value: (r) => r.question },
      { label: "修改的字段", value: (r) => (r.fields || []).map((f) => FIELD_LABELS[f] || f).join("、") }],
    changed, { class: "data import-changed", empty: "无" }),
    el("h4", {}, `拒绝（${rejected.length}）：这些行不会导入，请修改文件后重新上传`),
    table([{ label: "行号", value: (r) => String(r.row) }, { label: "字段", value: (r) => FIELD_LABELS[r.field] || r.field || "" },
      { label: "原因", value: (r) => r.message }], rejected, { class: "data import-rejected", empty: "无" }),
    el("p", { class: "muted small-text" }, "导入的内容保存为草稿，需审核通过并发布后才会被机器人使用。"),
    el("label", { class: "inline", htmlFor: "import-submit" }, submit, " 导入后直接提交审核"),
    el("div", { class: "row" }, apply, el("button", { type: "button", onclick: onCancel }, "取消")));
}

export async function render(ctx) {
  const { root, can, go, state } = ctx;
  const file = el("input", { type: "file", id: "import-file", accept: ".xlsx,.csv,.tsv,.txt" });
  const out = el("div", { id: "import-out" });
  const upload = el("button", { type: "submit", class: "primary", id: "import-preview-run" }, "上传并预览");
  const form = el("form", { class: "card", id: "import-form" },
    el("h3", {}, "批量导入"),
    el("p", { class: "muted" }, "支持 Excel（.xlsx）、CSV（UTF-8 或 GBK 编码）和 TSV。列：编号、分类、标准问题、相似问法（用 | 分隔）、答案、承办部门、生效日期、失效日期。"),
    el("div", { class: "row" }, el("div", { class: "grow" }, file), upload));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      out.replaceChildren(el("div", { class: "banner error" }, "请先选择要导入的文件"));
      return;
    }
    const data = new FormData();
    data.append("file", chosen, chosen.name);
    upload.disabled = true;
    out.replaceChildren(el("p", { class: "muted" }, "正在解析文件…"));
    try {
      const result = await api("/api/console/import/preview", { method: "POST", form: data });
      state.importPreview = result;
      out.replaceChildren(preview(result, (button, submit) => applyImport(result.token, button, submit), () => out.replaceChildren()));
    } catch (err) {
      out.replaceChildren(errorBanner(err));
    } finally {
      upload.disabled = false;
    }
  });

  async function applyImport(token, button, submit) {
    button.disabled = true;
    try {
      const done = await api(`/api/console/import/${encodeURIComponent(token)}/apply`, { method: "POST", query: { submit }, body: {} });
      state.importApplied = done;
      out.replaceChildren(el("div", { class: "banner ok", id: "import-done" },
        `已导入：新增 ${done.added} 条，修改 ${done.changed} 条（${submit ? "已提交审核" : "均为草稿"}，审核发布后生效）。`),
      el("button", { type: "button", onclick: () => go("entries", [], { status: submit ? "in_review" : "draft" }) }, "查看导入的条目"));
      toast("导入完成", "ok");
    } catch (err) {
      button.disabled = false;
      out.prepend(errorBanner(err));
    }
  }

  add(root, el("h2", {}, "导入导出"), can("import") ? form : null, out, exportCard(can));
}
