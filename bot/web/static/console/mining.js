// The mined clusters of unanswered questions (bot/console/routes_mining.py): the latest run's
// report ranked by the contacts an answer would deflect, a "重新分析" button that starts an
// incremental run and follows it, and per cluster "采纳为新条目（草稿）" (then the draft
// opens in the editor) or "并入条目…". Every text goes in through el()/textContent.
// state.miningJob mirrors the latest poll for the end-to-end tests.
import { api, el, errorBanner, errorText, fmtDateTime, fmtScore, setText, toast } from "/static/common.js";

export const COVERAGE_LABELS = Object.freeze({ covered: "已覆盖", partial: "部分覆盖", new: "新话题", unknown: "未比对" });
// Colours of the existing badge styles: covered green, partial amber, new blue.
const COVERAGE_CLASSES = { covered: "status-published", partial: "status-in_review", new: "serving", unknown: "not-serving" };
const PHASE_LABELS = { reading: "读取对话记录", waiting: "等待另一个分析任务", mining: "聚类并比对知识库" };

export function coverageBadge(coverage) {
  const key = coverage || "unknown";
  return el("span", { class: `badge coverage ${COVERAGE_CLASSES[key] || ""}`, dataset: { coverage: key } }, COVERAGE_LABELS[key] || key);
}

function growthBadge(cluster) {
  if (cluster.rising) {
    const times = typeof cluster.growth === "number" ? ` ×${cluster.growth.toFixed(1)}` : "";
    return el("span", { class: "badge status-in_review growth", dataset: { rising: "1" } }, `↑ 上升${times}`);
  }
  return typeof cluster.growth === "number" ? el("span", { class: "badge growth muted" }, `增长 ×${cluster.growth.toFixed(1)}`) : null;
}

function entryLink(faqId, text) {
  return el("a", { href: `#/entry/${encodeURIComponent(faqId)}` }, text || faqId);
}

function mergeForm(cluster, accept) {
  const target = el("input", { type: "text", class: "merge-target", value: cluster.nearest_faq_id || "", placeholder: "条目编号，例如 FAQ-0001", attrs: { "aria-label": "并入的条目编号" } });
  const message = el("div", { class: "merge-message" });
  const ok = el("button", { type: "submit", class: "primary small merge-submit" }, "并入");
  const form = el("form", { class: "merge-form" },
    el("label", {}, "把这个聚类的问法加为相似问法，并入条目"), target, message,
    el("div", { class: "row" }, ok, el("button", { type: "button", class: "small", onclick: () => form.remove() }, "取消")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const faqId = target.value.trim();
    if (!faqId) {
      message.replaceChildren(el("p", { class: "form-error" }, "请填写要并入的条目编号"));
      return;
    }
    ok.disabled = true;
    try {
      await accept(faqId, message);
    } finally {
      ok.disabled = false;
    }
  });
  return form;
}

function clusterCard(cluster, ctx) {
  const slot = el("div", { class: "cluster-slot" });
  async function accept(faqId, box) {
    try {
      const body = await api(`/api/console/mining/clusters/${encodeURIComponent(cluster.id)}/accept`, { method: "POST", body: faqId ? { faq_id: faqId } : {} });
      ctx.state.accepted = body;
      const what = body.mode === "merged" ? `已把 ${body.added.length} 个问法并入 ${body.entry.faq_id}（草稿，待审核）` : `已创建草稿 ${body.entry.faq_id}：请填写答案后提交审核`;
      toast(what, "ok");
      ctx.go("entry", [body.entry.faq_id]);
    } catch (err) {
      box.replaceChildren(errorBanner(err));
    }
  }
  const nearest = cluster.nearest_faq_id
    ? el("p", { class: "muted small-text cluster-nearest" }, "最接近的条目：",
      entryLink(cluster.nearest_faq_id, `${cluster.nearest_faq_id}「${cluster.nearest_question || ""}」`),
      ` 相似度 ${fmtScore(cluster.nearest_score)}`)
    : el("p", { class: "muted small-text cluster-nearest" }, "没有接近的条目");
  const examples = el("ul", { class: "examples" }, (cluster.examples || []).map((text) => el("li", { class: "example-text" }, text)));
  const keywords = (cluster.keywords || []).length
    ? el("p", { class: "small-text cluster-keywords" }, `关键词：${cluster.keywords.join("、")}`) : null;
  const accepted = cluster.accepted
    ? el("div", { class: "banner ok cluster-accepted" }, `已${cluster.accepted.mode === "merged" ? "并入" : "采纳为"} `,
      entryLink(cluster.accepted.faq_id), `（${cluster.accepted.by}，${fmtDateTime(cluster.accepted.at)}）`)
    : null;
  let actions = null;
  if (ctx.can("entries.edit") && !cluster.accepted) {
    const acceptButton = el("button", { type: "button", class: "small primary cluster-accept" }, "采纳为新条目（草稿）");
    acceptButton.addEventListener("click", async () => {
      acceptButton.disabled = true;
      await accept(null, slot);
      acceptButton.disabled = false;
    });
    const mergeButton = el("button", { type: "button", class: "small cluster-merge-open" }, "并入条目…");
    mergeButton.addEventListener("click", () => slot.replaceChildren(mergeForm(cluster, accept)));
    actions = el("div", { class: "row" }, acceptButton, mergeButton);
  }
  return el("li", { class: "card group cluster", dataset: { clusterId: cluster.id, coverage: cluster.coverage || "unknown" } },
    el("div", { class: "row" },
      el("span", { class: "badge cluster-rank" }, `#${cluster.rank}`),
      el("strong", { class: "grow group-label cluster-rep" }, cluster.representative),
      el("span", { class: "badge cluster-size" }, `${cluster.size} 条`),
      growthBadge(cluster), coverageBadge(cluster.coverage)),
    keywords, examples, nearest,
    cluster.hint ? el("p", { class: "muted small-text" }, cluster.hint) : null,
    accepted, actions, slot);
}

function showFinished(line, job) {
  line.dataset.state = job.state;
  line.className = job.state === "done" ? "banner ok" : "banner error";
  const when = job.finished_at ? `（${fmtDateTime(job.finished_at)}）` : "";
  setText(line, job.state === "done" ? `${job.message}${when}` : `${job.message}：${job.error || "未知原因"}${when}`);
}

// Poll a run until it ends; resolves with the final job (null when polling failed).
async function followRun(jobId, line, ctx) {
  for (let delay = 400; ; delay = Math.min(delay * 1.4, 2000)) {
    let job;
    try {
      job = (await api(`/api/console/mining/run/${encodeURIComponent(jobId)}`)).job;
    } catch (err) {
      line.className = "banner error";
      setText(line, `无法获取分析任务状态：${errorText(err)}`);
      return null;
    }
    ctx.state.miningJob = job;
    line.dataset.state = job.state;
    if (job.state === "done" || job.state === "failed") {
      showFinished(line, job);
      return job;
    }
    const phase = PHASE_LABELS[job.phase] || "排队中";
    const rows = job.rows != null ? `，${job.rows} 条问题` : "";
    const elapsed = job.elapsed_s != null ? `，已用 ${Math.round(job.elapsed_s)} 秒` : "";
    setText(line, `正在分析（${phase}${rows}${elapsed}）… ${job.phase === "waiting" ? job.message : ""}`.trim());
    if (!ctx.isCurrent()) return job;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

// `onDone`: called when a run this page followed has finished (e.g. to reload the view);
// by default the panel reloads itself.
export async function miningPanel(ctx, { onDone = null } = {}) {
  const progress = el("div", { id: "mining-progress", attrs: { role: "status" } });
  const meta = el("p", { class: "muted small-text", id: "mining-meta" });
  const list = el("div", { id: "mining-list" });
  const runButton = el("button", { type: "button", class: "primary", id: "mining-run" }, "重新分析");
  const section = el("section", { class: "card mining", id: "mining" },
    el("div", { class: "row" }, el("h3", { class: "grow" }, "高频未解答问题（聚类分析）"), runButton),
    meta, progress, list);

  async function follow(jobId) {
    runButton.disabled = true;
    const line = el("div", { class: "banner info", id: "mining-job", dataset: { jobId, state: "running" } }, "正在分析…");
    progress.replaceChildren(line);
    const job = await followRun(jobId, line, ctx);
    runButton.disabled = false;
    if (job && job.state === "done" && ctx.isCurrent()) await (onDone ? onDone(job) : load(false));
  }

  async function load(resume) {
    let body;
    try {
      body = await api("/api/console/mining", { query: { limit: 50 } });
    } catch (err) {
      list.replaceChildren(errorBanner(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    ctx.state.mining = body;
    const report = body.report;
    setText(meta, report
      ? `上次分析：${fmtDateTime(body.ran_at)}，共 ${body.rows} 条未解答的问题，${body.clusters_total} 个高频问题（按一条答案能分流的来电量排序）。`
      : "");
    const clusters = report ? report.clusters : [];
    list.replaceChildren(clusters.length
      ? el("ol", { class: "groups", id: "mining-clusters" }, clusters.map((c) => clusterCard(c, ctx)))
      : el("p", { class: "muted", id: "mining-empty" }, body.message || "没有高频问题。"));
    const job = body.job;
    if (resume && job && (job.state === "queued" || job.state === "running")) follow(job.job_id);
    else if (job && (job.state === "done" || job.state === "failed")) {
      const line = el("div", { id: "mining-job", dataset: { jobId: job.job_id } });
      showFinished(line, job);
      progress.replaceChildren(line);
    }
  }

  runButton.addEventListener("click", async () => {
    runButton.disabled = true;
    try {
      const body = await api("/api/console/mining/run", { method: "POST" });
      ctx.state.miningJob = body.job;
      await follow(body.job_id);
    } catch (err) {
      progress.replaceChildren(errorBanner(err));
      runButton.disabled = false;
    }
  });
  await load(true);
  return section;
}
