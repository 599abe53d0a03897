// The editor's two side panels: the near-duplicate / "steals" check (POST /api/console/check)
// and "试一试" (POST /api/console/try: what the KB with this draft in it would answer).
import { api, el, errorBanner, fmtScore, table } from "/static/common.js";
import { DECISION_LABELS } from "/static/console/ui.js";

function entryLink(faqId, question) {
  // A new tab: following the link must not throw away the draft being edited.
  return el("a", { href: `/console#/entry/${encodeURIComponent(faqId)}`, target: "_blank", rel: "noopener" },
    `${faqId}「${question}」`);
}

function hasContent(draft) {
  return Boolean(draft.question.trim() || draft.similar_questions.length);
}

// The check panel. `run()` checks the current draft and resolves with the server's result;
// `schedule()` re-checks shortly after the editor stops typing. `warns(result)` is true when
// saving should be confirmed first.
export function checkPanel({ state, getDraft }) {
  const body = el("div", { class: "check-body" }, el("p", { class: "muted" }, "填写问题后，这里会显示与现有条目的重复情况。"));
  const button = el("button", { type: "button", class: "small", id: "run-check" }, "重新检查");
  const node = el("section", { class: "card check", id: "check-panel", attrs: { "aria-label": "保存前检查" } },
    el("div", { class: "row" }, el("h3", { class: "grow" }, "保存前检查：相近条目与问题冲突"), button), body);
  let seq = 0;
  let timer = null;
  let last = null;

  function show(result) {
    const parts = [];
    const dups = result.near_duplicates || [];
    const steals = result.steals || [];
    if (!dups.length && !steals.length) {
      parts.push(el("div", { class: "banner ok", id: "check-clear" }, "未发现相近条目，新问题也不会抢走其他条目的查询。"));
    }
    if (dups.length) {
      parts.push(el("h4", {}, `相近条目（${dups.length}）：可能重复，请确认不是同一个问题`));
      parts.push(el("ul", { class: "dups", id: "near-duplicates" },
        dups.map((d) => el("li", { dataset: { faqId: d.faq_id } }, entryLink(d.faq_id, d.question),
          el("span", { class: "score" }, ` 得分 ${fmtScore(d.score)}`),
          d.draft_question && d.matched_question
            ? el("div", { class: "muted small-text" }, `本条目的「${d.draft_question}」接近它的「${d.matched_question}」`) : null))));
    }
    if (steals.length) {
      parts.push(el("h4", {}, `可能抢走其他条目的查询（${steals.length}）`));
      // bot/console/similarity.py: a citizen asking the draft's `question` is answered today
      // by from_faq_id (matched on from_question, from_score); the draft would score `score`.
      parts.push(el("ul", { class: "steals", id: "steals" },
        steals.map((s) => el("li", { dataset: { faqId: s.from_faq_id } },
          `市民问「${s.question}」时，现在由 `, entryLink(s.from_faq_id, s.from_question),
          el("span", { class: "score" }, `（得分 ${fmtScore(s.from_score)}）`),
          " 回答；保存后本条目得分 ", el("span", { class: "score" }, fmtScore(s.score)),
          "，这类市民可能改由本条目回答或需要在两者中选择。"))));
    }
    body.replaceChildren(...parts);
  }

  async function run() {
    const draft = getDraft();
    if (!hasContent(draft)) return null;
    const mine = ++seq;
    body.classList.add("busy");
    try {
      const result = await api("/api/console/check", { method: "POST", body: draft });
      if (mine === seq) {
        last = { key: JSON.stringify(draft), result };
        state.check = result;
        show(result);
      }
      return result;
    } catch (err) {
      if (mine === seq) body.replaceChildren(errorBanner(err));
      throw err;
    } finally {
      if (mine === seq) body.classList.remove("busy");
    }
  }

  button.addEventListener("click", () => run().catch(() => {}));
  return {
    node,
    run,
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => run().catch(() => {}), 800);
    },
    // The result for exactly this draft, if the last check was of it (no need to ask again).
    cached(draft) {
      return last && last.key === JSON.stringify(draft) ? last.result : null;
    },
    warns(result) {
      return Boolean(result && ((result.near_duplicates || []).length || (result.steals || []).length));
    },
  };
}

export function tryPanel({ state, getDraft, readOnly }) {
  const input = el("input", { type: "text", id: "try-text", placeholder: "输入市民可能的问法，例如：身份证丢了怎么办" });
  const withDraft = el("input", { type: "checkbox", id: "try-with-draft", checked: !readOnly });
  const button = el("button", { type: "submit", class: "primary", id: "try-run" }, "试一试");
  const out = el("div", { class: "try-result", id: "try-result" });
  const form = el("form", { class: "card try", id: "try-panel" },
    el("h3", {}, "试一试：机器人会怎么回答"),
    el("div", { class: "row" }, el("div", { class: "grow" }, input), button),
    el("label", { class: "inline" }, withDraft, " 按当前草稿回答（未保存的修改也算在内）"),
    out);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      out.replaceChildren(el("p", { class: "form-error" }, "请输入一个问题"));
      return;
    }
    const payload = { text };
    const draft = getDraft();
    if (withDraft.checked && draft.question.trim()) payload.entry = draft;
    button.disabled = true;
    out.replaceChildren(el("p", { class: "muted" }, "正在计算…"));
    try {
      const result = await api("/api/console/try", { method: "POST", body: payload });
      state.tryResult = result;
      out.replaceChildren(...renderTry(result));
    } catch (err) {
      out.replaceChildren(errorBanner(err));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function topLabel(result) {
  if (!result.faq_id) return "";
  const top = (result.candidates || [])[0];
  return top && top.draft ? "（用本草稿回答）" : `（条目 ${result.faq_id}）`;
}

function renderTry(result) {
  const decision = result.decision;
  const parts = [
    el("p", { class: `decision decision-${decision}`, id: "try-decision", dataset: { decision } },
      "结果：", el("strong", {}, DECISION_LABELS[decision] || decision),
      topLabel(result)),
  ];
  if (result.answer) parts.push(el("div", { class: "answer-preview", id: "try-answer" }, result.answer));
  const columns = [
    { label: "条目", value: (c) => (c.draft ? "本草稿" : c.faq_id), class: "nowrap" },
    { label: "问题", value: (c) => (c.matched_question && c.matched_question !== c.question ? `${c.question}（匹配：${c.matched_question}）` : c.question) },
    { label: "得分", value: (c) => fmtScore(c.score), class: "num nowrap" },
    { label: "来源", value: (c) => (c.draft ? el("span", { class: "badge status-draft" }, "草稿") : "线上"), class: "nowrap" },
  ];
  parts.push(table(columns, result.candidates || [], { class: "data candidates", empty: "没有候选条目" }));
  const t = result.thresholds;
  const limits = t ? `；直接回答需得分 ≥ ${fmtScore(t.answer)} 且领先第二名 ${fmtScore(t.margin)}，≥ ${fmtScore(t.clarify)} 时请市民选择` : "";
  if (result.version) parts.push(el("p", { class: "muted small-text", id: "try-version" }, `对照的线上索引版本：${result.version}${limits}`));
  return parts;
}
