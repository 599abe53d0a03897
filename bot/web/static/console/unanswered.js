// Questions the bot handed over or did not get confirmed. On top, the latest mining run's
// clusters (console/mining.js: ranked, with "重新分析" and accepting a cluster as a draft);
// below, the questions of a date range, grouped (by the latest run's clusters when there is
// one, else clustered on the fly or by nearest entry); each group can become a similar
// question of an entry or the start of a new entry.
import { api, el, errorBanner, fmtDateTime, fmtScore, toast } from "/static/common.js";
import { coverageBadge, miningPanel } from "/static/console/mining.js";

const METHOD_LABELS = {
  mining: "按最近一次聚类分析的高频问题分组（之后新出现的问题另行聚类）",
  clusters: "按问题聚类分组",
  nearest_entry: "按最接近的条目分组",
};

function addSimilarForm(group, ctx, done) {
  const texts = [...new Set([group.label, ...(group.examples || []).map((e) => e.text)].filter(Boolean))];
  const text = el("select", { class: "add-text", attrs: { "aria-label": "要添加的问法" } }, texts.map((t) => el("option", { value: t }, t)));
  const target = el("input", { type: "text", class: "add-target", value: group.nearest_faq_id || "", placeholder: "条目编号，例如 FAQ-0001", attrs: { "aria-label": "目标条目编号" } });
  const message = el("div", { class: "add-message" });
  const ok = el("button", { type: "submit", class: "primary small" }, "添加");
  const form = el("form", { class: "add-similar" },
    el("label", {}, "要添加的问法"), text,
    el("label", {}, "添加到条目"), target, message,
    el("div", { class: "row" }, ok, el("button", { type: "button", class: "small", onclick: () => form.remove() }, "取消")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const faqId = target.value.trim();
    if (!faqId) {
      message.replaceChildren(el("p", { class: "form-error" }, "请填写目标条目的编号"));
      return;
    }
    ok.disabled = true;
    try {
      const body = await api("/api/console/unanswered/add-similar", { method: "POST", body: { faq_id: faqId, text: text.value } });
      toast(`已把“${text.value}”加为 ${body.entry.faq_id} 的相似问（草稿，待审核）`, "ok");
      done(body.entry);
    } catch (err) {
      message.replaceChildren(errorBanner(err));
    } finally {
      ok.disabled = false;
    }
  });
  return form;
}

async function newEntry(group, ctx, box) {
  try {
    const body = await api("/api/console/unanswered/new-entry", { method: "POST", body: { text: group.label } });
    if (body.entry) {
      ctx.go("entry", [body.entry.faq_id]);
      return;
    }
    ctx.setPrefill(body.prefill || { question: group.label });
    ctx.go("entry", ["new"]);
  } catch (err) {
    box.replaceChildren(errorBanner(err));
  }
}

function groupCard(group, ctx) {
  const slot = el("div", { class: "group-slot" });
  const nearest = group.nearest_faq_id
    ? el("p", { class: "muted small-text" }, "最接近的条目：",
      el("a", { href: `#/entry/${encodeURIComponent(group.nearest_faq_id)}` }, `${group.nearest_faq_id}「${group.nearest_question || ""}」`),
      ` 相似度 ${fmtScore(group.nearest_score)}`)
    : el("p", { class: "muted small-text" }, "没有接近的条目");
  const examples = el("ul", { class: "examples" }, (group.examples || []).map((e) =>
    el("li", {}, el("span", { class: "example-text" }, e.text), el("span", { class: "muted small-text" }, ` ×${e.count} · 最近 ${fmtDateTime(e.last_seen)}`))));
  const addButton = el("button", { type: "button", class: "small add-similar-open" }, "添加为相似问到条目…");
  addButton.addEventListener("click", () => {
    slot.replaceChildren(addSimilarForm(group, ctx, (entry) => {
      slot.replaceChildren(el("div", { class: "banner ok" }, "已添加到 ",
        el("a", { href: `#/entry/${encodeURIComponent(entry.faq_id)}` }, entry.faq_id), "，审核通过并发布后生效。"));
    }));
  });
  const newButton = el("button", { type: "button", class: "small new-entry-open", onclick: () => newEntry(group, ctx, slot) }, "据此新建条目");
  return el("li", { class: "card group" },
    el("div", { class: "row" }, el("strong", { class: "grow group-label" }, group.label), el("span", { class: "badge" }, `${group.count} 次`),
      group.cluster_id ? coverageBadge(group.coverage) : null),
    nearest, examples,
    ctx.can("entries.edit") ? el("div", { class: "row" }, addButton, newButton) : null, slot);
}

export async function render(ctx) {
  const { root, query, go } = ctx;
  const since = el("input", { type: "date", id: "un-since", value: query.since || "" });
  const until = el("input", { type: "date", id: "un-until", value: query.until || "" });
  const filter = el("form", { class: "card row filters" },
    el("label", { htmlFor: "un-since", class: "inline" }, "从"), since,
    el("label", { htmlFor: "un-until", class: "inline" }, "到"), until,
    el("button", { type: "submit", class: "primary" }, "查询"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    go("unanswered", [], { since: since.value, until: until.value });
  });
  root.append(el("h2", {}, "未解答问题"));
  // After a run, the whole view reloads: the dated list below is grouped by its clusters.
  const mining = await miningPanel(ctx, { onDone: () => go("unanswered", [], query) });
  if (!ctx.isCurrent()) return;
  root.append(mining, el("h3", {}, "按时间段查看"), filter);
  let body;
  try {
    body = await api("/api/console/unanswered", { query: { since: query.since, until: query.until, limit: 50 } });
  } catch (err) {
    root.append(errorBanner(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  const groups = body.groups || [];
  root.append(
    el("p", { class: "muted", id: "unanswered-method" }, `${METHOD_LABELS[body.method] || body.method || ""}，共 ${groups.length} 组。转人工或市民未确认解决的问题会出现在这里。`),
    groups.length ? el("ol", { class: "groups", id: "unanswered-groups" }, groups.map((g) => groupCard(g, ctx)))
      : el("div", { class: "banner ok" }, "这段时间没有未解答的问题。"));
}
