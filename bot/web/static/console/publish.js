// Publishing: start a build of the index from the published entries, follow the job
// (queued / running / done / failed with the reason), version history with rollback.
import { api, confirmBox, el, errorBanner, fmtDateTime, table, toast } from "/static/common.js";
import { followJob } from "/static/console/ui.js";

const LAST_JOB = "console.lastJob"; // sessionStorage: the job survives moving between views

export async function render(ctx) {
  const { root, can, state } = ctx;
  const jobBox = el("div", { id: "job-status" });
  const versionsBox = el("div", { id: "versions" }, el("p", { class: "muted" }, "正在加载…"));
  const publish = can("publish")
    ? el("button", { type: "button", class: "primary", id: "publish-now" }, "立即发布")
    : null;

  async function follow(jobId) {
    sessionStorage.setItem(LAST_JOB, jobId);
    const job = await followJob(jobId, jobBox, state, ctx.isCurrent);
    if (job && job.state === "done") await loadVersions();
  }

  if (publish) {
    publish.addEventListener("click", async () => {
      publish.disabled = true;
      try {
        const body = await api("/api/console/publish", { method: "POST", body: {} });
        toast("已开始发布", "ok");
        await follow(body.job_id);
      } catch (err) {
        jobBox.replaceChildren(errorBanner(err));
      } finally {
        publish.disabled = false;
      }
    });
  }

  async function rollback(name) {
    if (!(await confirmBox(`回滚到版本 ${name}？机器人将在几秒内改用该版本回答。`, "回滚"))) return;
    try {
      const body = await api(`/api/console/versions/${encodeURIComponent(name)}/rollback`, { method: "POST", body: {} });
      toast(`已回滚，当前版本：${body.current}`, "ok");
      await loadVersions();
    } catch (err) {
      versionsBox.prepend(errorBanner(err));
    }
  }

  async function loadVersions() {
    let body;
    try {
      body = await api("/api/console/versions");
    } catch (err) {
      versionsBox.replaceChildren(errorBanner(err));
      return;
    }
    state.versions = body;
    const columns = [
      { label: "版本", value: (v) => el("span", {}, v.name, v.name === body.current ? [" ", el("span", { class: "badge serving" }, "当前线上")] : null) },
      { label: "创建时间", value: (v) => fmtDateTime(v.created_at) },
      { label: "条目数", value: (v) => (v.entries == null ? "" : String(v.entries)), class: "num" },
      { label: "发布人", value: (v) => v.published_by || "" },
      { label: "说明", value: (v) => v.note || "" },
    ];
    if (can("publish")) {
      columns.push({
        label: "操作",
        value: (v) => (v.name === body.current ? "" : el("button", { type: "button", class: "small", dataset: { version: v.name }, onclick: () => rollback(v.name) }, "回滚到此版本")),
      });
    }
    versionsBox.replaceChildren(
      el("p", { id: "current-version" }, "当前线上版本：", el("strong", {}, body.current || "（无）")),
      table(columns, body.items || [], { class: "data versions", empty: "还没有发布过版本" }));
  }

  root.append(
    el("h2", {}, "发布与版本"),
    el("section", { class: "card" }, el("h3", {}, "发布状态"),
      el("p", { class: "muted" }, "发布会在后台重建索引并无缝切换，不需要重启；构建失败时线上继续使用原版本。"),
      publish, jobBox),
    el("section", { class: "card" }, el("h3", {}, "版本历史"), versionsBox));
  const last = sessionStorage.getItem(LAST_JOB);
  await loadVersions();
  if (last && ctx.isCurrent()) follow(last);
}
