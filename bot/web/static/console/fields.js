// Form pieces of the entry editor: a labelled field, and the similar-questions list
// (edit in place, remove, add with Enter; a duplicate is refused with a message).
import { el, setText } from "/static/common.js";

export function similarList(initial, readOnly, onChange) {
  const list = el("ul", { class: "similar-list", id: "similar-list" });
  const add = el("input", { type: "text", id: "similar-new", placeholder: "输入一个相似问法，按回车添加", disabled: readOnly });
  const note = el("p", { class: "form-error", id: "similar-error" });
  const values = () => [...list.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);

  function addRow(text) {
    const input = el("input", { type: "text", value: text, disabled: readOnly, oninput: onChange, attrs: { "aria-label": "相似问" } });
    const remove = el("button", { type: "button", class: "small danger", hidden: readOnly, attrs: { "aria-label": `删除相似问 ${text}` } }, "删除");
    const li = el("li", { class: "row" }, el("div", { class: "grow" }, input), remove);
    remove.addEventListener("click", () => { li.remove(); onChange(); });
    list.appendChild(li);
  }
  function addFromInput() {
    const text = add.value.trim();
    setText(note, "");
    if (!text) return;
    if (values().includes(text)) {
      setText(note, `“${text}”已经在相似问里了`);
      return;
    }
    addRow(text);
    add.value = "";
    onChange();
  }
  add.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); addFromInput(); }
  });
  for (const q of initial) addRow(q);
  const button = el("button", { type: "button", class: "small", id: "similar-add", hidden: readOnly, onclick: addFromInput }, "添加");
  return { node: el("div", {}, list, el("div", { class: "row" }, el("div", { class: "grow" }, add), button), note), values };
}

export function field(label, input, hint) {
  return el("div", { class: "field" }, el("label", { htmlFor: input.id }, label), input, hint ? el("p", { class: "muted small-text" }, hint) : null);
}
