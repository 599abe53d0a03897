// One entry: the form (standard question, similar questions, answer, category, department,
// validity), the save-time check, "试一试", the workflow buttons the role may use, history.
// #/entry/new opens an empty draft (or ctx.prefill, e.g. from an unanswered question).
import { add, api, ApiError, confirmBox, el, errorBanner, errorText, fmtDateTime, replace, toast } from "/static/common.js";
import { checkPanel, tryPanel } from "/static/console/check.js";
import { field, similarList } from "/static/console/fields.js";
import { followJob, servingBadge, statusBadge } from "/static/console/ui.js";

// History actions as bot/console/entries.py names them (the short forms too, to be safe).
const ACTION_LABELS = {
  seeded: "初始导入", created: "新建", updated: "修改", similar_added: "添加相似问", imported: "导入", submitted: "提交审核", approved: "通过并发布", rejected: "退回", retired: "下线",
  create: "新建", update: "修改", submit: "提交审核", approve: "通过并发布", reject: "退回", retire: "下线",
};

export async function render(ctx) {
  const { root, args, can, state, go } = ctx;
  const isNew = args[0] === "new" || !args[0];
  let entry = null;
  let history = [];
  if (!isNew) {
    try {
      const body = await api(`/api/console/entries/${encodeURIComponent(args[0])}`);
      entry = body.entry;
      history = body.history || [];
    } catch (err) {
      root.append(errorBanner(err));
      return;
    }
    if (!ctx.isCurrent()) return;
  }
  const start = entry || { faq_id: "", question: "", similar_questions: [], answer: "", category: "", department: "", valid_from: null, valid_to: null, ...(ctx.prefill || {}) };
  const readOnly = !can("entries.edit");
  const canTry = can("entries.try"); // the check and "试一试" panels
  let dirty = isNew && Boolean(ctx.prefill);
  let acknowledged = null; // the draft (as JSON) whose warnings the editor chose to save over

  const inputs = {
    faq_id: el("input", { id: "f-faq_id", value: start.faq_id || "", readOnly: !isNew, disabled: readOnly, placeholder: "留空则自动编号" }),
    question: el("input", { id: "f-question", value: start.question || "", disabled: readOnly, required: true }),
    answer: el("textarea", { id: "f-answer", value: start.answer || "", disabled: readOnly, required: true }),
    category: el("input", { id: "f-category", value: start.category || "", disabled: readOnly, required: true, attrs: { list: "category-options" } }),
    department: el("input", { id: "f-department", value: start.department || "", disabled: readOnly, attrs: { list: "department-options" } }),
    valid_from: el("input", { id: "f-valid_from", type: "date", value: start.valid_from || "", disabled: readOnly }),
    valid_to: el("input", { id: "f-valid_to", type: "date", value: start.valid_to || "", disabled: readOnly }),
  };
  const changed = () => { dirty = true; acknowledged = null; renderActions(); if (canTry) check.schedule(); };
  const similar = similarList(start.similar_questions || [], readOnly, changed);
  for (const input of Object.values(inputs)) input.addEventListener("input", changed);

  const getDraft = () => {
    const draft = {
      question: inputs.question.value.trim(), similar_questions: similar.values(),
      answer: inputs.answer.value.trim(), category: inputs.category.value.trim(),
      department: inputs.department.value.trim(),
      valid_from: inputs.valid_from.value || null, valid_to: inputs.valid_to.value || null,
    };
    const id = (entry && entry.faq_id) || inputs.faq_id.value.trim();
    if (id) draft.faq_id = id;
    return draft;
  };
  const check = checkPanel({ state, getDraft });
  const formError = el("div", { id: "form-error", attrs: { role: "alert" } });
  const head = el("div", { class: "editor-head" });
  const actions = el("div", { class: "row actions", id: "workflow" });
  const jobBox = el("div", { id: "job-status" });
  const comment = el("textarea", { id: "review-comment", class: "short", placeholder: "审核意见（退回时必填）" });
  const reviewBox = el("div", { class: "review-box", hidden: true }, field("审核意见", comment));

  function renderHead() {
    const title = entry ? `条目 ${entry.faq_id}` : "新建条目";
    const meta = entry ? el("p", { class: "muted small-text", id: "entry-meta" },
      `第 ${entry.revision} 版 · ${fmtDateTime(entry.updated_at)} ${entry.updated_by || ""}`) : null;
    const rejected = entry && entry.review_comment
      ? el("div", { class: "banner warn", id: "review-comment-shown" }, `审核意见：${entry.review_comment}`) : null;
    replace(head,
      el("div", { class: "row" }, el("h2", { class: "grow", id: "editor-title" }, title),
        entry ? statusBadge(entry.status) : el("span", { class: "badge status-draft" }, "未保存"),
        entry ? servingBadge(entry) : null),
      meta, rejected);
  }

  function button(id, label, handler, kind = "") {
    return el("button", { type: "button", id, class: kind, onclick: () => guarded(handler) }, label);
  }

  function renderActions() {
    const status = entry ? entry.status : "draft";
    const list = [];
    if (can("entries.edit")) {
      const warned = acknowledged !== null;
      list.push(button("save", warned ? "仍然保存" : (entry ? "保存修改" : "保存草稿"), save, "primary"));
    }
    if (can("entries.edit") && status === "draft") list.push(button("submit", "提交审核", submit));
    if (entry && can("entries.review") && status === "in_review") {
      list.push(button("approve", "通过并发布", approve, "primary"));
      list.push(button("reject", "退回", reject, "danger"));
    }
    // Retiring a draft that never went live means nothing to citizens: offer it for what serves.
    if (entry && can("entries.review") && status !== "retired" && (status === "published" || entry.serving)) {
      list.push(button("retire", "下线", retire, "danger"));
    }
    list.push(el("button", { type: "button", onclick: () => go("entries") }, "返回列表"));
    if (entry && status === "in_review" && !can("entries.review")) {
      list.push(el("span", { class: "muted small-text" }, "已提交审核，等待审核员处理；此时修改会撤回审核、回到草稿。"));
    }
    if (entry && status !== "draft" && status !== "in_review" && can("entries.edit")) {
      list.push(el("span", { class: "muted small-text" }, "修改后成为新的草稿，审核发布前线上仍用当前内容。"));
    }
    actions.replaceChildren(...list);
    reviewBox.hidden = !(entry && can("entries.review") && status === "in_review");
  }

  async function guarded(handler) {
    formError.replaceChildren();
    for (const b of actions.querySelectorAll("button")) b.disabled = true;
    try {
      await handler();
    } catch (err) {
      formError.replaceChildren(errorBanner(err));
      if (err instanceof ApiError && err.status === 409) {
        formError.append(el("button", { type: "button", class: "small", onclick: () => go("entry", [entry.faq_id]) }, "重新加载最新内容"));
      }
    } finally {
      for (const b of actions.querySelectorAll("button")) b.disabled = false;
    }
  }

  // A draft may be saved without an answer (an accepted mining cluster starts so); only
  // submitting for review needs one, as the server also enforces.
  function localProblems(draft, forSubmit = false) {
    const problems = [];
    if (!draft.question) problems.push("请填写标准问题");
    if (forSubmit && !draft.answer) problems.push("请填写答案：草稿可以先不写答案，提交审核前必须填写");
    if (!draft.category) problems.push("请填写分类");
    if (draft.valid_from && draft.valid_to && draft.valid_from > draft.valid_to) problems.push("有效期的开始日期不能晚于结束日期");
    return problems;
  }

  function adopt(saved) {
    entry = saved;
    dirty = false;
    acknowledged = null;
    inputs.faq_id.value = entry.faq_id;
    inputs.faq_id.readOnly = true;
    // replaceState: the address shows the saved entry without re-rendering the view.
    replaceHash(`#/entry/${encodeURIComponent(entry.faq_id)}`);
    renderHead();
    renderActions();
    refresh();
  }

  async function save() {
    const draft = getDraft();
    const problems = localProblems(draft);
    if (problems.length) {
      formError.replaceChildren(el("div", { class: "banner error" }, problems.join("；")));
      return false;
    }
    const result = canTry ? check.cached(draft) || (await check.run()) : null;
    const key = JSON.stringify(draft);
    if (check.warns(result) && acknowledged !== key) {
      acknowledged = key;
      renderActions();
      formError.replaceChildren(el("div", { class: "banner warn", id: "save-warning" },
        "发现相近条目或问题冲突（见下方“保存前检查”）。确认不是重复条目后，请再次点击“仍然保存”。"));
      check.node.scrollIntoView({ block: "nearest" });
      return false;
    }
    const body = entry
      ? await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}`, { method: "PUT", body: { ...draft, revision: entry.revision } })
      : await api("/api/console/entries", { method: "POST", body: draft });
    adopt(body.entry);
    toast(`已保存：${body.entry.faq_id}`, "ok");
    return true;
  }

  async function submit() {
    const missing = localProblems(getDraft(), true);
    if (missing.length) {
      formError.replaceChildren(el("div", { class: "banner error" }, missing.join("；")));
      return;
    }
    if ((dirty || !entry) && !(await save())) return;
    const body = await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}/submit`, { method: "POST", body: { revision: entry.revision } });
    adopt(body.entry);
    toast("已提交审核", "ok");
  }

  async function approve() {
    const text = comment.value.trim();
    const body = await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}/approve`, { method: "POST", body: { revision: entry.revision, ...(text ? { comment: text } : {}) } });
    adopt(body.entry);
    toast("已通过审核，正在发布", "ok");
    if (body.job_id) await follow(body.job_id);
  }

  async function follow(jobId) {
    sessionStorage.setItem("console.lastJob", jobId); // the publish view picks it up
    const job = await followJob(jobId, jobBox, state, ctx.isCurrent);
    if (job && job.state === "done" && ctx.isCurrent()) await refresh();
  }

  async function reject() {
    const text = comment.value.trim();
    if (!text) {
      formError.replaceChildren(el("div", { class: "banner error" }, "退回时请填写审核意见，告诉编辑需要修改什么。"));
      comment.focus();
      return;
    }
    const body = await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}/reject`, { method: "POST", body: { comment: text, revision: entry.revision } });
    adopt(body.entry);
    toast("已退回给编辑", "ok");
  }

  async function retire() {
    if (!(await confirmBox(`下线后机器人将不再用条目 ${entry.faq_id} 回答市民。确定下线吗？`, "下线"))) return;
    const body = await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}/retire`, { method: "POST", body: { revision: entry.revision } });
    adopt(body.entry);
    toast("已下线，正在发布", "ok");
    if (body.job_id) await follow(body.job_id);
  }

  const form = el("form", { class: "card editor", id: "entry-form", onsubmit: (e) => e.preventDefault() },
    isNew ? field("编号", inputs.faq_id) : null,
    field("标准问题", inputs.question),
    el("div", { class: "field" }, el("label", { htmlFor: "similar-new" }, "相似问法"), similar.node),
    field("答案", inputs.answer, "市民看到和听到的就是这段文字，请写完整、准确。"),
    el("div", { class: "grid2" }, field("分类", inputs.category), field("承办部门", inputs.department)),
    el("div", { class: "grid2" }, field("生效日期", inputs.valid_from), field("失效日期", inputs.valid_to, "留空表示长期有效")),
    el("datalist", { id: "category-options" }), el("datalist", { id: "department-options" }));

  const historyBox = el("section", { class: "card history", hidden: !entry });
  function renderHistory() {
    replace(historyBox, el("h3", {}, "修改记录"),
      history.length ? el("ol", { id: "history" }, history.map((h) => el("li", {},
        `第 ${h.revision} 版 · ${fmtDateTime(h.at)} · ${h.by || ""} · ${ACTION_LABELS[h.action] || h.action}`)))
        : el("p", { class: "muted" }, "暂无记录"));
    historyBox.hidden = !entry;
  }

  // After a change: the entry as stored now ("serving" flips once a publish is live) and
  // its history. A failure here is not the action's failure: the action already succeeded.
  async function refresh() {
    try {
      const body = await api(`/api/console/entries/${encodeURIComponent(entry.faq_id)}`);
      entry = body.entry;
      history = body.history || [];
      renderHead();
      renderActions();
      renderHistory();
    } catch (err) {
      state.errors.push(errorText(err));
    }
  }

  renderHead();
  renderActions();
  add(root, el("div", { class: "editor-layout" },
    el("div", { class: "editor-main" }, head, form, reviewBox, formError, actions, jobBox),
    el("div", { class: "editor-side" }, canTry ? check.node : null, canTry ? tryPanel({ state, getDraft, readOnly }) : null, historyBox)));
  renderHistory();
  fillOptions();
  if (canTry && getDraft().question) check.run().catch(() => {});

  async function fillOptions() {
    try {
      const body = await api("/api/console/entries", { query: { page: 1, page_size: 1 } });
      const cats = document.getElementById("category-options");
      const deps = document.getElementById("department-options");
      if (cats) cats.replaceChildren(...(body.categories || []).map((c) => el("option", { value: c })));
      if (deps) deps.replaceChildren(...(body.departments || []).map((d) => el("option", { value: d })));
    } catch (err) {
      state.errors.push(errorText(err)); // suggestions only: the form works without them
    }
  }
}

function replaceHash(hash) {
  window.history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
}
