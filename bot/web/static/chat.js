// The citizen chat page. Turns stream over /ws/chat (protocol: bot/gateway/chat_ws.py);
// while the socket is down they go to POST /api/chat and the socket is retried with
// back-off. The conversation (session id and shown messages) lives in sessionStorage, so a
// reload or a dropped connection keeps it. Bot text is only ever set as text nodes, never
// parsed as HTML: markup in an answer shows as characters and cannot run. No libraries, no CDN.
// window.chatState mirrors what happened, for tests and for support staff reading a screen.
(() => {
  "use strict";

  // The server's limit (BOT_MAX_MESSAGE_CHARS) arrives in the "ready" frame; this default
  // (the server's own) holds only until then, e.g. while the page falls back to REST.
  const DEFAULT_MAX_CHARS = 2000;
  const STORE_KEY = "hotline-chat.v1";
  const GREETING = "您好，这里是海川市12345政务服务热线智能客服，请问有什么可以帮您？";
  const HUMAN = "转人工";
  const tooLong = (max) => `您输入的内容超过了 ${max} 字。请简要说明您要咨询的问题，一两句话即可，谢谢！`;
  const TRANSFERRING = "正在为您转接人工客服，请稍候。接通后将由人工客服继续为您服务。";
  const SEND_FAILED = "网络不稳定，消息没有发送成功，请检查网络后重新发送。";
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const CONNECT_TIMEOUT_MS = 8000;
  const PING_EVERY_MS = 25000;
  const PONG_WAIT_MS = 10000;
  const SESSION_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
  // Plain http(s) URLs only; they end at whitespace, quotes, angle brackets or CJK punctuation.
  const URL_RE = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/g;
  const TRAILING = /[.,;:!?)\]}]+$/;

  const $ = (id) => document.getElementById(id);
  const els = {
    messages: $("messages"), input: $("input"), send: $("send"), form: $("composer"),
    human: $("human"), restart: $("restart"), counter: $("counter"), status: $("status"),
    notice: $("notice"), typing: $("typing"), close: $("close"), limit: limitReason(),
  };
  function limitReason() {
    // Made here rather than in chat.html: it exists only for what this script decides.
    const el = document.createElement("span");
    el.id = "limit-reason";
    el.className = "counter over";
    el.style.marginLeft = ".5em"; // .counter's auto margin would push the counter to the middle
    el.hidden = true;
    $("counter").after(el);
    $("send").setAttribute("aria-describedby", el.id);
    return el;
  }
  const embed = new URLSearchParams(location.search).get("embed") === "1";
  const state = (window.chatState = {
    sessionId: null, messages: [], replies: [], transport: "connecting", connected: false,
    connects: 0, chunks: 0, lastTransport: null, transferred: false, errors: [],
    nextRetryMs: null, maxChars: DEFAULT_MAX_CHARS,
  });

  let ws = null;
  let attempt = 0;
  let reconnectTimer = null;
  let lastPong = 0;
  let turnSeq = 0;
  let noticeTimer = null;
  const pending = new Map(); // turn id -> {id, text, via, rendered, streams: Map(index -> el)}

  // -- identity and storage ------------------------------------------------------------
  function newSessionId() {
    const bytes = new Uint8Array(16);
    // getRandomValues works on plain http too (randomUUID needs a secure context).
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function save() {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({
        sessionId: state.sessionId, messages: state.messages, transferred: state.transferred,
      }));
    } catch (err) { /* private mode or full: the chat still works, only without memory */ }
  }

  function restore() {
    try {
      const data = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (!data || !SESSION_RE.test(data.sessionId) || !Array.isArray(data.messages)) return null;
      return data;
    } catch (err) {
      return null;
    }
  }

  // -- rendering (text nodes only) -----------------------------------------------------
  function link(url) {
    let parsed;
    try { parsed = new URL(url); } catch (err) { return null; }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
    const a = document.createElement("a");
    a.href = parsed.href;
    a.textContent = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function appendRich(el, text) {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      const url = m[0].replace(TRAILING, "");
      if (m.index > last) el.appendChild(document.createTextNode(text.slice(last, m.index)));
      el.appendChild(link(url) || document.createTextNode(url));
      last = m.index + url.length;
    }
    if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
  }

  function cleanButtons(raw) {
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((b) => b && typeof b.payload === "string" && b.payload)
      .map((b) => ({ title: String(b.title || b.payload), payload: b.payload }));
  }

  function isFeedback(buttons) {
    return buttons.length > 0 && buttons.every((b) => b.payload === "/affirm" || b.payload === "/deny");
  }

  function buttonsEl(entry) {
    const box = document.createElement("div");
    const feedback = isFeedback(entry.buttons);
    box.className = feedback ? "buttons feedback" : "buttons choices";
    for (const b of entry.buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.dataset.payload = b.payload;
      if (feedback) btn.className = b.payload === "/affirm" ? "helped" : "not-helped";
      btn.disabled = !entry.active;
      btn.addEventListener("click", () => {
        if (entry.active) send(b.payload, b.title);
      });
      box.appendChild(btn);
    }
    return box;
  }

  function entryEl(entry) {
    const div = document.createElement("div");
    div.className = `msg ${entry.role}` + (entry.kind ? ` ${entry.kind}` : "");
    appendRich(div, entry.text);
    if (entry.buttons && entry.buttons.length) div.appendChild(buttonsEl(entry));
    return div;
  }

  function scrollDown() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function push(entry, replacing) {
    state.messages.push(entry);
    const el = entryEl(entry);
    if (replacing && replacing.parentNode) replacing.replaceWith(el);
    else els.messages.appendChild(el);
    scrollDown();
    save();
  }

  function deactivateButtons() {
    for (const entry of state.messages) entry.active = false;
    for (const btn of els.messages.querySelectorAll(".buttons button")) btn.disabled = true;
  }

  function notice(text) {
    els.notice.textContent = text;
    els.notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { els.notice.hidden = true; }, 8000);
  }

  function setTyping(on) {
    els.typing.hidden = !on;
    if (on) scrollDown();
  }

  function setTransport(kind) {
    state.transport = kind;
    const text = { ws: "在线", rest: "重新连接中…", connecting: "连接中…" }[kind] || kind;
    els.status.textContent = text;
    els.status.className = `status ${kind === "ws" ? "ws" : kind === "rest" ? "rest" : "down"}`;
  }

  // -- turns -----------------------------------------------------------------------------
  function socketReady() {
    return ws !== null && ws.readyState === WebSocket.OPEN && state.connected;
  }

  function send(raw, shown) {
    const text = String(raw).trim();
    if (!text) return false;
    if (text.length > state.maxChars) {
      notice(tooLong(state.maxChars));
      return false;
    }
    deactivateButtons();
    push({ role: "user", text: shown || text });
    const turn = { id: `t${Date.now().toString(36)}-${++turnSeq}`, text, via: null, rendered: 0,
                   streams: new Map() };
    pending.set(turn.id, turn);
    setTyping(true);
    if (socketReady()) {
      turn.via = "ws";
      ws.send(JSON.stringify({ type: "message", id: turn.id, text, session_id: state.sessionId }));
    } else {
      viaRest(turn);
    }
    return true;
  }

  async function viaRest(turn) {
    turn.via = "rest";
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: turn.text, session_id: state.sessionId, channel: "chat" }),
      });
      let body = null;
      try { body = await response.json(); } catch (err) { body = null; }
      if (!response.ok || !body) {
        fail(turn, (body && body.error && body.error.message) || SEND_FAILED);
        return;
      }
      finish(turn.id, body);
    } catch (err) {
      fail(turn, SEND_FAILED);
    }
  }

  function fail(turn, message) {
    pending.delete(turn.id);
    if (pending.size === 0) setTyping(false);
    state.errors.push(message);
    push({ role: "system", kind: "error", text: message });
    if (!els.input.value) {
      els.input.value = turn.text; // let the citizen send it again with one tap
      updateCounter();
    }
  }

  function finish(id, reply) {
    const turn = pending.get(id);
    if (!turn) return;
    pending.delete(id);
    for (const el of turn.streams.values()) el.remove(); // pieces of a message never completed
    const messages = Array.isArray(reply.messages) ? reply.messages : [];
    for (let i = turn.rendered; i < messages.length; i += 1) {
      const m = messages[i] || {};
      push({ role: "bot", text: String(m.text || ""), buttons: cleanButtons(m.buttons), active: true });
    }
    state.lastTransport = turn.via;
    state.replies.push({
      via: turn.via, decision: reply.decision, outcome: reply.outcome, faq_id: reply.faq_id,
      degraded: reply.degraded, session_id: reply.session_id,
    });
    if (reply.outcome === "transferred") {
      state.transferred = true;
      push({ role: "system", kind: "transfer", text: TRANSFERRING });
    }
    if (pending.size === 0) setTyping(false);
    save();
  }

  function onFrame(data) {
    const turn = data.id ? pending.get(data.id) : null;
    switch (data.type) {
      case "ready":
        state.connected = true;
        state.connects += 1;
        attempt = 0;
        lastPong = Date.now();
        state.nextRetryMs = null;
        if (Number.isInteger(data.max_chars) && data.max_chars > 0) {
          state.maxChars = data.max_chars;
          updateCounter();
        }
        setTransport("ws");
        break;
      case "typing":
        setTyping(true);
        break;
      case "chunk": {
        if (!turn || typeof data.text !== "string") return;
        let el = turn.streams.get(data.index);
        if (!el) {
          el = document.createElement("div");
          el.className = "msg bot streaming";
          turn.streams.set(data.index, el);
          els.messages.appendChild(el);
        }
        el.appendChild(document.createTextNode(data.text));
        state.chunks += 1;
        scrollDown();
        break;
      }
      case "message": {
        if (!turn || typeof data.text !== "string") return;
        const streaming = turn.streams.get(data.index);
        push({ role: "bot", text: data.text, buttons: cleanButtons(data.buttons), active: true },
             streaming);
        turn.streams.delete(data.index);
        turn.rendered = Math.max(turn.rendered, data.index + 1);
        break;
      }
      case "reply":
        finish(data.id, data);
        break;
      case "error":
        state.errors.push(data.code);
        if (turn) {
          pending.delete(turn.id);
          if (pending.size === 0) setTyping(false);
          if (data.code === "rate_limited") notice(String(data.message || ""));
          else push({ role: "system", kind: "error", text: String(data.message || SEND_FAILED) });
        }
        break;
      case "pong":
        lastPong = Date.now();
        break;
      default:
        break;
    }
  }

  // -- the socket --------------------------------------------------------------------------
  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (ws) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/ws/chat?session_id=${encodeURIComponent(state.sessionId)}`;
    let sock;
    try {
      sock = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    // A blocked socket can hang in CONNECTING for minutes: give up and use REST meanwhile.
    const timeout = setTimeout(() => { if (ws === sock && !state.connected) dropped(sock); },
                               CONNECT_TIMEOUT_MS);
    sock.onopen = () => clearTimeout(timeout);
    sock.onmessage = (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (err) { return; }
      if (data && typeof data.type === "string" && ws === sock) onFrame(data);
    };
    sock.onclose = () => { clearTimeout(timeout); dropped(sock); };
    sock.onerror = () => { /* onclose follows */ };
  }

  function dropped(sock) {
    if (ws !== sock) return;
    ws = null;
    state.connected = false;
    try { sock.close(); } catch (err) { /* already closed */ }
    setTransport("rest");
    // Turns the socket took but never answered: ask again over REST, unless part of the
    // answer already arrived (then the server has the turn; show what came).
    for (const turn of [...pending.values()]) {
      if (turn.via !== "ws") continue;
      for (const el of turn.streams.values()) el.remove();
      turn.streams.clear();
      if (turn.rendered > 0) finish(turn.id, { messages: [] });
      else viaRest(turn);
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    attempt += 1;
    state.nextRetryMs = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter: no stampede
    reconnectTimer = setTimeout(connect, state.nextRetryMs);
  }

  function heartbeat() {
    if (!socketReady()) return;
    if (lastPong && Date.now() - lastPong > PING_EVERY_MS + PONG_WAIT_MS) {
      dropped(ws); // silent for too long: a dead connection the browser has not noticed
      return;
    }
    ws.send(JSON.stringify({ type: "ping" }));
  }

  // -- the composer ------------------------------------------------------------------------
  function updateCounter() {
    const n = els.input.value.trim().length;
    const max = state.maxChars;
    els.counter.textContent = `${n}/${max}`;
    const over = n > max;
    els.counter.classList.toggle("over", over);
    els.send.disabled = over;
    // Said beside the counter for as long as the button stays disabled (the notice fades).
    const reason = over ? `超出字数上限（${max} 字）` : "";
    els.limit.textContent = reason;
    els.limit.hidden = !over;
    els.send.title = reason;
    if (over) notice(tooLong(max));
    els.input.style.height = "auto";
    els.input.style.height = `${Math.min(els.input.scrollHeight, 128)}px`;
  }

  function submit() {
    if (send(els.input.value)) {
      els.input.value = "";
      updateCounter();
    }
  }

  function greet() {
    push({ role: "bot", text: GREETING, local: true });
  }

  function restart() {
    if (state.messages.some((m) => m.role === "user")) {
      fetch(`/api/sessions/${encodeURIComponent(state.sessionId)}/end`,
            { method: "POST", keepalive: true }).catch(() => {});
    }
    pending.clear();
    setTyping(false);
    state.sessionId = newSessionId();
    state.messages = [];
    state.transferred = false;
    els.messages.textContent = "";
    greet();
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  els.input.addEventListener("keydown", (event) => {
    // Enter while an IME is composing picks a candidate; it must not send the message.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  els.input.addEventListener("input", updateCounter);
  els.human.addEventListener("click", () => send(HUMAN));
  els.restart.addEventListener("click", restart);
  if (embed) {
    document.body.classList.add("embed");
    els.close.hidden = false;
    els.close.addEventListener("click", () => {
      window.parent.postMessage({ source: "hotline-chat", type: "close" }, "*");
    });
  }
  window.addEventListener("online", () => { if (!ws) connect(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !ws) connect();
  });

  const saved = restore();
  if (saved) {
    state.sessionId = saved.sessionId;
    state.transferred = Boolean(saved.transferred);
    for (const entry of saved.messages) {
      if (!entry || typeof entry.text !== "string") continue;
      const clean = { role: ["bot", "user", "system"].includes(entry.role) ? entry.role : "system",
                      text: entry.text, buttons: cleanButtons(entry.buttons),
                      active: Boolean(entry.active), local: Boolean(entry.local),
                      kind: ["transfer", "error"].includes(entry.kind) ? entry.kind : undefined };
      state.messages.push(clean);
      els.messages.appendChild(entryEl(clean));
    }
    scrollDown();
  } else {
    state.sessionId = newSessionId();
    greet();
  }
  updateCounter();
  setTransport("connecting");
  connect();
  setInterval(heartbeat, PING_EVERY_MS);
})();
