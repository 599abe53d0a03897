// The manager dashboard: sign-in (managers and admins), then every view of /api/dashboard/* for
// a date range and channel, as charts (charts.js) with their tables and CSV/XLSX exports.
// The server checks the role on every call; the page only asks. window.dashboardState mirrors
// what the page shows (the end-to-end test reads it).
import { api, clear, downloadHref, el, errorBanner, errorText, fetchMe, loginView, onUnauthorized, roleLabel, setText, signOut, table } from "/static/common.js";
import { barChart, lineChart, percent } from "/static/charts.js";

const ROLES = ["manager", "admin"];
const CHANNEL_CHOICES = [
  ["", "全部市民渠道"],
  ["chat", "网页聊天"],
  ["voice", "语音"],
  ["phone", "电话"],
  ["replay", "回放测试"],
  ["all", "全部（含回放测试）"],
];
const OUTCOME_SERIES = [
  ["deflected_confirmed", "解决·已确认", "#2e8540"],
  ["deflected_unconfirmed", "解决·未确认", "#8cc79a"],
  ["transferred", "转人工", "#b8282e"],
  ["work_order", "工单", "#c77c02"],
  ["abandoned", "放弃", "#5e6b73"],
  ["open", "进行中", "#c9ced2"],
];

const state = (window.dashboardState = {
  user: null, options: null, query: null, staffingParams: null,
  summary: null, series: {}, topFaqs: null, unanswered: null, staffing: null,
  loads: 0, loading: false, error: null,
});
const viewEl = document.getElementById("view");
const whoEl = document.getElementById("who");
const logoutEl = document.getElementById("logout");
const parts = {}; // the page's live elements, by name

const num = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN"));

function shiftDays(iso, days) {
  const d = new Date(`${iso}T00:00:00`);
  d.setDate(d.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// -- signing in --------------------------------------------------------------------------

async function start() {
  onUnauthorized(() => signInView("登录已过期，请重新登录。"));
  let user = null;
  try {
    user = await fetchMe();
  } catch (err) {
    clear(viewEl);
    viewEl.appendChild(errorBanner(err));
    return;
  }
  if (user && !ROLES.includes(user.role)) return wrongRole(user);
  if (!user) return signInView();
  return open(user);
}

async function signInView(subtitle) {
  state.user = null;
  setText(whoEl, "");
  logoutEl.hidden = true;
  const user = await loginView(viewEl, {
    title: "运营看板登录",
    subtitle: subtitle || "仅限管理者和系统管理员。请使用分配给您的账号登录。",
    roles: ROLES,
  });
  return open(user);
}

function wrongRole(user) {
  clear(viewEl);
  const again = el("button", { type: "button", class: "primary", id: "switch-user" }, "退出并换一个账号登录");
  again.addEventListener("click", async () => {
    await signOut();
    signInView();
  });
  viewEl.appendChild(
    el("div", { class: "login-wrap" }, el("div", { class: "card login" },
      el("h2", {}, "没有权限"),
      el("p", { class: "banner error", attrs: { role: "alert" } },
        `运营看板仅限管理者、系统管理员使用；您当前以“${user.display_name || user.username}”（${roleLabel(user.role)}）登录。`),
      again)),
  );
}

logoutEl.addEventListener("click", async () => {
  await signOut();
  signInView("您已退出登录。");
});

async function open(user) {
  state.user = user;
  setText(whoEl, `${user.display_name || user.username}（${roleLabel(user.role)}）`);
  logoutEl.hidden = false;
  try {
    state.options = await api("/api/dashboard/options");
  } catch (err) {
    clear(viewEl);
    viewEl.appendChild(errorBanner(err));
    return;
  }
  const range = state.options.default_range;
  state.query = { since: range.since, until: range.until, channel: "" };
  state.staffingParams = { ...state.options.staffing };
  shell();
  await load();
}

// -- the page's frame --------------------------------------------------------------------

function exportLinks(view, extra = () => ({})) {
  const links = ["csv", "xlsx"].map((format) =>
    el("a", { class: "button small", dataset: { view, format }, attrs: { download: "" } }, format.toUpperCase()));
  const refresh = () => links.forEach((a) => {
    a.href = downloadHref(`/api/dashboard/export/${view}`, { ...state.query, ...extra(), format: a.dataset.format });
  });
  (parts.exports ||= []).push(refresh);
  return el("span", { class: "exports", attrs: { "aria-label": "导出" } }, el("span", { class: "muted small-text" }, "导出"), ...links);
}

function section(id, title, view, extra, ...body) {
  const node = el("section", { class: "card", id }, el("h2", {}, title, view ? exportLinks(view, extra) : null), ...body);
  return node;
}

function box(name, tag = "div", props = {}) {
  parts[name] = el(tag, props);
  return parts[name];
}

function shell() {
  clear(viewEl);
  parts.exports = [];
  const since = el("input", { type: "date", id: "since", value: state.query.since, required: true });
  const until = el("input", { type: "date", id: "until", value: state.query.until, required: true });
  const channel = el("select", { id: "channel" }, CHANNEL_CHOICES.map(([v, label]) => el("option", { value: v }, label)));
  const apply = el("button", { type: "submit", class: "primary", id: "apply" }, "查询");
  const today = state.options.today;
  const quick = [["今天", 0], ["近7天", 6], ["近30天", 29], ["近90天", 89]].map(([label, back]) =>
    el("button", { type: "button", class: "small", dataset: { days: back + 1 }, onclick: () => {
      since.value = shiftDays(today, -back);
      until.value = today;
      form.requestSubmit();
    } }, label));
  const form = el("form", { class: "card filters", id: "filters" },
    el("div", {}, el("label", { htmlFor: "since" }, "起始日期"), since),
    el("div", {}, el("label", { htmlFor: "until" }, "截止日期（含）"), until),
    el("div", {}, el("label", { htmlFor: "channel" }, "渠道"), channel),
    el("div", { class: "apply" }, apply),
    el("div", { class: "quick" }, ...quick));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.query = { since: since.value, until: until.value, channel: channel.value };
    load();
  });
  const seriesBy = (by) => () => ({ by });
  viewEl.append(
    form,
    box("error"),
    box("range", "p", { class: "note", id: "range-note" }),
    box("kpis", "div", { class: "kpis", id: "kpis" }),
    section("sec-day", "每日趋势", "series", seriesBy("day"),
      el("p", { class: "note" }, "按会话开始日期。分流率 = 机器人解决 / 已结束会话（进行中的不计入）。"),
      box("dayCounts"), box("dayRates"), box("dayTable", "details", { class: "data-table" })),
    section("sec-hour", "按小时（0-23 时）", "series", seriesBy("hour"),
      el("p", { class: "note" }, "所选日期内每个钟点开始的会话合计，按结果分色。"),
      box("hourChart"), box("hourTable", "details", { class: "data-table" })),
    el("div", { class: "grid2" },
      section("sec-channel", "按渠道", "series", seriesBy("channel"), box("channelChart"), box("channelTable", "details", { class: "data-table" })),
      section("sec-category", "按类别", "series", seriesBy("category"),
        el("p", { class: "note" }, "会话命中的 FAQ 所属类别；“未匹配”是没有命中任何 FAQ 的会话。"),
        box("categoryChart"), box("categoryTable", "details", { class: "data-table" }))),
    el("div", { class: "grid2" },
      section("sec-reasons", "转人工原因", "summary", undefined, box("reasonChart")),
      section("sec-feedback", "市民反馈（“有没有帮到您”）", "summary", undefined,
        el("p", { class: "note" }, "有帮助：市民确认答案有用；没帮助：市民说没帮助（再给下一个答案仍不行）后转人工。"),
        box("feedbackChart"), box("orderNote", "p", { class: "note" }))),
    section("sec-top", "命中最多的 FAQ", "top-faqs", undefined, box("topChart"), box("topTable")),
    section("sec-unanswered", "未能解答的问题", "unanswered", undefined,
      el("p", { class: "note" }, "放弃的会话，以及因置信度低、多次未答上、答案没帮助而转人工的会话中市民的第一个问题（相同说法合并）。可在知识库管理的“未解答问题”中补充为 FAQ。"),
      box("unansweredChart"), box("unansweredTable")),
    staffingSection(),
  );
  channel.value = state.query.channel;
}

function staffingSection() {
  const p = state.staffingParams;
  const aht = el("input", { type: "number", id: "aht", min: 1, max: 86400, step: 1, value: p.aht_s, inputMode: "numeric" });
  const level = el("input", { type: "number", id: "service-level", min: 1, max: 99.9, step: 0.1, value: Math.round(p.service_level * 1000) / 10, inputMode: "decimal" });
  const within = el("input", { type: "number", id: "within", min: 0, max: 3600, step: 1, value: p.answer_within_s, inputMode: "numeric" });
  const go = el("button", { type: "submit", class: "primary", id: "staffing-apply" }, "重新计算");
  const form = el("form", { class: "staffing-form", id: "staffing-form" },
    el("div", {}, el("label", { htmlFor: "aht" }, "平均处理时长（秒）"), aht),
    el("div", {}, el("label", { htmlFor: "service-level" }, "服务水平目标（%）"), level),
    el("div", {}, el("label", { htmlFor: "within" }, "在多少秒内接通"), within),
    el("div", {}, go));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.staffingParams = {
      aht_s: aht.value.trim(),
      service_level: level.value.trim() === "" ? "" : String(Number(level.value) / 100),
      answer_within_s: within.value.trim(),
    };
    parts.exports.forEach((refresh) => refresh());
    await loadStaffing();
  });
  return section("sec-staffing", "人工坐席需求（Erlang C）", "staffing", () => state.staffingParams,
    el("p", { class: "note" }, "仍需人工接听的量：每个钟点转到人工的会话（按转接时间），取所选日期的日平均；所需坐席按 Erlang C 计算，未计休息、培训等排班损耗。"),
    form, box("staffingError"), box("staffingSummary", "p", { class: "note", id: "staffing-summary" }),
    box("staffingChart"), box("staffingTable", "details", { class: "data-table" }));
}

// -- loading -----------------------------------------------------------------------------

function q(extra = {}) {
  return { ...state.query, ...extra };
}

async function load() {
  state.loading = true;
  viewEl.classList.add("loading");
  clear(parts.error);
  parts.exports.forEach((refresh) => refresh());
  try {
    const [summary, day, hour, channel, category, topFaqs, unanswered] = await Promise.all([
      api("/api/dashboard/summary", { query: q() }),
      api("/api/dashboard/series", { query: q({ by: "day" }) }),
      api("/api/dashboard/series", { query: q({ by: "hour" }) }),
      api("/api/dashboard/series", { query: q({ by: "channel" }) }),
      api("/api/dashboard/series", { query: q({ by: "category" }) }),
      api("/api/dashboard/top-faqs", { query: q({ top: 10 }) }),
      api("/api/dashboard/unanswered", { query: q({ top: 10 }) }),
    ]);
    Object.assign(state, { summary, topFaqs, unanswered, series: { day, hour, channel, category }, error: null });
    renderAll();
    await loadStaffing();
  } catch (err) {
    state.error = errorText(err);
    clear(parts.error);
    parts.error.appendChild(errorBanner(err));
  } finally {
    state.loading = false;
    state.loads += 1;
    viewEl.classList.remove("loading");
  }
}

async function loadStaffing() {
  clear(parts.staffingError);
  try {
    state.staffing = await api("/api/dashboard/staffing", { query: q(state.staffingParams) });
    renderStaffing();
  } catch (err) {
    state.staffing = null;
    parts.staffingError.appendChild(errorBanner(err));
  }
}

// -- rendering ---------------------------------------------------------------------------

function kpi(id, name, value, sub, main = false) {
  return el("div", { class: `kpi${main ? " main" : ""}`, id },
    el("div", { class: "name" }, name), el("div", { class: "value" }, value), el("div", { class: "sub" }, sub || ""));
}

function renderAll() {
  const s = state.summary;
  const label = CHANNEL_CHOICES.find(([v]) => v === (s.channel || ""))[1];
  setText(parts.range, `${s.since} 至 ${s.until}，共 ${s.days} 天 · ${label}`);
  clear(parts.kpis);
  parts.kpis.append(
    kpi("kpi-rate", "分流率", percent(s.deflection_rate.total),
      `已确认 ${percent(s.deflection_rate.confirmed)} · 未确认 ${percent(s.deflection_rate.unconfirmed)}`, true),
    kpi("kpi-sessions", "会话", num(s.sessions), `已结束 ${num(s.ended)} · 进行中 ${num(s.open)}`),
    kpi("kpi-deflected", "机器人解决", num(s.deflected), `已确认 ${num(s.deflected_confirmed)} · 未确认 ${num(s.deflected_unconfirmed)}`),
    kpi("kpi-transferred", "转人工", num(s.transferred), "原因见下方"),
    kpi("kpi-work-orders", "工单", num(s.work_orders), "按工单创建时间"),
    kpi("kpi-abandoned", "放弃", num(s.abandoned), "未获解答即离开"),
    kpi("kpi-feedback", "市民反馈", percent(s.feedback.helped_rate), `有帮助 ${num(s.feedback.helped)} · 没帮助 ${num(s.feedback.not_helped)}`),
  );
  renderDay(state.series.day.rows);
  renderOutcomes("hour", state.series.hour.rows, false);
  renderOutcomes("channel", state.series.channel.rows, true);
  renderOutcomes("category", state.series.category.rows, true);
  barChart(parts.reasonChart, {
    title: "转人工原因", horizontal: true, labels: s.transfers_by_reason.map((r) => r.label),
    series: [{ name: "转人工会话", values: s.transfers_by_reason.map((r) => r.count), color: "#b8282e" }],
  });
  barChart(parts.feedbackChart, {
    title: "市民反馈", horizontal: true, labels: ["有帮助", "没帮助"],
    series: [{ name: "会话", values: [s.feedback.helped, s.feedback.not_helped], color: "#1a5fb4" }],
  });
  const cats = s.work_orders_by_category.map((c) => `${c.category} ${c.count}`).join("，");
  setText(parts.orderNote, `工单 ${s.work_orders} 件${cats ? `（${cats}）` : ""}。`);
  renderTop();
  renderUnanswered();
}

const SERIES_TABLE = [
  { label: "会话", value: (r) => num(r.sessions), class: "num" },
  { label: "已结束", value: (r) => num(r.ended), class: "num" },
  { label: "机器人解决", value: (r) => num(r.deflected), class: "num" },
  { label: "已确认", value: (r) => num(r.deflected_confirmed), class: "num" },
  { label: "未确认", value: (r) => num(r.deflected_unconfirmed), class: "num" },
  { label: "分流率", value: (r) => percent(r.deflection_rate), class: "num" },
  { label: "转人工", value: (r) => num(r.transferred), class: "num" },
  { label: "工单", value: (r) => num(r.work_order), class: "num" },
  { label: "放弃", value: (r) => num(r.abandoned), class: "num" },
  { label: "进行中", value: (r) => num(r.open), class: "num" },
];

function dataTable(holder, first, rows, id) {
  clear(holder);
  holder.append(el("summary", {}, "查看数据表"),
    table([{ label: first, value: (r) => r.label }, ...SERIES_TABLE], rows, { class: `data ${id}` }));
}

function renderDay(rows) {
  const labels = rows.map((r) => r.key.slice(5));
  lineChart(parts.dayCounts, {
    title: "每日会话", labels,
    series: [
      { name: "会话", values: rows.map((r) => r.sessions), color: "#1a5fb4" },
      { name: "机器人解决", values: rows.map((r) => r.deflected), color: "#2e8540" },
      { name: "转人工", values: rows.map((r) => r.transferred), color: "#b8282e" },
    ],
  });
  lineChart(parts.dayRates, {
    title: "每日分流率", labels, format: percent, yMax: 1, height: 200, legend: true,
    series: [
      { name: "分流率", values: rows.map((r) => r.deflection_rate), color: "#2e8540" },
      { name: "已确认分流率", values: rows.map((r) => r.confirmed_rate), color: "#6b4fa1" },
    ],
  });
  dataTable(parts.dayTable, "日期", rows, "by-day");
}

function renderOutcomes(by, rows, horizontal) {
  barChart(parts[`${by}Chart`], {
    title: `按${{ hour: "小时", channel: "渠道", category: "类别" }[by]}的会话结果`, horizontal, stacked: true, legend: true,
    labels: rows.map((r) => (by === "hour" ? r.key : r.label)),
    series: OUTCOME_SERIES.map(([key, name, color]) => ({ name, color, values: rows.map((r) => r[key]) })),
  });
  dataTable(parts[`${by}Table`], { hour: "时段", channel: "渠道", category: "类别" }[by], rows, `by-${by}`);
}

function renderTop() {
  const items = state.topFaqs.items;
  barChart(parts.topChart, {
    title: "命中最多的 FAQ", horizontal: true, legend: true,
    labels: items.map((i) => i.question),
    series: [
      { name: "会话", values: items.map((i) => i.sessions), color: "#1a5fb4" },
      { name: "确认有帮助", values: items.map((i) => i.confirmed), color: "#2e8540" },
      { name: "没帮助", values: items.map((i) => i.negative), color: "#b8282e" },
    ],
  });
  clear(parts.topTable);
  parts.topTable.appendChild(table([
    { label: "排名", value: (i) => String(i.rank), class: "num" },
    { label: "FAQ", value: (i) => i.faq_id },
    { label: "标准问题", value: (i) => i.question },
    { label: "类别", value: (i) => i.category },
    { label: "会话", value: (i) => num(i.sessions), class: "num" },
    { label: "确认有帮助", value: (i) => num(i.confirmed), class: "num" },
    { label: "没帮助", value: (i) => num(i.negative), class: "num" },
  ], items, { class: "data top-faqs", empty: "所选范围内没有命中 FAQ 的会话" }));
}

function renderUnanswered() {
  const items = state.unanswered.items;
  barChart(parts.unansweredChart, {
    title: "未能解答的问题", horizontal: true, labels: items.map((i) => i.text),
    series: [{ name: "次数", values: items.map((i) => i.count), color: "#c77c02" }],
  });
  clear(parts.unansweredTable);
  parts.unansweredTable.appendChild(table([
    { label: "排名", value: (i) => String(i.rank), class: "num" },
    { label: "问题", value: (i) => i.text },
    { label: "次数", value: (i) => num(i.count), class: "num" },
  ], items, { class: "data unanswered", empty: "所选范围内没有未解答的问题" }));
}

function renderStaffing() {
  const s = state.staffing;
  const rows = s.rows;
  const busiest = rows.reduce((a, b) => (b.agents_needed > a.agents_needed ? b : a), rows[0]);
  setText(parts.staffingSummary,
    `平均处理 ${s.aht_s} 秒，目标 ${Math.round(s.service_level * 1000) / 10}% 在 ${s.answer_within_s} 秒内接通。` +
    `所选 ${s.days} 天共 ${num(s.total_transferred)} 个会话转人工；` +
    (s.max_agents_needed ? `最多需要 ${s.max_agents_needed} 名坐席（${busiest.label}）。` : "没有需要人工接听的量。"));
  barChart(parts.staffingChart, {
    title: "每小时转人工来电与所需坐席", legend: true, labels: rows.map((r) => String(r.hour).padStart(2, "0")),
    series: [
      { name: "平均每小时来电", values: rows.map((r) => r.calls_per_hour), color: "#1a5fb4" },
      { name: "所需坐席", values: rows.map((r) => r.agents_needed), color: "#b8282e" },
    ],
  });
  clear(parts.staffingTable);
  parts.staffingTable.append(el("summary", {}, "查看数据表"), table([
    { label: "时段", value: (r) => r.label },
    { label: "转人工合计", value: (r) => num(r.transferred), class: "num" },
    { label: "平均每小时来电", value: (r) => String(r.calls_per_hour), class: "num" },
    { label: "最忙一天", value: (r) => num(r.peak_calls), class: "num" },
    { label: "所需坐席", value: (r) => (r.agents_needed === null ? "超出上限" : num(r.agents_needed)), class: "num" },
    { label: "达到的服务水平", value: (r) => percent(r.service_level_achieved), class: "num" },
    { label: "坐席占用率", value: (r) => percent(r.occupancy), class: "num" },
    { label: "最忙一天所需坐席", value: (r) => num(r.agents_needed_peak), class: "num" },
  ], rows, { class: "data staffing" }));
}

start();
