// User management (admins): list, create, change role or display name, reset a password,
// deactivate. A changed role, password or deactivation signs the user out (server side).
import { api, confirmBox, el, errorBanner, fmtDateTime, ROLE_LABELS, roleLabel, table, toast } from "/static/common.js";

function roleSelect(id, value) {
  return el("select", { id, attrs: { "aria-label": "角色" } },
    Object.entries(ROLE_LABELS).map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
}

function createForm(onCreated) {
  const username = el("input", { id: "new-username", autocomplete: "off", placeholder: "字母、数字和 _ . -" });
  const display = el("input", { id: "new-display", autocomplete: "off" });
  const password = el("input", { id: "new-password", type: "password", autocomplete: "new-password" });
  const role = roleSelect("new-role", "editor");
  const message = el("div");
  const form = el("form", { class: "card", id: "user-create" }, el("h3", {}, "新建用户"),
    el("div", { class: "grid2" },
      el("div", {}, el("label", { htmlFor: "new-username" }, "用户名"), username),
      el("div", {}, el("label", { htmlFor: "new-display" }, "显示名"), display),
      el("div", {}, el("label", { htmlFor: "new-password" }, "初始密码"), password),
      el("div", {}, el("label", { htmlFor: "new-role" }, "角色"), role)),
    message, el("button", { type: "submit", class: "primary" }, "创建"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    try {
      const body = await api("/api/console/users", { method: "POST", body: {
        username: username.value.trim(), display_name: display.value.trim(), password: password.value, role: role.value,
      } });
      toast(`已创建用户 ${(body.user || {}).username || username.value}`, "ok");
      form.reset();
      onCreated();
    } catch (err) {
      message.replaceChildren(errorBanner(err));
    }
  });
  return form;
}

export async function render(ctx) {
  const { root, user: me } = ctx;
  const listBox = el("div", { id: "users-list" });
  const message = el("div");

  async function patch(username, changes, done) {
    message.replaceChildren();
    try {
      await api(`/api/console/users/${encodeURIComponent(username)}`, { method: "PATCH", body: changes });
      toast(done, "ok");
      await load();
    } catch (err) {
      message.replaceChildren(errorBanner(err));
    }
  }

  function actions(account) {
    const role = roleSelect(`role-${account.username}`, account.role);
    role.disabled = account.username === me.username; // an admin must not lock themselves out
    role.addEventListener("change", () => patch(account.username, { role: role.value }, `已把 ${account.username} 的角色改为${roleLabel(role.value)}`));
    const newPassword = el("input", { type: "password", autocomplete: "new-password", placeholder: "新密码", hidden: true, attrs: { "aria-label": `${account.username} 的新密码` } });
    const reset = el("button", { type: "button", class: "small", onclick: async () => {
      if (newPassword.hidden) { newPassword.hidden = false; newPassword.focus(); reset.textContent = "保存新密码"; return; }
      if (newPassword.value) await patch(account.username, { password: newPassword.value }, "密码已重置，该用户需重新登录");
    } }, "重置密码");
    const toggle = el("button", { type: "button", class: `small ${account.active ? "danger" : ""}`, disabled: account.username === me.username, onclick: async () => {
      if (account.active && !(await confirmBox(`停用 ${account.username}？该用户将立即退出且无法登录。`, "停用"))) return;
      await patch(account.username, { active: !account.active }, account.active ? "已停用" : "已启用");
    } }, account.active ? "停用" : "启用");
    return el("div", { class: "row" }, role, newPassword, reset, toggle);
  }

  async function load() {
    let body;
    try {
      body = await api("/api/console/users");
    } catch (err) {
      listBox.replaceChildren(errorBanner(err));
      return;
    }
    const columns = [
      { label: "用户名", value: (a) => a.username },
      { label: "显示名", value: (a) => a.display_name || "" },
      { label: "状态", value: (a) => el("span", { class: `badge ${a.active ? "serving" : "not-serving"}` }, a.active ? "启用" : "已停用") },
      { label: "创建时间", value: (a) => fmtDateTime(a.created_at) },
      { label: "角色与操作", value: actions },
    ];
    listBox.replaceChildren(table(columns, body.items || body.users || [], { class: "data users", empty: "没有用户" }));
  }

  root.append(el("h2", {}, "用户管理"), message, listBox, createForm(load));
  await load();
}
