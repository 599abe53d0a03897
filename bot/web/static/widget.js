// The embeddable chat widget. One tag on any site adds a floating "在线客服" button that
// opens the chat page (/chat?embed=1 of the server this file came from) in a panel:
//   <script src="(the bot server)/static/widget.js" data-title="在线客服"
//           data-position="right" data-color="#b8282e" data-open="false"></script>
// Everything lives in a shadow root, so the host page's CSS cannot break the widget and the
// widget's CSS cannot leak into the host page. The chat itself runs in the iframe, on the
// bot's own origin (its storage, socket and security policy stay the bot's).
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.hotlineChatWidget) return; // loaded twice: keep the first
  const origin = new URL(script.src, location.href).origin;
  const data = script.dataset;
  const title = (data.title || "在线客服").slice(0, 20);
  const side = data.position === "left" ? "left" : "right";
  const color = /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#b8282e";

  const CSS = `
    :host { all: initial; }
    .launcher {
      position: fixed; ${side}: 20px; bottom: 20px; z-index: 2147483000;
      display: flex; align-items: center; gap: 6px; padding: 0 18px; height: 52px;
      border: 0; border-radius: 26px; background: ${color}; color: #fff; cursor: pointer;
      font: 600 16px "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
      box-shadow: 0 4px 16px rgba(0, 0, 0, .25);
    }
    .launcher:focus-visible { outline: 3px solid #ffd54f; outline-offset: 2px; }
    .launcher svg { width: 22px; height: 22px; fill: currentColor; }
    .panel {
      position: fixed; ${side}: 20px; bottom: 84px; z-index: 2147483000;
      width: 380px; height: min(640px, calc(100vh - 104px)); border-radius: 12px;
      overflow: hidden; background: #fff; box-shadow: 0 8px 32px rgba(0, 0, 0, .3);
    }
    .panel[hidden] { display: none; }
    .panel iframe { width: 100%; height: 100%; border: 0; display: block; }
    @media (max-width: 480px) {
      .panel { left: 0; right: 0; top: 0; bottom: 0; width: auto; height: auto; border-radius: 0; }
      .launcher.open { display: none; }
    }
  `;

  function build() {
    const host = document.createElement("div");
    host.id = "hotline-chat-widget";
    const root = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = CSS;
    const panel = document.createElement("div");
    panel.className = "panel";
    panel.hidden = true;
    const launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", `打开${title}`);
    const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(icon.namespaceURI, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
    icon.appendChild(path);
    const label = document.createElement("span");
    label.textContent = title;
    launcher.append(icon, label);
    root.append(style, panel, launcher);

    let frame = null;
    function toggle(open) {
      if (open && !frame) {
        // Created on first open: a page that never opens the chat never loads it.
        frame = document.createElement("iframe");
        frame.src = `${origin}/chat?embed=1`;
        frame.title = title;
        panel.appendChild(frame);
      }
      panel.hidden = !open;
      launcher.classList.toggle("open", open);
      launcher.setAttribute("aria-expanded", String(open));
      launcher.setAttribute("aria-label", open ? `收起${title}` : `打开${title}`);
    }
    launcher.addEventListener("click", () => toggle(panel.hidden));
    window.addEventListener("message", (event) => {
      const msg = event.data;
      if (event.origin === origin && msg && msg.source === "hotline-chat" && msg.type === "close") {
        toggle(false);
        launcher.focus();
      }
    });
    document.body.appendChild(host);
    window.hotlineChatWidget = { open: () => toggle(true), close: () => toggle(false) };
    if (data.open === "true") toggle(true);
  }

  window.hotlineChatWidget = true; // claimed before the body exists
  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
