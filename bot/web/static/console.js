// The knowledge-editor console: sign-in, then a hash-routed set of views (one module each
// under /static/console/). The server enforces every permission; the page only hides what
// the role may not do, so a hidden button is a convenience, never the protection.
// window.consoleState mirrors what the page did (the end-to-end tests wait on it).
import { clear, el, errorBanner, fetchMe, loginView, onUnauthorized, roleLabel, setText, signOut } from "/static/common.js";

// What each role may do, when the server's /me does not list `permissions` (it does: these
// mirror bot/console/auth.py PERMISSIONS and are only the fallback).
const EDITOR = ["entries.read", "entries.edit", "entries.try", "import", "export", "unanswered"];
const REVIEWER = [...EDITOR, "entries.review", "publish", "audit.entries"];
const FALLBACK_PERMISSIONS = {
  editor: EDITOR,
  reviewer: REVIEWER,
  manager: ["entries.read", "export", "dashboard"],
  admin: [...REVIEWER, "export", "dashboard", "users", "audit"],
};

const ROUTES = [
  { name: "entries", label: "知识条目", perm: "entries.read", load: () => import("/static/console/entries.js") },
  { name: "entry", perm: "entries.read", load: () => import("/static/console/editor.js") },
  { name: "import", label: "导入导出", perm: ["import", "export"], load: () => import("/static/console/importer.js") },
  { name: "publish", label: "发布与版本", perm: "entries.read", load: () => import("/static/console/publish.js") },
  { name: "unanswered", label: "未解答问题", perm: "unanswered", load: () => import("/static/console/unanswered.js") },
  { name: "audit", label: "操作日志", perm: ["audit", "audit.entries"], load: () => import("/static/console/audit.js") },
  { name: "users", label: "用户管理", perm: "users", load: () => import("/static/console/users.js") },
];

const state = (window.consoleState = { user: null, view: null, rendered: 0, check: null, tryResult: null, job: null, errors: [] });
const viewEl = document.getElementById("view");
const navEl = document.getElementById("nav");
const whoEl = document.getElementById("who");
const logoutEl = document.getElementById("logout");
let prefill = null; // an entry draft handed from one view to the editor (unanswered -> new)

function can(...perms) {
  if (!state.user) return false;
  const granted = state.user.permissions || FALLBACK_PERMISSIONS[state.user.role] || [];
  return perms.some((p) => granted.includes(p));
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "entries", args: parts.slice(1), query: Object.fromEntries(new URLSearchParams(search)) };
}

function go(name, args = [], query = null) {
  const path = [name, ...args.map(encodeURIComponent)].join("/");
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString() : "";
  const hash = `#/${path}${search ? `?${search}` : ""}`;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderNav(current) {
  clear(navEl);
  for (const r of ROUTES) {
    if (!r.label || !can(...[r.perm].flat())) continue;
    const active = r.name === current || (current === "entry" && r.name === "entries");
    navEl.appendChild(el("a", { href: `#/${r.name}`, class: active ? "active" : "", dataset: { view: r.name } }, r.label));
  }
  navEl.hidden = false;
}

async function route() {
  if (!state.user) return;
  const { name, args, query } = parseHash();
  const found = ROUTES.find((r) => r.name === name);
  renderNav(name);
  clear(viewEl);
  if (!found || !can(...[found.perm].flat())) {
    viewEl.appendChild(el("div", { class: "banner warn" }, found ? `您的角色（${roleLabel(state.user.role)}）不能使用此功能。` : "页面不存在。"));
    return;
  }
  state.view = name;
  const token = ++state.rendered;
  try {
    const module = await found.load();
    if (token !== state.rendered) return; // the user moved on while the module loaded
    const handoff = prefill;
    prefill = null;
    await module.render({
      root: viewEl, user: state.user, can, go, state, args, query, prefill: handoff,
      setPrefill: (draft) => { prefill = draft; },
      isCurrent: () => token === state.rendered,
    });
  } catch (err) {
    state.errors.push(String(err && err.message));
    if (token === state.rendered) viewEl.appendChild(errorBanner(err));
  }
}

async function signedIn(user) {
  state.user = user;
  setText(whoEl, `${user.display_name || user.username}（${roleLabel(user.role)}）`);
  logoutEl.hidden = false;
  if (!location.hash && user.role === "manager") {
    location.hash = "#/entries";
  }
  await route();
}

async function showLogin(message) {
  state.user = null;
  state.view = "login";
  navEl.hidden = true;
  logoutEl.hidden = true;
  setText(whoEl, "");
  const waiting = loginView(viewEl, {
    title: "知识库管理登录",
    subtitle: message || "编辑、审核员和管理员请使用分配的账号登录。",
  });
  state.rendered++;
  const user = await waiting;
  await signedIn(user);
}

onUnauthorized((err) => {
  if (!state.user) return;
  showLogin(err.code === "session_expired" ? "登录已过期，请重新登录。" : "登录状态已失效，请重新登录。");
});

logoutEl.addEventListener("click", async () => {
  await signOut();
  history.replaceState(null, "", location.pathname);
  showLogin("您已退出登录。");
});

window.addEventListener("hashchange", route);

(async () => {
  try {
    const user = await fetchMe();
    if (user) await signedIn(user);
    else await showLogin();
  } catch (err) {
    clear(viewEl);
    viewEl.appendChild(errorBanner(err));
  }
})();
