// common.js: the small library the console (/console) and the dashboard (/dashboard) share.
// Plain ES module, no framework, nothing from a CDN. Import what you need:
//   import { api, el, loginView } from "/static/common.js";
//
// Safe rendering (the rule: data never goes through innerHTML)
//   el(tag, props?, ...children)  Build an element. `props` keys: class, text, dataset (object),
//                                 on<event> (listener functions, e.g. onclick), attrs (object of
//                                 attributes), any other key is set as a DOM property
//                                 (value, type, disabled, href, ...). Children: nodes, or
//                                 strings/numbers which become TEXT nodes, null/false skipped,
//                                 arrays flattened. So el("p", {}, answer) shows "<script>" as text.
//   setText(node, value)          node.textContent = value ("" for null/undefined).
//   clear(node)                   Remove every child.
//   add(node, ...children)        Append like el() does (null/false skipped, strings as text);
//                                 use it instead of node.append(), which writes "null".
//   replace(node, ...children)    clear(node), then add(node, ...children).
//   table(columns, rows, opts?)   A <table>; columns: [{label, value: row => string|Node,
//                                 class?}]; cells from strings are text. opts.onRow(row, tr)
//                                 makes rows clickable; opts.empty is the text for no rows.
//                                 Each cell carries data-label for the narrow-screen card layout.
//
// Talking to the server (the one JSON error shape {"error": {"code", "message"}})
//   api(path, {method, query, body, form, raw}?)  fetch with the session cookie. `query`: object
//                                 -> ?k=v (empty values dropped); `body`: JSON; `form`: FormData.
//                                 Resolves with the parsed JSON (or the Response when raw).
//                                 Rejects with ApiError {status, code, message, field}: message is the
//                                 server's Chinese message, or a Chinese fallback per status.
//                                 On 401 it also calls the handler set by onUnauthorized().
//   onUnauthorized(fn)            fn(error) runs on any 401 (not for the login call itself).
//   errorText(err)                A Chinese sentence for anything thrown.
//   fetchMe()                     The signed-in user {username, role, display_name} or null.
//   signIn(username, password)    POST /api/console/login -> {user, expires_at}.
//   signOut()                     POST /api/console/logout (errors ignored).
//   queryString(obj)              "?a=1&b=2" without empty values ("" when nothing is left).
//
// Page pieces
//   loginView(container, {title?, subtitle?, roles?}) Render the sign-in form into container;
//                                 resolves with the user once signed in. `roles`: the roles
//                                 allowed on this page (others get a clear message, stay out).
//   toast(message, kind?)         A transient message ("ok" | "error" | "info") at the top.
//   errorBanner(err)              An element showing errorText(err) (role=alert).
//   confirmBox(message, okLabel?) Promise<boolean> from a modal <dialog> (no window.confirm, so
//                                 headless tests and phones behave the same).
//   ROLE_LABELS, roleLabel(role)  Chinese role names.
//   fmtDate(iso), fmtDateTime(iso) Local zh-CN date / date-time strings ("" for empty).
//   fmtScore(x)                   A score with 3 decimals ("" for null).
//   debounce(fn, ms)              The usual.
//   downloadHref(path, query)     An href for a file download (same origin, cookie sent).

export const ROLE_LABELS = Object.freeze({
  editor: "编辑",
  reviewer: "审核员",
  manager: "管理者",
  admin: "系统管理员",
});

const STATUS_FALLBACK = {
  400: "请求有误，请检查后重试",
  401: "请先登录",
  403: "您没有执行此操作的权限",
  404: "要找的内容不存在或已被删除",
  409: "内容已被他人修改或状态已变化，请刷新后重试",
  413: "文件或内容太大",
  422: "填写的内容不符合要求",
  429: "操作太频繁，请稍后再试",
  500: "系统暂时出现问题，请稍后再试",
  502: "服务暂时不可用，请稍后再试",
  503: "服务暂时不可用，请稍后再试",
};

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field; // the request field a 422 names, when the server names one
  }
}

let unauthorizedHandler = null;

export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

export function roleLabel(role) {
  return ROLE_LABELS[role] || role || "";
}

export function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let message = "";
  let field = null;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || "";
      field = body.error.field || null;
    }
  } catch {
    // not JSON (a proxy's HTML page, an empty body): fall back to the status text below
  }
  if (!message) {
    message = STATUS_FALLBACK[response.status] || `服务器返回错误（HTTP ${response.status}）`;
  }
  return new ApiError(response.status, code, message, field);
}

export async function api(path, options = {}) {
  const { method = "GET", query, body, form, raw = false, skipAuthHandler = false } = options;
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (form) {
    init.body = form; // the browser sets the multipart boundary itself
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path + queryString(query), init);
  } catch {
    throw new ApiError(0, "network_error", "无法连接服务器，请检查网络后重试");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !skipAuthHandler && unauthorizedHandler) {
      unauthorizedHandler(error);
    }
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return {};
  try {
    return await response.json();
  } catch {
    throw new ApiError(response.status, "bad_response", "服务器返回的内容无法解析，请稍后再试");
  }
}

export function errorText(err) {
  if (err instanceof ApiError) return err.message;
  if (err && err.message) return `页面出错：${err.message}`;
  return "发生未知错误，请刷新页面后重试";
}

export async function fetchMe() {
  try {
    const body = await api("/api/console/me", { skipAuthHandler: true });
    return body.user || null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export function signIn(username, password) {
  return api("/api/console/login", {
    method: "POST",
    body: { username, password },
    skipAuthHandler: true,
  });
}

export async function signOut() {
  try {
    await api("/api/console/logout", { method: "POST", skipAuthHandler: true });
  } catch {
    // signing out of an expired session is still signing out
  }
}

// -- safe DOM building -------------------------------------------------------------------

function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(node, c);
  } else if (child instanceof Node) {
    node.appendChild(child);
  } else {
    node.appendChild(document.createTextNode(String(child)));
  }
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "attrs") {
      for (const [name, v] of Object.entries(value)) node.setAttribute(name, String(v));
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "innerHTML" || key === "outerHTML") {
      throw new Error("el(): innerHTML is not allowed; pass text children instead");
    } else node[key] = value;
  }
  append(node, children);
  return node;
}

export function add(node, ...children) {
  append(node, children);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  return add(node, ...children);
}

export function setText(node, value) {
  node.textContent = value === null || value === undefined ? "" : String(value);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function table(columns, rows, opts = {}) {
  const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { class: c.class }, c.label))));
  const body = el("tbody");
  if (!rows.length) {
    body.appendChild(
      el("tr", { class: "empty" }, el("td", { colSpan: columns.length }, opts.empty || "没有数据")),
    );
  }
  for (const row of rows) {
    const tr = el("tr");
    for (const c of columns) {
      const value = c.value(row);
      tr.appendChild(el("td", { class: c.class, dataset: { label: c.label } }, value));
    }
    if (opts.onRow) {
      tr.classList.add("clickable");
      tr.tabIndex = 0;
      tr.addEventListener("click", (event) => {
        if (event.target.closest("button, a, input, select")) return;
        opts.onRow(row, tr);
      });
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter") opts.onRow(row, tr);
      });
    }
    body.appendChild(tr);
  }
  return el("div", { class: "table-wrap" }, el("table", { class: opts.class || "data" }, head, body));
}

// -- page pieces -------------------------------------------------------------------------

function toastHost() {
  let host = document.getElementById("toast-host");
  if (!host) {
    host = el("div", { id: "toast-host", attrs: { "aria-live": "polite" } });
    document.body.appendChild(host);
  }
  return host;
}

export function toast(message, kind = "info") {
  const node = el("div", { class: `toast ${kind}`, attrs: { role: kind === "error" ? "alert" : "status" } }, message);
  toastHost().appendChild(node);
  setTimeout(() => node.remove(), kind === "error" ? 8000 : 4000);
  return node;
}

export function errorBanner(err) {
  return el("div", { class: "banner error", attrs: { role: "alert" } }, errorText(err));
}

export function confirmBox(message, okLabel = "确定") {
  return new Promise((resolve) => {
    const ok = el("button", { type: "button", class: "primary", dataset: { answer: "ok" } }, okLabel);
    const cancel = el("button", { type: "button", dataset: { answer: "cancel" } }, "取消");
    const dialog = el(
      "dialog",
      { class: "confirm" },
      el("p", {}, message),
      el("div", { class: "actions" }, cancel, ok),
    );
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", () => done(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    ok.focus();
  });
}

export function loginView(container, opts = {}) {
  const { title = "登录", subtitle = "请使用管理员分配的账号登录。", roles = null } = opts;
  return new Promise((resolve) => {
    clear(container);
    const username = el("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
    const password = el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const message = el("p", { class: "form-error", id: "login-error", attrs: { role: "alert" } });
    const submit = el("button", { type: "submit", class: "primary", id: "login-submit" }, "登录");
    const form = el(
      "form",
      { class: "login card", id: "login-form", noValidate: true },
      el("h2", {}, title),
      el("p", { class: "muted" }, subtitle),
      el("label", { htmlFor: "login-username" }, "用户名"),
      username,
      el("label", { htmlFor: "login-password" }, "密码"),
      password,
      message,
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      setText(message, "");
      if (!username.value.trim() || !password.value) {
        setText(message, "请输入用户名和密码");
        return;
      }
      submit.disabled = true;
      try {
        const body = await signIn(username.value.trim(), password.value);
        if (roles && !roles.includes(body.user.role)) {
          await signOut();
          setText(message, `此页面仅限${roles.map(roleLabel).join("、")}使用，您的角色是${roleLabel(body.user.role)}`);
          return;
        }
        resolve(body.user);
      } catch (err) {
        setText(message, errorText(err));
        password.value = "";
        password.focus();
      } finally {
        submit.disabled = false;
      }
    });
    container.appendChild(el("div", { class: "login-wrap" }, form));
    username.focus();
  });
}

// -- formatting and small helpers --------------------------------------------------------

export function fmtDate(iso) {
  if (!iso) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso; // a plain date has no time zone to shift
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleDateString("zh-CN");
}

export function fmtDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString("zh-CN", { hour12: false });
}

export function fmtScore(x) {
  return typeof x === "number" ? x.toFixed(3) : "";
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function downloadHref(path, query) {
  return path + queryString(query);
}
