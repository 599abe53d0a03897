// Pieces several console views share: status badges, the pager, the publish-job poller.
import { api, el, errorText, fmtDateTime, setText } from "/static/common.js";

export const STATUS_LABELS = Object.freeze({
  draft: "草稿",
  in_review: "待审核",
  published: "已发布",
  retired: "已下线",
});

export const DECISION_LABELS = Object.freeze({
  answer: "直接回答",
  clarify: "请市民在几个条目中选择",
  handover: "转人工",
});

const JOB_LABELS = { queued: "排队中", running: "正在构建索引", done: "已完成", failed: "失败" };

export function statusBadge(status) {
  return el("span", { class: `badge status-${status}`, dataset: { status } }, STATUS_LABELS[status] || status);
}

export function servingBadge(entry) {
  return entry.serving
    ? el("span", { class: "badge serving" }, "线上生效")
    : el("span", { class: "badge not-serving" }, "未上线");
}

export function validity(entry) {
  if (!entry.valid_from && !entry.valid_to) return "长期有效";
  return `${entry.valid_from || "…"} 至 ${entry.valid_to || "…"}`;
}

// A pager line: "共 N 条，第 p / P 页" with previous/next buttons calling onPage(page).
export function pager(total, page, pageSize, onPage) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const prev = el("button", { type: "button", class: "small", disabled: page <= 1, onclick: () => onPage(page - 1) }, "上一页");
  const next = el("button", { type: "button", class: "small", disabled: page >= pages, onclick: () => onPage(page + 1) }, "下一页");
  return el("div", { class: "row pager" }, el("span", { class: "muted" }, `共 ${total} 条，第 ${page} / ${pages} 页`), prev, next);
}

// Show a publish job in `box` and poll it until it is done or failed. Resolves with the final
// job. `state.job` mirrors the latest poll for the tests.
export async function followJob(jobId, box, state, isCurrent = () => true) {
  const line = el("div", { class: "banner info job", dataset: { jobId } }, `发布任务 ${jobId}：排队中…`);
  box.replaceChildren(line);
  for (let delay = 500; ; delay = Math.min(delay * 1.5, 3000)) {
    let job;
    try {
      job = await api(`/api/console/publish/${encodeURIComponent(jobId)}`);
    } catch (err) {
      line.className = "banner error job";
      setText(line, `无法获取发布任务状态：${errorText(err)}`);
      return null;
    }
    if (state) state.job = job;
    line.dataset.state = job.state;
    if (job.state === "done") {
      line.className = "banner ok job";
      setText(line, `发布完成：版本 ${job.version || ""} 已上线（${fmtDateTime(job.finished_at)}）。机器人几秒内开始使用新版本。`);
      return job;
    }
    if (job.state === "failed") {
      line.className = "banner error job";
      setText(line, `发布失败，线上仍使用原版本。原因：${job.error || "未知"}`);
      return job;
    }
    setText(line, `发布任务 ${jobId}：${JOB_LABELS[job.state] || job.state}…`);
    if (!isCurrent()) return job;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export function jobLabel(state) {
  return JOB_LABELS[state] || state;
}
